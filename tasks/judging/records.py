"""Database side of scoring on the portal: opening a year's round, a judge's page, their scores.

Each public function is one transaction. A round is of one process (`processes.py`): awards,
where 评委 score nominations, or ideas, where 评审 score golden-idea representatives.
`open_round` makes the process's balanced assignment with recusal, stores it, and gives every
judge one personal link in the message that tells them (a re-run issues nothing). A judge's
submitted scores are the rows the process's import writes (`award_score`, `idea_score`), so the
process ranks them by the same rule; what is saved but not submitted is a `ScoreDraft`.
Conflicts declared on one item: `conflicts.py`; progress, reminders and the deadline:
`progress.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models.audit import Decision
from models.db import session_scope
from models.judging import JudgeAssignment, JudgingRound, ScoreDraft
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.awards.rules import RULE
from tasks.common import clock, links
from tasks.common.decisions import decision, keep_inputs, payload_digest
from tasks.common.district import active_profile
from tasks.judging.audit import RULE_VERSION
from tasks.judging.ideas import Ideas
from tasks.judging.nominations import Nominations
from tasks.judging.processes import ItemFacts, JudgingError, Member, Process
from tasks.judging.rules import Rubric, load_limit
from tasks.notify.render import cn_date
from tasks.notify.staging import stage_rendered
from tasks.responses.records import LinkView, open_link

__all__ = ["JudgingError", "Member"]

FLOW = "judging"
PROCESSES: dict[str, Process] = {p.key: p for p in (Nominations(), Ideas())}


def process_of(key: str) -> Process:
    """The process scored on the portal under KEY (awards, ideas)."""
    found = PROCESSES.get(key)
    if found is None:
        raise JudgingError(f"没有“{key}”评分：可选 {'、'.join(PROCESSES)}")
    return found


def members(
    session: Session, profile: DistrictProfile, process: str = "awards"
) -> dict[str, Member]:
    """Every judge of PROCESS by code."""
    return process_of(process).members(session, profile)


def find_round(session: Session, process: Process, year: int) -> JudgingRound | None:
    return session.exec(
        select(JudgingRound).where(JudgingRound.process == process.key, JudgingRound.year == year)
    ).first()


def decide(
    session: Session,
    year: int,
    subject: str,
    kind: str,
    reason: str,
    *,
    rule: str = RULE,
    recorded: tuple[str, int | None, Mapping[str, Any]] | None = None,
) -> None:
    """A judging decision; `recorded` (inputs digest, seed, outcome) makes it re-derivable."""
    if recorded is None:
        session.add(
            Decision(process=FLOW, year=year, subject=subject, kind=kind, rule=rule, reason=reason)
        )
        return
    digest, seed, outcome = recorded
    session.add(
        decision(
            process=FLOW,
            year=year,
            subject=subject,
            kind=kind,
            rule=rule,
            reason=reason,
            inputs_digest=digest,
            rule_version=RULE_VERSION,
            outcome=outcome,
            seed=seed,
        )
    )


def issue_link(
    session: Session,
    *,
    process: Process,
    year: int,
    judge: Member,
    deadline: date,
    profile: DistrictProfile,
) -> str:
    """A new personal link to the judge's scoring page (one request per judge, process, year)."""
    return links.ask(
        session,
        purpose="judging",
        year=year,
        recipient=judge.code,
        subject=process.key,
        audience=f"judge-{judge.code}",
        deadline=clock.end_of_day(deadline, profile),
        details={"recipient_name": judge.name, "title": process.title(year)},
    )


def tell_judge(
    session: Session,
    process: Process,
    judge: Member,
    template: str,
    *,
    kind: str,
    year: int,
    deadline: date,
    profile: DistrictProfile,
    **context: Any,
) -> OutboxMessage | None:
    """Stage TEMPLATE of PROCESS to the judge, carrying a new personal link to their page."""
    url = issue_link(
        session, process=process, year=year, judge=judge, deadline=deadline, profile=profile
    )
    return stage_rendered(
        session,
        template,
        flow=FLOW,
        year=year,
        kind=process.kind(kind),
        recipient=judge.code,
        audience=f"judge-{judge.code}",
        name=judge.name,
        contest=process.contest,
        noun=process.noun,
        role=process.role,
        kept_from=process.kept_from,
        deadline=deadline,
        link=url,
        contact=process.contact(profile),
        **context,
    )


def open_round(
    *,
    year: int,
    deadline: date,
    today: date,
    now: datetime | None = None,
    process: str = "awards",
) -> dict[str, Any]:
    """Assign the year's items of PROCESS to its judges (k each, balanced, never a judge of
    the item's street, unit or community), store it and tell every judge, with their link.

    Opening a year already open changes nothing and sends nothing.
    """
    if deadline < today:
        raise JudgingError(f"评分截止日期{cn_date(deadline)}早于今天，请重新填写")
    scored = process_of(process)
    with session_scope() as session:
        existing = find_round(session, scored, year)
        if existing is not None:
            return {"year": year, "opened": False, "deadline": existing.deadline.isoformat()}
        profile = active_profile(session)
        judges = scored.members(session, profile)
        plan = scored.plan(session, profile, year, judges)
        loads = Counter(code for _, code in plan.pairs)
        limit = load_limit(
            pairs=len(plan.pairs), judges=len(judges), configured=plan.configured_limit
        )
        limit = max(limit, max(loads.values(), default=0))
        session.add(
            JudgingRound(
                process=scored.key,
                year=year,
                deadline=deadline,
                per_item=plan.per_item,
                load_limit=limit,
                seed=plan.seed,
                opened_at=now or utcnow(),
            )
        )
        digest = payload_digest(plan.payload)
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind=plan.snapshot,
            digest=digest,
            payload=plan.payload,
            rule_version=RULE_VERSION,
        )
        held: dict[str, list[str]] = defaultdict(list)
        for ref, code in plan.pairs:
            held[code].append(ref)
            session.add(JudgeAssignment(process=scored.key, year=year, ref=ref, judge=code))
        for s in plan.shortages:
            reason = f"需{s.needed}名{scored.role}，回避后仅{s.available}名可评（{scored.rule}）"
            outcome = {"needed": s.needed, "available": s.available}
            decide(
                session,
                year,
                s.ref,
                "judge_shortage",
                reason,
                rule=scored.rule,
                recorded=(digest, plan.seed, outcome),
            )
        for code, refs in sorted(held.items()):
            judge = judges[code]
            decide(
                session,
                year,
                judge.name,
                "judge_assigned",
                f"{scored.role}{judge.name}分配{len(refs)}项{scored.noun}：{'、'.join(refs)}，"
                f"均不属本人{scored.kept_from}（{scored.rule}）",
                rule=scored.rule,
                recorded=(digest, plan.seed, {"judge": code, "refs": refs}),
            )
            tell_judge(
                session,
                scored,
                judge,
                "judging_assigned",
                kind="assigned",
                year=year,
                deadline=deadline,
                profile=profile,
                count=len(refs),
            )
        return {
            "year": year,
            "process": scored.key,
            "opened": True,
            "deadline": deadline.isoformat(),
            "judges": len(held),
            "pairs": len(plan.pairs),
            "load_limit": limit,
            "shortages": [s.ref for s in plan.shortages],
        }


# --------------------------------------------------------------------------- a judge's page


class ItemView(ItemFacts):
    """One assigned item as its judge sees it: what a judge needs, nothing personal."""

    values: dict[str, str]  # what the form shows: the submitted score, else the draft
    submitted: bool
    draft_saved: datetime | None


class JudgePage(BaseModel):
    model_config = ConfigDict(frozen=True)

    view: LinkView
    process: str
    noun: str  # what one item is called on the page
    judge: Member
    rubric: Rubric
    items: list[ItemView]
    conflicts: list[tuple[str, str]]  # (ref, reason) declared by this judge
    deadline: date


def judge_page(token: str, *, now: datetime | None = None) -> JudgePage | None:
    """What the judge behind TOKEN sees; None when the token is no judging link."""
    view = open_link(token, now=now or utcnow())
    if view is None or view.purpose != "judging":
        return None
    with session_scope() as session:
        return page_of(session, view)


def page_of(session: Session, view: LinkView) -> JudgePage:
    profile = active_profile(session)
    scored = process_of(view.subject)
    judge = scored.members(session, profile).get(view.recipient)
    if judge is None:  # no longer a judge: the link opens nothing
        judge = Member(
            code=view.recipient,
            name=str(view.details.get("recipient_name", "")),
            street="",
            unit="",
        )
    rnd = find_round(session, scored, view.year)
    if rnd is None:
        raise JudgingError(f"{view.year}年度尚未开始评分")
    rows = session.exec(
        select(JudgeAssignment)
        .where(
            JudgeAssignment.process == scored.key,
            JudgeAssignment.year == view.year,
            JudgeAssignment.judge == judge.code,
        )
        .order_by(col(JudgeAssignment.ref))
    ).all()
    active = [a.ref for a in rows if a.status == "assigned"]
    facts = scored.facts(session, profile, view.year, active)
    scores = scored.scores(session, view.year, judge.name, active)
    drafts = judge_drafts(session, scored, year=view.year, judge=judge.code, refs=active)
    items = []
    for ref in active:
        fact = facts.get(ref)
        if fact is None or fact.conflicts & judge.conflicts:
            continue  # never shown: gone, or (after a re-import) of the judge's street or unit
        score, draft = scores.get(ref), drafts.get(ref)
        values = (
            dict(draft.values)
            if draft is not None
            else {k: f"{v:g}" for k, v in score.items()}
            if score is not None
            else {}
        )
        items.append(
            ItemView(
                **fact.model_dump(),
                values=values,
                submitted=score is not None and draft is None,
                draft_saved=draft.saved_at if draft is not None else None,
            )
        )
    return JudgePage(
        view=view,
        process=scored.key,
        noun=scored.noun,
        judge=judge,
        rubric=scored.rubric(profile),
        items=items,
        conflicts=[(a.ref, a.reason) for a in rows if a.status == "conflict"],
        deadline=rnd.deadline,
    )


def open_view(token: str, now: datetime) -> LinkView | str:
    view = open_link(token, now=now)
    if view is None or view.purpose != "judging":
        return "unknown"
    return view if view.state == "open" else view.state


def judge_drafts(
    session: Session, process: Process, *, year: int, judge: str, refs: list[str]
) -> dict[str, ScoreDraft]:
    """The saved, unsubmitted scores of one judge (by code) for these items."""
    return {
        d.ref: d
        for d in session.exec(
            select(ScoreDraft).where(
                ScoreDraft.process == process.key,
                ScoreDraft.year == year,
                ScoreDraft.judge == judge,
                col(ScoreDraft.ref).in_(refs),
            )
        ).all()
    }
