"""The annual calendar (R7.4, R7.2, R7.5, R7.1): plan the year, then keep it moving every day.

Planning a year is not sending it. `annual-calendar` places the year's meetings and trainings on
Chinese working days and proposes the plan; an operator signs it off (the Prefect UI form, or
approval=auto), and only then is it stored, with its calendar files and distribution campaign.
Nothing is sent at sign-off beyond what is due that day: every notice goes out on its own date
(`calendar-daily`): the plan to the offices a lead time before the year, each invitation a lead
time before its meeting, reminders, key-day notices, distribution requests and follow-ups. Both
flows are idempotent: a re-run for the same year and day writes and sends nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run
from prefect.runtime import flow_run

from models.params.calendar import CalendarParameters, CalendarSignOff
from tasks.calendar.reports import documents_markdown, proposal_markdown, year_tables
from tasks.calendar.tasks import (
    calendar_notice_task,
    calendar_result_task,
    is_planned_task,
    pending_messages_task,
    plan_inputs_task,
    proposal_result_task,
    record_calendar_task,
    record_rejection_task,
    resolve_day_task,
    solve_task,
    stage_due_task,
    write_year_files_task,
)
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task


def _run_name() -> str:
    params = flow_run.parameters.get("params") or {}
    year = params.get("year") if isinstance(params, dict) else getattr(params, "year", None)
    return f"calendar-{year or 'current'}"


SIGN_OFF_TIMEOUT = 14 * 24 * 3600  # an operator has two weeks before the run fails


async def _publish(result: dict[str, Any]) -> None:
    for artifact in year_tables(result):
        await acreate_table_artifact(
            key=artifact.key, table=artifact.table, description=artifact.description
        )


@flow(name="annual-calendar", flow_run_name=_run_name, log_prints=False)
async def annual_calendar(
    params: CalendarParameters = CalendarParameters(),
) -> dict[str, Any]:
    """年度社区教育日历：拟定年度安排（宣传月、活动周、宣传日、会议和培训排期），经办人员审批后
    保存；各项通知按各自日期发送。

    A year already signed off is not placed again (moves and cancellations stay as decided);
    the run then only sends what has fallen due and was never sent.
    """
    logger = get_run_logger()
    year, today = resolve_day_task(params)
    if not is_planned_task(year):
        inputs = plan_inputs_task(params, year)
        schedule = solve_task(inputs)
        logger.info(
            "placed %d meetings for %d (%s, cost %d) in %.2f s",
            len(schedule.events),
            year,
            schedule.status,
            schedule.cost,
            schedule.solve_seconds,
        )
        for note in schedule.notes:
            logger.warning(note)
        proposal = proposal_result_task(inputs, schedule)
        summary = proposal_markdown(proposal)
        await acreate_markdown_artifact(key=f"calendar-proposal-{year}", markdown=summary)
        if params.approval == "auto":
            sign_off = CalendarSignOff(decision="approve", operator="auto", comment="自动批准")
        else:
            logger.info("waiting for an operator to sign off the %d plan (Prefect UI)", year)
            sign_off = await apause_flow_run(
                wait_for_input=CalendarSignOff.with_initial_data(description=summary),
                timeout=SIGN_OFF_TIMEOUT,
                poll_interval=2,
            )
        if sign_off.decision == "reject":
            record_rejection_task(inputs, schedule, sign_off.operator, sign_off.comment)
            logger.info("the %d plan was sent back; nothing stored, nothing sent", year)
            return {**proposal, "status": "rejected", "comment": sign_off.comment}
        record_calendar_task(inputs, schedule, sign_off.operator, sign_off.comment)
    else:
        logger.info("the %d calendar is already planned; sending only what is due", year)
    write_year_files_task(year)
    due = stage_due_task(year, today)
    logger.info("%d notices due on %s staged", due.total, today)
    deliver_outbox_task(message_ids=pending_messages_task(year))
    result = calendar_result_task(year)
    assert result is not None  # planned above
    await _publish(result)
    files = calendar_notice_task(year, today)
    await acreate_markdown_artifact(
        key=f"calendar-documents-{year}", markdown=documents_markdown(year, files)
    )
    return result | {"documents": [f.model_dump() for f in files]}


def _daily_name() -> str:
    return f"calendar-daily-{flow_run.parameters.get('today') or 'today'}"


@flow(name="calendar-daily", flow_run_name=_daily_name)
async def calendar_daily(today: date | None = None) -> dict[str, Any]:
    """每日巡检：发送到期的宣传月节点通知、会议提醒、资料发放通知与催办（R7.4、R7.2、R7.5）。

    Covers this year and next (a January meeting is reminded in December).
    """
    day = today or clock.today()
    staged: dict[str, Any] = {}
    for year in (day.year, day.year + 1):
        if not is_planned_task(year):
            continue
        staged[str(year)] = stage_due_task(year, day).model_dump()
        deliver_outbox_task(message_ids=pending_messages_task(year))
        result = calendar_result_task(year)
        if result is not None:
            await _publish(result)
    return {"today": day.isoformat(), "staged": staged}
