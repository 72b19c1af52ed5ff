"""The whole year in order (R1): calendar, golden ideas, secondment, awards, KPI report.

Each step is a subflow of its own process, skippable, and safe to re-run: every process keeps
its decisions by year and sends nothing twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from flows.annual_calendar import annual_calendar
from flows.golden_ideas import open_ideas_campaign, review_ideas
from flows.learning_awards import learning_awards
from flows.teacher_secondment import teacher_secondment
from models.params.awards import AwardsParameters
from models.params.calendar import CalendarParameters
from models.params.cycle import AnnualCycleParameters
from models.params.ideas import CampaignParameters, ReviewParameters
from models.params.secondment import SecondmentParameters
from tasks.common import clock
from tasks.common.documents import WrittenFile, files_markdown, year_dir
from tasks.kpi.tasks import kpi_report_task


@flow(name="kpi-report")
async def kpi_report(year: int | None = None) -> dict[str, Any]:
    """年度学习型城区建设指标报告（R1、R8.3、R10）：Markdown、XLSX 和趋势图；年度留空为当年。"""
    year = year or clock.this_year()
    report = kpi_report_task(year, str(year_dir(year)))
    await acreate_markdown_artifact(key=f"kpi-report-{year}", markdown=report["markdown"])
    files = [WrittenFile.model_validate(d) for d in report["documents"]]
    await acreate_markdown_artifact(
        key=f"kpi-documents-{year}", markdown=files_markdown(f"{year}年度指标报告文件", files)
    )
    return report


@flow(name="annual-cycle", flow_run_name="annual-cycle-{params.year}")
async def annual_cycle(params: AnnualCycleParameters) -> dict[str, Any]:
    """年度循环：日历 → 金点子 → 教师挂职 → 学习型组织评选 → 指标报告；各环节可跳过、可重跑。"""
    logger = get_run_logger()
    year = params.year
    done: dict[str, Any] = {}
    if "calendar" not in params.skip:
        done["calendar"] = await annual_calendar(
            CalendarParameters(year=year, today=date(year, 1, 5), approval=params.approval)
        )
    if "ideas" not in params.skip:
        await open_ideas_campaign(
            CampaignParameters(year=year, start=date(year, 9, 1), seed=params.seed)
        )
        done["ideas"] = await review_ideas(
            ReviewParameters(year=year, approval=params.approval, today=date(year, 11, 2))
        )
    if "secondment" not in params.skip:
        done["secondment"] = await teacher_secondment(
            SecondmentParameters(year=year, approval=params.approval)
        )
    if "awards" not in params.skip:
        done["awards"] = await learning_awards(
            AwardsParameters(
                year=year,
                approval=params.approval,
                seed=params.seed,
                publicity_start=date(year, 12, 1),
            )
        )
    if "report" not in params.skip:
        done["report"] = await kpi_report(year)
    logger.info(
        "annual cycle %d: %s done, %s skipped",
        year,
        ", ".join(done) or "nothing",
        ", ".join(params.skip) or "nothing",
    )
    return {"year": year, "steps": list(done), "skipped": list(params.skip), "results": done}
