"""Answers through personal links: announce what was not announced; remind who has not answered."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from models.params.responses import ResponsesParameters
from tasks.awards.tasks import announce_objections_task
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task
from tasks.responses.reports import status_markdown, status_summary, status_table
from tasks.responses.tasks import announce_task, remind_task, status_task


@flow(name="responses-announce")
async def announce_answers(older_than_seconds: float = 30.0) -> int:
    """回复事件补发：凡已保存但未发出事件的回复和公示异议，在此补发（重复补发无害）。"""
    return announce_task(older_than_seconds) + announce_objections_task(older_than_seconds)


@flow(name="responses-daily")
async def responses_daily(params: ResponsesParameters = ResponsesParameters()) -> dict[str, Any]:
    """回复情况巡检：提醒截止前未回复的人员，更新回复情况表。"""
    today = params.today or clock.today()
    year = params.year or today.year
    reminded = remind_task(today)
    deliver_outbox_task(message_ids=reminded)
    rows = status_task(year)
    await acreate_table_artifact(
        key=f"responses-{year}",
        table=status_table(rows),
        description=f"{year}年度需回复事项：谁已回复、谁未回复",
    )
    await acreate_markdown_artifact(
        key=f"responses-summary-{year}", markdown=status_markdown(year, rows)
    )
    return {
        "year": year,
        "today": today.isoformat(),
        "reminded": len(reminded),
        "status": status_summary(rows),
    }
