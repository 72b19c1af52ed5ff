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
from tasks.calendar.tasks import (
    calendar_notice_task,
    calendar_result_task,
    is_planned_task,
    local_today,
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
from tasks.common.documents import files_markdown
from tasks.notify.delivery import deliver_outbox_task


def _run_name() -> str:
    params = flow_run.parameters.get("params") or {}
    year = params.get("year") if isinstance(params, dict) else getattr(params, "year", None)
    return f"calendar-{year or 'current'}"


def calendar_table(result: dict[str, Any]) -> list[dict[str, object]]:
    """Rows of the year's calendar artifact: key days, then meetings in date order."""
    rows: list[dict[str, object]] = [
        {"日期": k["date"], "事项": k["title"], "会场": "", "参会对象": "街道、居委", "说明": ""}
        for k in result["key_days"]
    ]
    rows += [
        {
            "日期": e["date"],
            "事项": e["title"],
            "会场": e["venue"],
            "参会对象": "、".join(e["audiences"]),
            "说明": f"{e['start']}-{e['end']}，{e['invitees']}人，提醒 {'、'.join(e['reminders'])}"
            + ("（节假日为推算）" if e.get("estimated") else ""),
        }
        for e in result["events"]
    ]
    return sorted(rows, key=lambda r: str(r["日期"]))


def holidays_table(result: dict[str, Any]) -> list[dict[str, object]]:
    """Rows of the year's holiday artifact: weekdays off and make-up working days, each marked
    推算 when no notice or library data gives it."""
    return [
        {
            "日期": h["date"],
            "节日": h["name"],
            "类型": h["type"],
            "依据": "推算" if h["estimated"] else "通知",
        }
        for h in result["holidays"]
    ]


SIGN_OFF_TIMEOUT = 14 * 24 * 3600  # an operator has two weeks before the run fails


def proposal_markdown(result: dict[str, Any]) -> str:
    """The plan an operator signs off: the year's key days and meetings, and what signing does."""
    year = result["year"]
    month, week = result["publicity_month"], result["activity_week"]
    lines = [
        f"# {year}年社区教育年度安排（待审批）",
        "",
        f"- 社区教育宣传月：{month[0]} 至 {month[1]}；宣传活动周：{week[0]} 至 {week[1]}",
        f"- 社区教育宣传日：{result['publicity_day']}；宣传资料发放："
        f"{result['distribution']['request_on']} 起",
        "",
        "| 日期 | 时间 | 会议 | 会场 | 参会人数 | 通知发出 |",
        "|---|---|---|---|---|---|",
    ]
    for e in result["events"]:
        lines.append(
            f"| {e['date']} | {e['start']}-{e['end']} | {e['title']} | {e['venue']} | "
            f"{e['invitees']} | {e['invite_on']} |"
        )
    lines += [
        "",
        f"批准后保存年度安排；年度安排于 {result['plan_notice_on']} 起发各街道、居委，"
        "各会议通知在会前按期发出，不会在批准时一次发出。",
    ]
    lines += [f"注意：{note}" for note in result["notes"]]
    return "\n".join(lines)


async def _publish(result: dict[str, Any]) -> None:
    year = result["year"]
    notes = "；".join(result["notes"])
    await acreate_table_artifact(
        key=f"calendar-{year}",
        table=calendar_table(result),
        description=f"{year}年社区教育日历（R7.4、R7.5、R7.1）"
        + (f"。注意：{notes}" if notes else ""),
    )
    await acreate_table_artifact(
        key=f"holidays-{year}",
        table=holidays_table(result) or [{"日期": "（无）"}],
        description=f"{year}年节假日和调休上班日（{result['notes'][0]}）",
    )
    if result["recheck"]:
        await acreate_table_artifact(
            key=f"calendar-recheck-{year}",
            table=[{"须复核的日期": line} for line in result["recheck"]],
            description=f"{year}年节假日安排有变化，以下计划日期须复核（复核后用日历复核命令确认）",
        )
    coverage = result["distribution"]["coverage"]
    await acreate_table_artifact(
        key=f"distribution-coverage-{year}",
        table=coverage or [{"街道": "（无居委）"}],
        description=f"{year}年宣传资料发放确认情况（R7.2），按街道",
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
        key=f"calendar-documents-{year}",
        markdown=files_markdown(f"{year}年社区教育日历文件", files),
    )
    return result | {"documents": [f.model_dump() for f in files]}


def _daily_name() -> str:
    return f"calendar-daily-{flow_run.parameters.get('today') or 'today'}"


@flow(name="calendar-daily", flow_run_name=_daily_name)
async def calendar_daily(today: date | None = None) -> dict[str, Any]:
    """每日巡检：发送到期的宣传月节点通知、会议提醒、资料发放通知与催办（R7.4、R7.2、R7.5）。

    Covers this year and next (a January meeting is reminded in December).
    """
    day = today or local_today()
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
