"""Prefect task wrappers of the annual-calendar functions (each one retryable as a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from models.params.calendar import (
    CalendarParameters,
    ConfirmParameters,
    MeetingChangeParameters,
    RsvpParameters,
)
from tasks.calendar import distribution, files, meetings, plan, records, seminars, summary
from tasks.calendar.distribution import DueReport
from tasks.calendar.placement import Schedule
from tasks.calendar.records import PlanInputs
from tasks.calendar.reports import write_calendar_notice
from tasks.calendar.scheduling import solve_schedule
from tasks.calendar.seminars import SeminarPlan
from tasks.common import clock
from tasks.common.documents import WrittenFile


def _retry_unless_refused(_task: Task[..., Any], _run: TaskRun, state: State[Any]) -> bool:
    """Retry I/O trouble, not a refusal (bad input or an impossible plan: a retry cannot help)."""
    return not isinstance(state.result(raise_on_failure=False), ValueError)


RETRY: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [2, 10],
    "retry_condition_fn": _retry_unless_refused,
}


@task(name="calendar-day", cache_policy=NO_CACHE)
def resolve_day_task(params: CalendarParameters) -> tuple[int, date]:
    """The year to plan and the business day to act on (parameters, else today)."""
    today = params.today or clock.today()
    return params.year or today.year, today


@task(name="calendar-is-planned", cache_policy=NO_CACHE, **RETRY)
def is_planned_task(year: int) -> bool:
    return records.is_planned(year)


@task(name="calendar-inputs", cache_policy=NO_CACHE)
def plan_inputs_task(params: CalendarParameters, year: int) -> PlanInputs:
    return records.plan_inputs(params, year=year)


@task(name="place-meetings", cache_policy=NO_CACHE)
def solve_task(inputs: PlanInputs) -> Schedule:
    """CP-SAT placement on working days (nothing written; infeasible raises with reasons)."""
    return solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)


@task(name="calendar-proposal", cache_policy=NO_CACHE, **RETRY)
def proposal_result_task(inputs: PlanInputs, schedule: Schedule) -> dict[str, Any]:
    """The placed year as the operator signs it off (nothing stored)."""
    return summary.proposal_result(inputs=inputs, schedule=schedule)


@task(name="record-calendar", cache_policy=NO_CACHE, **RETRY)
def record_calendar_task(
    inputs: PlanInputs, schedule: Schedule, operator: str, comment: str
) -> bool:
    """Store the signed-off year (its notices go out on their own dates)."""
    return plan.record_calendar(
        inputs=inputs, schedule=schedule, operator=operator, comment=comment
    )


@task(name="reject-calendar", cache_policy=NO_CACHE, **RETRY)
def record_rejection_task(
    inputs: PlanInputs, schedule: Schedule, operator: str, comment: str
) -> None:
    plan.record_rejection(inputs=inputs, schedule=schedule, operator=operator, comment=comment)


@task(name="calendar-files", cache_policy=NO_CACHE, **RETRY)
def write_year_files_task(year: int) -> list[str]:
    return [str(p) for p in files.write_year_files(year)]


@task(name="calendar-notice", cache_policy=NO_CACHE, **RETRY)
def calendar_notice_task(year: int, today: date) -> list[WrittenFile]:
    """The year's calendar notice as a Word document, dated `today`."""
    return write_calendar_notice(year, issued_on=today)


@task(name="stage-due-notices", cache_policy=NO_CACHE, **RETRY)
def stage_due_task(year: int, today: date) -> DueReport:
    return distribution.stage_due(year, today=today)


@task(name="calendar-result", cache_policy=NO_CACHE, **RETRY)
def calendar_result_task(year: int) -> dict[str, Any] | None:
    return summary.calendar_result(year)


@task(name="calendar-pending-messages", cache_policy=NO_CACHE)
def pending_messages_task(year: int) -> list[int]:
    return records.pending_message_ids(year)


@task(name="record-rsvp", cache_policy=NO_CACHE, **RETRY)
def rsvp_task(params: RsvpParameters) -> dict[str, Any]:
    return meetings.record_rsvp(
        year=params.year,
        key=params.event,
        attendee=params.attendee,
        response=params.response,
        audience=params.audience,
        comment=params.comment,
    )


@task(name="confirm-distribution", cache_policy=NO_CACHE, **RETRY)
def confirm_task(params: ConfirmParameters, today: date) -> dict[str, Any]:
    return distribution.confirm_distribution(
        year=params.year,
        community=params.community,
        confirmed_by=params.confirmed_by,
        note=params.note,
        today=today,
    )


@task(name="change-meeting", cache_policy=NO_CACHE, **RETRY)
def change_task(params: MeetingChangeParameters) -> dict[str, Any]:
    if params.action == "cancel":
        return meetings.cancel_meeting(
            year=params.year, key=params.event, reason=params.reason, operator=params.operator
        )
    if params.day is None and params.venue is None:
        raise records.CalendarError("改期须填写新的日期或新的会场")
    return meetings.move_meeting(
        year=params.year,
        key=params.event,
        day=params.day,
        venue=params.venue,
        reason=params.reason,
        operator=params.operator,
    )


@task(name="plan-seminars", cache_policy=NO_CACHE, **RETRY)
def plan_seminars_task(year: int) -> SeminarPlan:
    return seminars.plan_seminars(year=year)
