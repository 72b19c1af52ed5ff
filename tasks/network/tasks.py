"""Prefect task wrappers of the district network (each one retryable as a unit)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.network import records
from tasks.network.records import RolloutReport
from tasks.network.reports import network_markdown, write_network_xlsx

RETRY: dict[str, Any] = {"retries": 2, "retry_delay_seconds": [2, 10]}


@task(name="rollout-check", cache_policy=NO_CACHE, **RETRY)
def rollout_check_task(year: int, today: date) -> RolloutReport:
    return records.rollout_check(year=year, today=today)


@task(name="network-pending-messages", cache_policy=NO_CACHE, **RETRY)
def pending_messages_task(year: int) -> list[int]:
    return records.pending_message_ids(year)


@task(name="network-report", cache_policy=NO_CACHE, **RETRY)
def network_report_task(year: int, reports_dir: str) -> dict[str, Any]:
    """The registry report of `year`: Markdown and XLSX written, the figures returned."""
    report = records.network_report(year=year)
    out = Path(reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    markdown = network_markdown(report)
    md_path = out / f"network-{year}.md"
    md_path.write_text(markdown, encoding="utf-8")
    xlsx = write_network_xlsx(report, out / f"network-{year}.xlsx")
    return {
        "year": year,
        "markdown": markdown,
        "files": [str(md_path), str(xlsx)],
        "report": report.model_dump(mode="json"),
    }
