"""Scoring progress, reminders to late judges and the deadline (database side), per process.

Each public function is one transaction on one process's round (awards by default, or ideas).
`progress` counts, per judge and per category, assigned, scored, open, late and conflicts
declared, and the items that would be flagged now (fewer than k valid scores, counted by the
process's own rule: the awards' aggregation, or the scores of the reviewers holding an idea).
`stage_reminders` reminds judges with open items on the working days the profile names before
the deadline, with a new link. `close_at_deadline` ends the round once its deadline has passed:
the flagged items are recorded and the operator is asked to extend or proceed; `extend` and
`proceed` record the answer.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.db import session_scope
from models.judging import JudgeAssignment, JudgingRound
from models.responses import ResponseRequest
from models.timeutil import utcnow
from tasks.common import clock
from tasks.common.decisions import keep_inputs, payload_digest
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.judging.audit import RULE_VERSION, deadline_outcomes
from tasks.judging.processes import Process
from tasks.judging.records import (
    FLOW,
    JudgingError,
    decide,
    find_round,
    process_of,
    tell_judge,
)
from tasks.judging.rules import progress_row, short_items
from tasks.notify.render import cn_date
from tasks.notify.staging import stage_rendered
from tasks.responses.rules import reminder_days


def _round(session: Session, process: Process, year: int) -> JudgingRound:
    rnd = find_round(session, process, year)
    if rnd is None:
        raise JudgingError(f"{year}年度尚未开始评分")
    return rnd


def round_status(year: int, process: str = "awards") -> str | None:
    """The status of YEAR's round (open, due, proceeded), or None when none was opened."""
    with session_scope() as session:
        rnd = find_round(session, process_of(process), year)
        return None if rnd is None else rnd.status


def progress(year: int, *, today: date | None = None, process: str = "awards") -> dict[str, Any]:
    """The `scoring --json` shape: the round, then rows per judge and per category."""
    scored_by = process_of(process)
    valid, category_of, _ = scored_by.deadline_inputs(year)
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, scored_by, year)
        today = today or clock.today(profile)
        past = today > rnd.deadline
        judges = scored_by.members(session, profile)
        rows = session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.process == scored_by.key, JudgeAssignment.year == year
            )
        ).all()
        names = {code: m.name for code, m in judges.items()}
        scored_pairs = scored_by.scored(session, year)
        per_judge: dict[str, Counter[str]] = {}
        per_category: dict[str, Counter[str]] = {}
        for a in rows:
            name = names.get(a.judge, a.judge)
            category = category_of.get(a.ref, "")
            for counter in (
                per_judge.setdefault(a.judge, Counter()),
                per_category.setdefault(category, Counter()),
            ):
                if a.status == "conflict":
                    counter["conflicts"] += 1
                    continue
                counter["assigned"] += 1
                counter["scored"] += (a.ref, name) in scored_pairs
        judge_rows = [
            progress_row(
                key=code,
                name=names.get(code, code),
                assigned=c["assigned"],
                scored=c["scored"],
                conflicts=c["conflicts"],
                past_deadline=past,
            ).model_dump()
            for code, c in sorted(per_judge.items())
        ]
        categories = scored_by.categories(profile)
        category_rows = [
            progress_row(
                key=code,
                name=categories.get(code, code),
                assigned=per_category[code]["assigned"],
                scored=per_category[code]["scored"],
                conflicts=per_category[code]["conflicts"],
                past_deadline=past,
            ).model_dump()
            for code in categories
            if code in per_category
        ]
        return {
            "year": year,
            "process": scored_by.key,
            "deadline": rnd.deadline.isoformat(),
            "status": rnd.status,
            "per_item": rnd.per_item,
            "load_limit": rnd.load_limit,
            "judges": judge_rows,
            "categories": category_rows,
            "short": short_items(valid, per_item=rnd.per_item),
            "flagged": list(rnd.flagged),
        }


def stage_reminders(
    *, year: int, today: date, now: datetime | None = None, process: str = "awards"
) -> list[int]:
    """Remind every judge with open items, on the reminder days before the deadline (working
    days only); each reminder carries a new link and is staged once per judge and day."""
    now = now or utcnow()
    scored_by = process_of(process)
    staged: list[int] = []
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, scored_by, year)
        calendar = work_calendar(session)
        days = reminder_days(
            asked_on=clock.local_date(rnd.opened_at, profile),
            deadline_day=rnd.deadline,
            offsets=scored_by.reminder_offsets(profile),
            calendar=calendar,
        )
        if rnd.status != "open" or today not in days or not calendar.is_working_day(today):
            return []
        judges = scored_by.members(session, profile)
        scored = scored_by.scored(session, year)
        held: dict[str, list[str]] = {}
        for a in session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.process == scored_by.key,
                JudgeAssignment.year == year,
                JudgeAssignment.status == "assigned",
            )
        ).all():
            held.setdefault(a.judge, []).append(a.ref)
        for code, refs in sorted(held.items()):
            judge = judges.get(code)
            if judge is None:
                continue
            remaining = sum(1 for ref in refs if (ref, judge.name) not in scored)
            if not remaining:
                continue
            message = tell_judge(
                session,
                scored_by,
                judge,
                "judging_reminder",
                kind=f"reminder-{days.index(today) + 1}",
                year=year,
                deadline=rnd.deadline,
                profile=profile,
                assigned=len(refs),
                remaining=remaining,
            )
            if message is not None and message.id is not None:
                staged.append(message.id)
    return staged


def close_at_deadline(*, year: int, today: date, process: str = "awards") -> dict[str, Any]:
    """Once the deadline has passed: flag every item with fewer than k valid scores, record
    it, and ask the operator (audience `operator`) to extend or proceed. Once."""
    scored_by = process_of(process)
    valid, category_of, read = scored_by.deadline_inputs(year)
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, scored_by, year)
        if today <= rnd.deadline or rnd.status != "open":
            return {"year": year, "status": rnd.status, "flagged": list(rnd.flagged)}
        flagged = short_items(valid, per_item=rnd.per_item)
        payload = {**read, "per_item": rnd.per_item, "deadline": rnd.deadline.isoformat()}
        digest = payload_digest(payload)
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind=scored_by.deadline_snapshot,
            digest=digest,
            payload=payload,
            rule_version=RULE_VERSION,
        )
        outcomes = deadline_outcomes(valid, per_item=rnd.per_item, deadline=rnd.deadline)
        rnd.status, rnd.flagged = "due", flagged
        session.add(rnd)
        names = scored_by.item_names(session, year)
        categories = scored_by.categories(profile)
        for (ref, kind), outcome in outcomes.items():
            decide(
                session,
                year,
                ref,
                kind,
                f"评分于{cn_date(rnd.deadline)}截止时有效评分{valid[ref]}份，"
                f"少于{rnd.per_item}份，不参与排名（{scored_by.rule}）",
                rule=scored_by.rule,
                recorded=(digest, None, outcome),
            )
        stage_rendered(
            session,
            "judging_deadline",
            flow=FLOW,
            year=year,
            kind=scored_by.kind(f"deadline-{rnd.deadline.isoformat()}"),
            recipient="operator",
            audience="operator",
            contest=scored_by.contest,
            noun=scored_by.noun,
            deadline=rnd.deadline,
            items=len(valid),
            per_item=rnd.per_item,
            complete=len(valid) - len(flagged),
            flagged=[
                (names.get(ref, ref), categories.get(category_of.get(ref, ""), ""), valid[ref])
                for ref in flagged
            ],
            contact=scored_by.contact(profile),
        )
        return {"year": year, "status": "due", "flagged": flagged}


def extend(
    *, year: int, deadline: date, operator: str, today: date, process: str = "awards"
) -> dict[str, Any]:
    """The operator extends the deadline: every judge's link stays open until the new day."""
    if deadline < today:
        raise JudgingError(f"新的评分截止日期{cn_date(deadline)}早于今天，请重新填写")
    scored_by = process_of(process)
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, scored_by, year)
        previous = rnd.deadline
        rnd.deadline, rnd.status, rnd.flagged = deadline, "open", []
        session.add(rnd)
        for request in session.exec(
            select(ResponseRequest).where(
                ResponseRequest.purpose == "judging",
                ResponseRequest.year == year,
                ResponseRequest.subject == scored_by.key,
                col(ResponseRequest.closed_at).is_(None),
            )
        ).all():
            request.deadline = clock.end_of_day(deadline, profile)
            session.add(request)
        decide(
            session,
            year,
            scored_by.kind(f"deadline-{deadline.isoformat()}"),
            "deadline_extended",
            f"{operator or '经办人'}将评分截止日期由{cn_date(previous)}延长至{cn_date(deadline)}",
            rule=scored_by.rule,
        )
        return {"year": year, "status": "open", "deadline": deadline.isoformat()}


def proceed(*, year: int, operator: str, process: str = "awards") -> dict[str, Any]:
    """The operator proceeds with the scores there are; flagged items stay unranked."""
    scored_by = process_of(process)
    with session_scope() as session:
        rnd = _round(session, scored_by, year)
        rnd.status = "proceeded"
        session.add(rnd)
        decide(
            session,
            year,
            scored_by.kind(f"deadline-{rnd.deadline.isoformat()}"),
            "proceeded",
            f"{operator or '经办人'}决定按现有评分继续评选；有效评分不足的"
            f"{len(rnd.flagged)}项{scored_by.noun}不参与排名（{scored_by.rule}）",
            rule=scored_by.rule,
        )
        return {"year": year, "status": "proceeded", "flagged": list(rnd.flagged)}
