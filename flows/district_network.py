"""The district network (R2-R6, R8.3): the yearly community-school rollout check and the
registry report. Both are idempotent: a re-run writes and sends nothing twice."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from models.params.network import RolloutParameters
from tasks.common import clock
from tasks.common.documents import year_dir
from tasks.network.records import RolloutReport
from tasks.network.reports import rollout_rows
from tasks.network.tasks import network_report_task, pending_messages_task, rollout_check_task
from tasks.notify.delivery import deliver_outbox_task


@flow(name="community-school-rollout", flow_run_name="rollout-{params.year}")
async def community_school_rollout(params: RolloutParameters) -> RolloutReport:
    """街道社区学校推广年度检查（R8.3）：按计划为到期街道建立任务并提醒，逾期催办，开办后办结。"""
    logger = get_run_logger()
    today = params.today or clock.today()
    year = params.year or today.year
    report = rollout_check_task(year, today)
    logger.info(
        "rollout %d: %d actions, %d messages; %d of %d planned streets open by year end",
        year,
        len(report.actions),
        report.messages,
        report.open_by_year_end,
        report.due_by_year_end,
    )
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_table_artifact(
        key=f"community-school-rollout-{year}",
        table=rollout_rows(report) or [{"街道": "（区情配置未列推广计划）"}],
        description=(
            f"{year}年街道社区学校推广：计划年底前{report.due_by_year_end}个街道设立，"
            f"已登记开办{report.open_by_year_end}个"
        ),
    )
    return report


@flow(name="district-registry", flow_run_name="registry-{year}")
async def district_registry(year: int | None = None, today: date | None = None) -> dict[str, Any]:
    """社区教育网络登记表：一个中心、三级网络、四个基地、五支队伍，各街道计数（R2-R6）。"""
    day = today or clock.today()
    year = year or day.year
    result = network_report_task(year, str(year_dir(year)))
    await acreate_markdown_artifact(key=f"district-registry-{year}", markdown=result["markdown"])
    return result
