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
from tasks.judging.processes import ItemFacts, Member, Process
from tasks.judging.records import judge_drafts, open_view, process_of
from tasks.judging.rules import Rubric, read_scores
from tasks.responses.records import LinkView


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
    views = [open_view(item.token, now) for item in items]
    with session_scope() as session:
        context = _Context(session, active_profile(session))
        context.read_batch(items, views)
        return [
            _save(session, context, item, view, now)
            for item, view in zip(items, views, strict=True)
        ]


class _Context:
    """What a batch reads once: per process the profile's rubric and the judges; per process
    and year the assignments and the items' facts of every save in the batch (neither is
    changed by saving)."""

    def __init__(self, session: Session, profile: DistrictProfile) -> None:
        self.session, self.profile = session, profile
        self.read: dict[str, tuple[Rubric, dict[str, Member]]] = {}
        self.held: dict[tuple[str, int], set[tuple[str, str]]] = {}  # (judge code, ref)
        self.facts: dict[tuple[str, int], dict[str, ItemFacts]] = {}

    def of(self, process: Process) -> tuple[Rubric, dict[str, Member]]:
        if process.key not in self.read:
            judges = process.members(self.session, self.profile)
            self.read[process.key] = (process.rubric(self.profile), judges)
        return self.read[process.key]

    def read_batch(self, items: list[Save], views: list[LinkView | str]) -> None:
        wanted: dict[tuple[str, int], tuple[set[str], set[str]]] = {}  # -> (judges, refs)
        for item, view in zip(items, views, strict=True):
            if isinstance(view, str):
                continue
            judges, refs = wanted.setdefault((view.subject, view.year), (set(), set()))
            judges.add(view.recipient)
            refs.update(item.forms)
        for (key, year), (judges, refs) in wanted.items():
            process = process_of(key)
            members = self.of(process)[1]
            codes = {members[recipient].code for recipient in judges if recipient in members}
            rows = self.session.exec(
                select(JudgeAssignment.judge, JudgeAssignment.ref).where(
                    JudgeAssignment.process == process.key,
                    JudgeAssignment.year == year,
                    JudgeAssignment.status == "assigned",
                    col(JudgeAssignment.judge).in_(codes),
                    col(JudgeAssignment.ref).in_(refs),
                )
            ).all()
            self.held[(process.key, year)] = set(rows)
            self.facts[(process.key, year)] = process.facts(self.session, self.profile, year, refs)

    def assigned(self, process: Process, year: int, judge: Member, refs: list[str]) -> bool:
        """Whether every ref is held by JUDGE (not declared) and none is of their street or
        unit."""
        held = self.held.get((process.key, year), set())
        facts = self.facts.get((process.key, year), {})
        return all(
            (judge.code, ref) in held
            and ref in facts
            and not facts[ref].conflicts & judge.conflicts
            for ref in refs
        )


def _save(
    session: Session, context: _Context, item: Save, view: LinkView | str, now: datetime
) -> Saved:
    if isinstance(view, str):
        return Saved(state=view)
    process = process_of(view.subject)
    rubric, judges = context.of(process)
    judge = judges.get(view.recipient)
    refs = sorted(item.forms)
    if judge is None or not refs or not context.assigned(process, view.year, judge, refs):
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
