"""A rehearsal year: generated inputs for every process, reproducible from a seed.

Operators rehearse an installation (one machine or the scale-out topology) on a copy of nothing:
the bundled profile, a generated teacher roster, an open golden-idea campaign with generated
submissions (planted near-duplicates included), and generated award nominations with every
judge's scores. The same year and seed give the same inputs, so two installations can be compared
by their outcome (tasks/samples/outcome.py). Re-running adds nothing: every write is keyed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import select

from models.awards import AwardScore, Nomination
from models.db import session_scope
from models.profile.schema import DistrictProfile
from models.secondment import Teacher
from tasks.common import clock
from tasks.common.district import active_profile, init_registry
from tasks.ideas import campaign, intake
from tasks.ideas.screening import Submission
from tasks.samples.awards import generate_nominations, generate_scores
from tasks.samples.csvfile import write_csv
from tasks.samples.ideas import generate_ideas
from tasks.samples.roster import generate_roster


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
    campaign.open_campaign(year=year, start=date(year, 9, 1), seed=seed)
    communities = [c for s in profile.streets for c in s.communities]
    now = datetime(year, 9, 20, 2, 0, tzinfo=UTC)
    stored_ideas = 0
    for sample in generate_ideas(
        count=ideas,
        communities=communities,
        year=year,
        seed=seed,
        duplicate_share=0.25,
        zone=clock.district_zone(profile),
    ):
        ack = intake.submit(
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


VOLUNTEER_SKILLS = ("书法", "摄影", "烘焙", "太极拳", "英语口语", "手机摄影", "法律咨询", "合唱")
LECTURER_BACKGROUNDS = ("老党员", "退休干部", "退休教师")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("芳", "伟", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超")


def write_volunteers_csv(
    path: Path, profile: DistrictProfile, *, year: int, seed: int, count: int = 24
) -> Path:
    """A generated `volunteers` file (R10.3, R10.4): two volunteers for each lecturer; most
    volunteers teach some unpaid lessons at a community school of their street."""
    rng = random.Random(seed)
    header = ["年度", "编号", "姓名", "类别", "背景", "街道", "授课社区", "授课次数"]
    rows = []
    for number in range(1, count + 1):
        street = rng.choice(profile.streets)
        lecturer = number % 3 == 0
        teaches = lecturer or rng.random() < 0.7
        rows.append(
            [
                year,
                f"{'L' if lecturer else 'V'}{number:04d}",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN)),
                "讲师团" if lecturer else "志愿者",
                rng.choice(LECTURER_BACKGROUNDS if lecturer else VOLUNTEER_SKILLS),
                street.name,
                rng.choice(street.communities) if teaches and street.communities else "",
                rng.randint(1, 12) if teaches and street.communities else 0,
            ]
        )
    return write_csv(path, header, rows)
