"""Open playgrounds (R8.2): the daily closure notices and the weekly schedule per street.

Both are idempotent: a notice or a week already staged is not staged again.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact

from models.params.network import PlaygroundParameters
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task
from tasks.playgrounds.records import WeekPlan
from tasks.playgrounds.reports import closure_rows, week_rows
from tasks.playgrounds.rules import week_of
from tasks.playgrounds.tasks import closure_notices_task, pending_messages_task, publish_week_task


@flow(name="playground-notices", flow_run_name="playground-notices")
async def playground_notices(
    params: PlaygroundParameters = PlaygroundParameters(),
) -> dict[str, Any]:
    """学校操场暂停开放通知（R8.2）：节假日、考试等暂停开放的前一个工作日通知所在街道各社区。"""
    today = params.today or clock.today()
    staged = closure_notices_task(today)
    get_run_logger().info("%s: %d closures announced", today, len(staged))
    deliver_outbox_task(message_ids=pending_messages_task([c.first.year for c in staged]))
    if staged:
        await acreate_table_artifact(
            key=f"playground-closures-{today.isoformat()}",
            table=closure_rows(staged),
            description=f"{today}发出的学校操场暂停开放通知",
        )
    return {"today": today.isoformat(), "closures": [c.model_dump(mode="json") for c in staged]}


@flow(name="playground-schedule", flow_run_name="playground-schedule")
async def playground_schedule(
    params: PlaygroundParameters = PlaygroundParameters(),
) -> WeekPlan:
    """学校操场下周开放安排（R8.2）：按街道发送到各社区，含季节时间和暂停开放的日子。"""
    today = params.today or clock.today()
    monday, _ = week_of(today)
    plan = publish_week_task(monday)
    deliver_outbox_task(message_ids=pending_messages_task([monday.year]))
    await acreate_table_artifact(
        key=f"playground-week-{monday.isoformat()}",
        table=week_rows(plan) or [{"街道": "（尚未登记开放时间）"}],
        description=f"{monday}起一周学校操场开放安排，按街道",
    )
    return plan
