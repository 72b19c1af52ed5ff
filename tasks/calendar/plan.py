"""Recording a signed-off year (its meetings, files and distribution campaign) or its rejection."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from models.audit import Decision
from models.db import session_scope
from models.meetings import CalendarYear, Distribution
from models.timeutil import utcnow
from tasks.calendar.files import (
    meeting_times,
)
from tasks.calendar.placement import Schedule
from tasks.calendar.records import FLOW, PlanInputs, new_meeting, record_schedule
from tasks.calendar.rules import (
    distribution_request_day,
    publicity_calendar,
)
from tasks.common.district import profile_in_force


def record_calendar(
    *,
    inputs: PlanInputs,
    schedule: Schedule,
    operator: str = "",
    comment: str = "",
    now: datetime | None = None,
) -> bool:
    """Store the signed-off year, its files and its distribution campaign at once.

    Nothing is sent here: the plan notice, the invitations and the distribution requests go out
    on their own dates (`stage_due`). Returns False (and writes nothing) when the year is
    already planned: re-runs are no-ops.
    """
    year = inputs.year
    now = now or utcnow()
    profile = profile_in_force()
    policy = profile.calendar
    workdays = inputs.rules.workdays  # the calendar the meetings were placed on
    publicity = publicity_calendar(year, workdays=workdays)
    request_on = distribution_request_day(policy, year, workdays=workdays)
    with session_scope() as session:
        if session.get(CalendarYear, year) is not None:
            return False
        session.add(
            CalendarYear(
                year=year,
                publicity_day=publicity.publicity_day,
                activity_week_start=publicity.activity_week_start,
                activity_week_end=publicity.activity_week_end,
                notes=sorted({*publicity.notes, *schedule.notes}),
                rules=inputs.rules.model_dump(mode="json"),
                solver_status=schedule.status,
                cloned_from=inputs.clone_from,
                inputs_digest=schedule.inputs_digest,
                created_at=now,
            )
        )
        session.flush()
        meetings = []
        record_schedule(
            session, schedule, (inputs.events, inputs.venues, inputs.rules), year=year, now=now
        )
        for placed in schedule.events:
            meeting = new_meeting(
                placed,
                year=year,
                district=profile.district,
                times=meeting_times(policy, placed.kind),
                now=now,
                cloned_from=inputs.cloned_uids.get(placed.key),
            )
            session.add(meeting)
            meetings.append(meeting)
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject="plan",
                kind="signed_off",
                rule="R7.4",
                reason=f"{operator or '经办人员'}批准{year}年社区教育年度安排"
                f"（{len(meetings)}个会议和培训）：{comment or '无意见'}",
                inputs_digest=schedule.inputs_digest,
                seed=inputs.rules.seed,
                decided_at=now,
            )
        )
        session.flush()
        for street in profile.streets:
            for community in street.communities:
                session.add(
                    Distribution(
                        year=year, community=community, street=street.name, requested_on=request_on
                    )
                )
    return True


def record_rejection(
    *, inputs: PlanInputs, schedule: Schedule, operator: str = "", comment: str = ""
) -> None:
    """Keep an operator's rejection of a proposed plan on record; nothing else is written."""
    subject = f"plan-{schedule.inputs_digest[:16]}"
    reason = f"{operator or '经办人员'}退回{inputs.year}年年度安排：{comment or '无意见'}"
    with session_scope() as session:
        existing = session.exec(
            select(Decision).where(
                Decision.process == FLOW,
                Decision.year == inputs.year,
                Decision.subject == subject,
                Decision.kind == "rejected",
            )
        ).first()
        if existing is None:
            session.add(
                Decision(
                    process=FLOW,
                    year=inputs.year,
                    subject=subject,
                    kind="rejected",
                    rule="R7.4",
                    reason=reason,
                    inputs_digest=schedule.inputs_digest,
                )
            )
        else:
            existing.reason, existing.decided_at = reason, utcnow()
