"""Prefect task wrapper of the KPI report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.common.documents import WrittenFile
from tasks.kpi.chart import write_kpi_chart
from tasks.kpi.report import collect_kpis, kpi_markdown, write_kpi_xlsx


@task(name="kpi-report", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def kpi_report_task(year: int, reports_dir: str) -> dict[str, Any]:
    """Collect the year's figures (and the years before it that have data); write the files
    into `reports_dir` (the year's folder of the reports)."""
    report = collect_kpis(year=year)
    history = [collect_kpis(year=y) for y in range(year - 4, year)]
    # earlier years count only if some process ran in them (the registers are current)
    history = [r for r in history if any(line.actual for line in r.lines if line.yearly)] + [report]
    out = Path(reports_dir)
    markdown = kpi_markdown(report)
    md_path = out / f"kpi-{year}.md"
    out.mkdir(parents=True, exist_ok=True)
    md_path.write_text(markdown, encoding="utf-8")
    xlsx = write_kpi_xlsx(report, out / f"kpi-{year}.xlsx")
    png = write_kpi_chart(history, out / f"kpi-{year}.png")
    documents = [
        WrittenFile(label=f"{year}年度学习型城区建设指标报告（文字）", path=str(md_path)),
        WrittenFile(label=f"{year}年度学习型城区建设指标（工作簿）", path=str(xlsx)),
        WrittenFile(label=f"{year}年度学习型城区建设指标图", path=str(png)),
    ]
    return {
        "year": year,
        "markdown": markdown,
        "files": [str(md_path), str(xlsx), str(png)],
        "documents": [d.model_dump() for d in documents],
        "lines": [line.model_dump() | {"met": line.met} for line in report.lines],
    }
