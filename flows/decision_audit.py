"""The weekly audit of automated decisions: each one re-derived from its recorded inputs."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from tasks.audit.reports import as_json, markdown, summary
from tasks.audit.tasks import audit_year_task, tell_operator_task
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task


@flow(name="decision-audit", flow_run_name="audit-{year}")
async def decision_audit(year: int | None = None, today: date | None = None) -> dict[str, Any]:
    """自动决定复核：按记录的输入、种子和规则重新核算每项自动决定，与记录不一致时提示并告知管理员。

    Without a year it checks the current and the previous year (a January run still sees the
    decisions of December)."""
    day = today or clock.today()
    years = [year] if year else [day.year - 1, day.year]
    logger = get_run_logger()
    found: dict[str, Any] = {}
    for y in years:
        result = audit_year_task(y)
        logger.info(
            "audit %d: %d checked, %d differences", y, result.checked, len(result.differences)
        )
        found[str(y)] = as_json(result)
        if result.ok:
            continue
        await acreate_markdown_artifact(
            key=f"decision-audit-{y}", markdown=markdown(result), description=summary(result)
        )
        message = tell_operator_task(result, day)
        if message is not None:
            deliver_outbox_task(message_ids=[message])
    return found
