"""Scoring progress, reminders to late judges and the deadline (database side).

Each public function is one transaction. `progress` counts, per judge and per category,
assigned, scored, open, late and conflicts declared, and the nominations that would be flagged
now (fewer than k valid scores, counted by the awards' own aggregation rule).
`stage_reminders` reminds judges with open items on the working days the profile names before
the deadline, with a new link. `close_at_deadline` ends the round once its deadline has passed:
the flagged nominations are recorded and the operator is asked to extend or proceed;
`extend` and `proceed` record the answer.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.awards import CATEGORIES, AwardScore
from models.db import session_scope
from models.judging import JudgeAssignment, JudgingRound
from models.params.awards import AwardsParameters
from models.responses import ResponseRequest
from models.timeutil import utcnow
from tasks.awards.records import load_inputs, resolve_rules
from tasks.awards.rules import RULE
from tasks.common import clock
from tasks.common.decisions import keep_inputs, payload_digest
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.judging.audit import RULE_VERSION, count_valid, deadline_outcomes, deadline_payload
from tasks.judging.records import FLOW, PROCESS, JudgingError, decide, members, tell_judge
from tasks.judging.rules import progress_row, short_items
from tasks.notify.render import cn_date, render
from tasks.notify.staging import stage_message
from tasks.responses.rules import reminder_days


def _round(session: Session, year: int) -> JudgingRound:
    rnd = session.exec(
        select(JudgingRound).where(JudgingRound.process == PROCESS, JudgingRound.year == year)
    ).first()
    if rnd is None:
        raise JudgingError(f"{year}年度尚未开始评分")
    return rnd


def round_status(year: int) -> str | None:
    """The status of YEAR's round (open, due, proceeded), or None when none was opened."""
    with session_scope() as session:
        rnd = session.exec(
            select(JudgingRound).where(JudgingRound.process == PROCESS, JudgingRound.year == year)
        ).first()
        return None if rnd is None else rnd.status


def valid_scores(year: int) -> tuple[dict[str, int], dict[str, str]]:
    """Valid scores per eligible nomination (the awards' aggregation: recused rows dropped),
    and each nomination's category."""
    return count_valid(*load_inputs(year), resolve_rules(AwardsParameters(year=year)))


def progress(year: int, *, today: date | None = None) -> dict[str, Any]:
    """The `scoring --json` shape: the round, then rows per judge and per category."""
    valid, category_of = valid_scores(year)
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, year)
        today = today or clock.today(profile)
        past = today > rnd.deadline
        judges = members(session, profile)
        rows = session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.process == PROCESS, JudgeAssignment.year == year
            )
        ).all()
        names = {code: m.name for code, m in judges.items()}
        scored_pairs = {
            (s.ref, s.judge)
            for s in session.exec(select(AwardScore).where(AwardScore.year == year)).all()
        }
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
        category_rows = [
            progress_row(
                key=code,
                name=CATEGORIES.get(code, code),
                assigned=per_category[code]["assigned"],
                scored=per_category[code]["scored"],
                conflicts=per_category[code]["conflicts"],
                past_deadline=past,
            ).model_dump()
            for code in CATEGORIES
            if code in per_category
        ]
        return {
            "year": year,
            "deadline": rnd.deadline.isoformat(),
            "status": rnd.status,
            "per_item": rnd.per_item,
            "load_limit": rnd.load_limit,
            "judges": judge_rows,
            "categories": category_rows,
            "short": short_items(valid, per_item=rnd.per_item),
            "flagged": list(rnd.flagged),
        }


def stage_reminders(*, year: int, today: date, now: datetime | None = None) -> list[int]:
    """Remind every judge with open items, on the reminder days before the deadline (working
    days only); each reminder carries a new link and is staged once per judge and day."""
    now = now or utcnow()
    staged: list[int] = []
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, year)
        calendar = work_calendar(session)
        days = reminder_days(
            asked_on=clock.local_date(rnd.opened_at, profile),
            deadline_day=rnd.deadline,
            offsets=profile.awards.judging_reminder_offsets,
            calendar=calendar,
        )
        if rnd.status != "open" or today not in days or not calendar.is_working_day(today):
            return []
        judges = members(session, profile)
        scored = {
            (s.ref, s.judge)
            for s in session.exec(select(AwardScore).where(AwardScore.year == year)).all()
        }
        held: dict[str, list[str]] = {}
        for a in session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.process == PROCESS,
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


def close_at_deadline(*, year: int, today: date) -> dict[str, Any]:
    """Once the deadline has passed: flag every nomination with fewer than k valid scores,
    record it, and ask the operator (audience `operator`) to extend or proceed. Once."""
    rules = resolve_rules(AwardsParameters(year=year))
    nominations, scores = load_inputs(year)
    valid, category_of = count_valid(nominations, scores, rules)
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, year)
        if today <= rnd.deadline or rnd.status != "open":
            return {"year": year, "status": rnd.status, "flagged": list(rnd.flagged)}
        flagged = short_items(valid, per_item=rnd.per_item)
        payload = deadline_payload(
            nominations=nominations,
            scores=scores,
            rules=rules,
            per_item=rnd.per_item,
            deadline=rnd.deadline,
        )
        digest = payload_digest(payload)
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind="deadline",
            digest=digest,
            payload=payload,
            rule_version=RULE_VERSION,
        )
        outcomes = deadline_outcomes(valid, per_item=rnd.per_item, deadline=rnd.deadline)
        rnd.status, rnd.flagged = "due", flagged
        session.add(rnd)
        names = _nomination_names(session, year)
        for (ref, kind), outcome in outcomes.items():
            decide(
                session,
                year,
                ref,
                kind,
                f"评分于{cn_date(rnd.deadline)}截止时有效评分{valid[ref]}份，"
                f"少于{rnd.per_item}份，不参与排名（{RULE}）",
                recorded=(digest, None, outcome),
            )
        title, body = render(
            "judging_deadline",
            year=year,
            deadline=rnd.deadline,
            items=len(valid),
            per_item=rnd.per_item,
            complete=len(valid) - len(flagged),
            flagged=[
                (names.get(ref, ref), CATEGORIES.get(category_of[ref], ""), valid[ref])
                for ref in flagged
            ],
            contact=profile.contacts.awards,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind=f"deadline-{rnd.deadline.isoformat()}",
            recipient="operator",
            audience="operator",
            title=title,
            body=body,
        )
        return {"year": year, "status": "due", "flagged": flagged}


def _nomination_names(session: Session, year: int) -> dict[str, str]:
    from models.awards import Nomination

    rows = session.exec(select(Nomination.ref, Nomination.name).where(Nomination.year == year))
    return dict(rows.all())


def extend(*, year: int, deadline: date, operator: str, today: date) -> dict[str, Any]:
    """The operator extends the deadline: every judge's link stays open until the new day."""
    if deadline < today:
        raise JudgingError(f"新的评分截止日期{cn_date(deadline)}早于今天，请重新填写")
    with session_scope() as session:
        profile = active_profile(session)
        rnd = _round(session, year)
        previous = rnd.deadline
        rnd.deadline, rnd.status, rnd.flagged = deadline, "open", []
        session.add(rnd)
        for request in session.exec(
            select(ResponseRequest).where(
                ResponseRequest.purpose == "judging",
                ResponseRequest.year == year,
                col(ResponseRequest.closed_at).is_(None),
            )
        ).all():
            request.deadline = clock.end_of_day(deadline, profile)
            session.add(request)
        decide(
            session,
            year,
            f"deadline-{deadline.isoformat()}",
            "deadline_extended",
            f"{operator or '经办人'}将评分截止日期由{cn_date(previous)}延长至{cn_date(deadline)}",
        )
        return {"year": year, "status": "open", "deadline": deadline.isoformat()}


def proceed(*, year: int, operator: str) -> dict[str, Any]:
    """The operator proceeds with the scores there are; flagged nominations stay unranked."""
    with session_scope() as session:
        rnd = _round(session, year)
        rnd.status = "proceeded"
        session.add(rnd)
        decide(
            session,
            year,
            f"deadline-{rnd.deadline.isoformat()}",
            "proceeded",
            f"{operator or '经办人'}决定按现有评分继续评选；有效评分不足的"
            f"{len(rnd.flagged)}项提名不参与排名（{RULE}）",
        )
        return {"year": year, "status": "proceeded", "flagged": list(rnd.flagged)}
