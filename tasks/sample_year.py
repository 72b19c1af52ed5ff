"""A rehearsal year: generated inputs for every process, reproducible from a seed.

Operators rehearse an installation (one machine or the scale-out topology) on a copy of nothing:
the bundled profile, a generated teacher roster, an open golden-idea campaign with generated
submissions (planted near-duplicates included), and generated award nominations with every
judge's scores. The same year and seed give the same inputs, so two installations can be compared
by their outcome (tasks/outcome.py). Re-running adds nothing: every write is keyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import select

from models.awards import AwardScore, Nomination
from models.db import session_scope
from models.secondment import Teacher
from tasks import ideas_records
from tasks.awards_sample import generate_nominations, generate_scores
from tasks.ideas_sample import generate_ideas
from tasks.registry import active_profile, init_registry
from tasks.sample_data import generate_roster
from tasks.screening import Submission


@dataclass(frozen=True)
class SampleYear:
    """What was stored (0 for what was already there)."""

    teachers: int
    ideas: int
    nominations: int
    scores: int


def seed_sample_year(
    year: int,
    *,
    seed: int,
    teachers: int = 200,
    ideas: int = 200,
    nominations_per_category: int = 6,
) -> SampleYear:
    """Store a rehearsal year's inputs (idempotent); the campaign opens on 1 September."""
    init_registry(None)
    with session_scope() as session:
        profile = active_profile(session)
    stored_teachers = 0
    with session_scope() as session:
        for teacher in generate_roster(
            count=teachers,
            schools=[s.name for s in profile.schools],
            streets=profile.street_names,
            seed=seed,
        ):
            if session.get(Teacher, teacher.staff_id) is None:
                session.add(Teacher(**teacher.model_dump()))
                stored_teachers += 1
    ideas_records.open_campaign(year=year, start=date(year, 9, 1), seed=seed)
    communities = [c for s in profile.streets for c in s.communities]
    now = datetime(year, 9, 20, 2, 0, tzinfo=UTC)
    stored_ideas = 0
    for sample in generate_ideas(
        count=ideas, communities=communities, year=year, seed=seed, duplicate_share=0.25
    ):
        ack = ideas_records.submit(
            year=year,
            submission=Submission(
                submitter=sample.submitter,
                phone=sample.phone,
                community=sample.community,
                title=sample.title,
                content=sample.content,
                ref=sample.ref,
            ),
            source="import",
            now=now,
            submitted_at=sample.submitted_at,
        )
        stored_ideas += not ack.duplicate
    stored_nominations = stored_scores = 0
    with session_scope() as session:
        if session.exec(select(Nomination).where(Nomination.year == year)).first() is None:
            noms = generate_nominations(
                profile, year=year, per_category=nominations_per_category, seed=seed
            )
            session.add_all(Nomination(**n.model_dump()) for n in noms)
            scores = generate_scores(profile, noms, seed=seed)
            session.add_all(AwardScore(**s.model_dump()) for s in scores)
            stored_nominations, stored_scores = len(noms), len(scores)
    return SampleYear(stored_teachers, stored_ideas, stored_nominations, stored_scores)
