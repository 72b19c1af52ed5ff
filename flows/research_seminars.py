"""The theory-research group's seminars (R10.5): placed once a year into the planned calendar."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact

from tasks.calendar.reports import seminars_table
from tasks.calendar.seminars import SeminarPlan
from tasks.calendar.tasks import pending_messages_task, plan_seminars_task
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task


@flow(name="research-seminars", flow_run_name="seminars-{year}")
async def research_seminars(year: int | None = None) -> SeminarPlan:
    """理论研究组专题研讨（R10.5）：按季度在工作日安排，避开已有会议和宣传活动周，邀请研究组成员。"""
    year = year or clock.today().year
    plan = plan_seminars_task(year)
    get_run_logger().info(
        "%d seminars of %d %s", len(plan.seminars), year, "placed" if plan.placed else "kept"
    )
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_table_artifact(
        key=f"research-seminars-{year}",
        table=seminars_table(plan),
        description=f"{year}年理论研究组专题研讨安排",
    )
    return plan
