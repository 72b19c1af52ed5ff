"""Scoring on the portal, each day: reminders to late judges, progress, and the deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.flow_runs import apause_flow_run
from prefect.runtime import flow_run

from flows.refusals import shown_if_refused
from models.params.judging import ScoringDeadline, ScoringParameters
from tasks.common import clock
from tasks.judging.reports import progress_summary, progress_table
from tasks.judging.tasks import (
    close_task,
    extend_task,
    pending_messages_task,
    proceed_task,
    progress_task,
    remind_task,
    round_status_task,
)
from tasks.notify.delivery import deliver_outbox_task

DECISION_TIMEOUT = 7 * 24 * 3600  # the operator has a week; the next daily run asks again


def _key(process: str, year: int, part: str = "") -> str:
    """`scoring-[part-]<year>` of the awards, `scoring-ideas-[part-]<year>` of the ideas."""
    words = ["scoring", *([process] if process != "awards" else []), *([part] if part else [])]
    return "-".join([*words, str(year)])


def _run_name() -> str:
    """`scoring-<year>`: a scheduled run leaves the year empty; it is the business day's."""
    params = ScoringParameters.model_validate(flow_run.parameters.get("params") or {})
    return _key(params.process, params.year or (params.today or clock.today()).year)


@flow(name="scoring-daily", flow_run_name=_run_name)
async def scoring_daily(params: ScoringParameters = ScoringParameters()) -> dict[str, Any]:
    """评分巡检：截止前按工作日提醒未完成评分的评委（附专属链接），更新评分进度表；
    截止后标出有效评分不足的提名，请经办人决定延长评分期限或按现有评分继续评选。"""
    today = params.today or clock.today()
    year = params.year or today.year
    async with shown_if_refused(_key(params.process, year, "refusal"), f"{year}年度评分巡检"):
        return await _daily(year, today, params.process)


async def _daily(year: int, today: date, process: str) -> dict[str, Any]:
    logger = get_run_logger()
    if round_status_task(year, process) is None:
        logger.info("no %s scoring round for %d: nothing to do", process, year)
        return {"year": year, "status": None}
    deliver_outbox_task(message_ids=remind_task(year, today, process))
    closed = close_task(year, today, process)
    result = await _publish(year, today, process)
    if closed["status"] != "due":
        return result
    deliver_outbox_task(message_ids=pending_messages_task(year))  # the operator's notice
    logger.info("scoring deadline passed; waiting for the operator to extend or proceed")
    answer = await apause_flow_run(
        wait_for_input=ScoringDeadline.with_initial_data(description=progress_summary(result)),
        timeout=DECISION_TIMEOUT,
        poll_interval=2,
    )
    if answer.decision == "extend" and answer.deadline is not None:
        extend_task(year, answer.deadline, answer.operator, today, process)
    else:
        proceed_task(year, answer.operator, process)
    return await _publish(year, today, process)


async def _publish(year: int, today: date, process: str) -> dict[str, Any]:
    result = progress_task(year, today, process)
    await acreate_table_artifact(
        key=_key(process, year),
        table=progress_table(result),
        description=progress_summary(result),
    )
    return result
