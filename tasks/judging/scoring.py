"""A judge's scores, saved as drafts or submitted (database side; one transaction per call).

`save_many` stores a batch of saves in one transaction (the portal's writer thread hands it
whatever is waiting); each save is checked on its own — the link open, every item assigned to
this judge and not of their street, unit or community, every value within the rubric — and a
save with a problem stores nothing. A submitted score is the row the process's import writes
(`award_score`, `idea_score`), inserted or updated exactly as the import does; its draft goes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models.db import session_scope
from models.judging import JudgeAssignment, ScoreDraft
from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.common.district import active_profile
from tasks.judging.processes import Member, Process
from tasks.judging.records import judge_drafts, open_view, process_of
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
    """What a batch reads once per process: the profile's rubric and the judges."""

    def __init__(self, session: Session, profile: DistrictProfile) -> None:
        self.session, self.profile = session, profile
        self.read: dict[str, tuple[Rubric, dict[str, Member]]] = {}

    def of(self, process: Process) -> tuple[Rubric, dict[str, Member]]:
        if process.key not in self.read:
            judges = process.members(self.session, self.profile)
            self.read[process.key] = (process.rubric(self.profile), judges)
        return self.read[process.key]


def _save(session: Session, context: _Context, item: Save, now: datetime) -> Saved:
    view = open_view(item.token, now)
    if isinstance(view, str):
        return Saved(state=view)
    process = process_of(view.subject)
    rubric, judges = context.of(process)
    judge = judges.get(view.recipient)
    refs = sorted(item.forms)
    if (
        judge is None
        or not refs
        or not _assigned(session, context, process, view.year, judge, refs)
    ):
        return Saved(state="not_assigned")
    problems: dict[str, dict[str, str]] = {}
    read: dict[str, tuple[dict[str, float], dict[str, str]]] = {}
    for ref in refs:
        form = item.forms[ref]
        values, wrong = read_scores(rubric, form, complete=item.submit)
        if wrong:
            problems[ref] = wrong
        typed = {c.code: form.get(c.code, "").strip() for c in rubric.criteria}
        read[ref] = (values, typed)
    if problems:
        return Saved(problems=problems)
    drafts = judge_drafts(session, process, year=view.year, judge=judge.code, refs=refs)
    for ref, (values, typed) in read.items():
        draft = drafts.get(ref)
        if item.submit:
            process.store(
                session,
                context.profile,
                year=view.year,
                ref=ref,
                judge=judge.name,
                values=values,
                now=now,
            )
            if draft is not None:
                session.delete(draft)
        else:
            draft = draft or ScoreDraft(
                process=process.key, year=view.year, ref=ref, judge=judge.code
            )
            draft.values, draft.saved_at = typed, now
            session.add(draft)
    session.flush()  # the next save of the batch sees this one
    return Saved(submitted=refs) if item.submit else Saved(drafts=refs)


def _assigned(
    session: Session, context: _Context, process: Process, year: int, judge: Member, refs: list[str]
) -> bool:
    """Whether every ref is held by JUDGE (not declared) and none is of their street or unit."""
    held = session.exec(
        select(JudgeAssignment.ref).where(
            JudgeAssignment.process == process.key,
            JudgeAssignment.year == year,
            JudgeAssignment.judge == judge.code,
            JudgeAssignment.status == "assigned",
            col(JudgeAssignment.ref).in_(refs),
        )
    ).all()
    if len(set(held)) != len(refs):
        return False
    facts = process.facts(session, context.profile, year, refs)
    return len(facts) == len(refs) and not any(
        f.conflicts & judge.conflicts for f in facts.values()
    )
