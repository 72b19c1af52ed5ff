"""A judge's scores, saved as drafts or submitted (database side; one transaction per call).

`save_many` stores a batch of saves in one transaction (the portal's writer thread hands it
whatever is waiting); each save is checked on its own — the link open, every item assigned to
this judge and not of their street or unit, every value within the rubric — and a save with a
problem stores nothing. A submitted score is the judge's `award_score` row, inserted or updated
exactly as `import scores` does; its draft goes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models.awards import AwardScore, Nomination, NominationBase
from models.db import session_scope
from models.judging import JudgeAssignment, ScoreDraft
from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.awards.rules import nomination_keys
from tasks.common.district import active_profile
from tasks.judging.records import (
    PROCESS,
    Member,
    judge_drafts,
    judge_scores,
    members,
    open_view,
    rubric_of,
)
from tasks.judging.rules import Rubric, read_scores


class Save(BaseModel):
    """What a form sent: through which link, the values typed per item, draft or submit."""

    model_config = ConfigDict(frozen=True)

    token: str
    forms: dict[str, dict[str, str]]  # ref -> criterion code -> typed text
    submit: bool


class Saved(BaseModel):
    """What became of a save: refused (`state`), problems by criterion, or stored."""

    model_config = ConfigDict(frozen=True)

    state: str | None = None  # a link state other than open, or "not_assigned"
    problems: dict[str, dict[str, str]] = {}  # ref -> criterion -> Chinese problem
    drafts: list[str] = []
    submitted: list[str] = []


def save_scores(
    token: str, forms: dict[str, dict[str, str]], *, submit: bool, now: datetime | None = None
) -> Saved:
    """One save in a transaction of its own."""
    return save_many([Save(token=token, forms=forms, submit=submit)], now=now)[0]


def save_many(items: list[Save], *, now: datetime | None = None) -> list[Saved]:
    """Every save of the batch, in one transaction; one result per save, in order."""
    now = now or utcnow()
    with session_scope() as session:
        profile = active_profile(session)
        context = _Context(session, profile)
        return [_save(session, context, item, now) for item in items]


class _Context:
    """What a batch reads once: the profile's rubric and the judges."""

    def __init__(self, session: Session, profile: DistrictProfile) -> None:
        self.rubric: Rubric = rubric_of(profile)
        self.judges: dict[str, Member] = members(session, profile)


def _save(session: Session, context: _Context, item: Save, now: datetime) -> Saved:
    view = open_view(item.token, now)
    if isinstance(view, str):
        return Saved(state=view)
    judge = context.judges.get(view.recipient)
    refs = sorted(item.forms)
    if judge is None or not refs or not _assigned(session, view.year, judge, refs):
        return Saved(state="not_assigned")
    problems: dict[str, dict[str, str]] = {}
    read: dict[str, tuple[dict[str, float], dict[str, str]]] = {}
    for ref in refs:
        form = item.forms[ref]
        values, wrong = read_scores(context.rubric, form, complete=item.submit)
        if wrong:
            problems[ref] = wrong
        typed = {c.code: form.get(c.code, "").strip() for c in context.rubric.criteria}
        read[ref] = (values, typed)
    if problems:
        return Saved(problems=problems)
    drafts = judge_drafts(session, year=view.year, judge=judge.code, refs=refs)
    scores = judge_scores(session, year=view.year, judge=judge.name, refs=refs)
    for ref, (values, typed) in read.items():
        draft, stored = drafts.get(ref), scores.get(ref)
        if item.submit:
            if stored is None:
                row = AwardScore(
                    year=view.year, ref=ref, judge=judge.name, criteria=values, updated_at=now
                )
                session.add(row)
            elif stored.criteria != values:
                stored.criteria, stored.updated_at = values, now
                session.add(stored)
            if draft is not None:
                session.delete(draft)
        else:
            draft = draft or ScoreDraft(process=PROCESS, year=view.year, ref=ref, judge=judge.code)
            draft.values, draft.saved_at = typed, now
            session.add(draft)
    session.flush()  # the next save of the batch sees this one
    return Saved(submitted=refs) if item.submit else Saved(drafts=refs)


def _assigned(session: Session, year: int, judge: Member, refs: list[str]) -> bool:
    """Whether every ref is held by JUDGE (not declared) and none is of their street or unit."""
    held = session.exec(
        select(JudgeAssignment.ref).where(
            JudgeAssignment.process == PROCESS,
            JudgeAssignment.year == year,
            JudgeAssignment.judge == judge.code,
            JudgeAssignment.status == "assigned",
            col(JudgeAssignment.ref).in_(refs),
        )
    ).all()
    if len(set(held)) != len(refs):
        return False
    nominations = session.exec(
        select(Nomination).where(Nomination.year == year, col(Nomination.ref).in_(refs))
    ).all()
    return len(nominations) == len(refs) and not any(
        nomination_keys(NominationBase.model_validate(n.model_dump())) & judge.conflicts
        for n in nominations
    )
