"""`learning-district demo`: the pilot year on embedded defaults, start to finish.

Generates a realistic roster, imports it through the real importer, runs the secondment with
auto-approval on a local Prefect server, simulates one decline and its replacement, runs the
year again to show nothing is sent twice, and prints who went where, why, and what was sent.
Then the rest of the year: the calendar, the golden-idea campaign, the learning awards, and the
KPI report.
"""

from __future__ import annotations

import asyncio
import csv
import os
import shutil
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlmodel import select

from models.results.secondment import SecondmentResult

TEACHER_HEADERS = [
    "工号",
    "姓名",
    "学校",
    "学科",
    "教龄",
    "在职",
    "年度考核",
    "政治素质",
    "综合能力",
    "群众工作",
    "骨干教师",
    "上次挂职年份",
    "意向街道",
    "暂缓",
    "手机",
]


def write_roster_csv(path: Path, *, teachers: int, seed: int, year: int) -> Path:
    """Write a generated roster as the CSV a school office would send (Chinese headers)."""
    from models.profile.loading import load_profile
    from tasks.samples.roster import generate_roster

    profile, _ = load_profile(None)
    roster = generate_roster(
        count=teachers,
        schools=[s.name for s in profile.schools],
        streets=profile.street_names,
        seed=seed,
        year=year,
    )
    yes_no = {True: "是", False: "否"}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TEACHER_HEADERS)
        for t in roster:
            writer.writerow(
                [
                    t.staff_id,
                    t.name,
                    t.school,
                    t.subject,
                    t.years_teaching,
                    yes_no[t.in_service],
                    t.annual_rating,
                    t.political_score,
                    t.ability_score,
                    t.community_work_score,
                    yes_no[t.backbone],
                    t.last_secondment_year or "",
                    "、".join(t.preferred_streets),
                    yes_no[t.deferred],
                    t.phone,
                ]
            )
    return path


def run_demo(
    *, teachers: int, seed: int, year: int, console: Console, secondment_only: bool = False
) -> None:
    """Run the demo in `<data dir>/demo` (wiped first; your own data is not touched)."""
    from models.settings import get_settings

    base = get_settings().data_dir
    demo_dir = (base / "demo").resolve()
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    os.environ["LD_DATA_DIR"] = str(demo_dir)
    os.environ.pop("LD_DATABASE_URL", None)
    os.environ.pop("LD_APPRISE_CONFIG", None)
    get_settings.cache_clear()

    from deployments.runtime.server import prefect_api
    from flows.teacher_secondment import secondment_decline, teacher_secondment
    from models.db import migrate
    from models.params.secondment import DeclineParameters, SecondmentParameters
    from tasks.common.district import init_registry
    from tasks.importing.teachers import import_teachers_file

    # the demo prints its own story; Prefect's per-task lines would drown it
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    import logging

    logging.getLogger("prefect").setLevel(os.environ["PREFECT_LOGGING_LEVEL"])
    console.rule(f"learning-district demo — {year}年度教师挂职选派（R10.2）")
    migrate()
    profile, _ = init_registry(None)
    pilots = [s.name for s in profile.streets if s.pilot]
    console.print(
        f"1. district profile loaded: {profile.district}, pilot streets {'、'.join(pilots)}"
    )
    roster_file = write_roster_csv(
        demo_dir / "teachers.csv", teachers=teachers, seed=seed, year=year
    )
    summary = import_teachers_file(roster_file, current_year=year)
    console.print(f"2. imported {summary.inserted} teachers from {roster_file.name} (seed {seed})")
    console.print("3. starting a local Prefect server …")
    with prefect_api() as api_url:
        console.print(f"   Prefect UI: {api_url.removesuffix('/api')}")
        params = SecondmentParameters(year=year, approval="auto")
        result = asyncio.run(teacher_secondment(params))
        _print_result(console, result)
        first = result.assignments[0]
        console.print(f"5. {first.staff_id} declines {first.street} (simulated) …")
        outcome = asyncio.run(
            secondment_decline(
                DeclineParameters(year=year, staff_id=first.staff_id, reason="家中老人需要照顾")
            )
        )
        console.print(
            f"   replaced by {outcome.replacement} (score {outcome.score or 0:.2f}): "
            f"{outcome.reason}"
        )
        before = _sent_count()
        asyncio.run(teacher_secondment(params))
        console.print(
            f"6. the {year} run again: nothing changed, {_sent_count() - before} messages sent"
        )
        _print_messages(console, demo_dir)
        if secondment_only:
            return
        _rest_of_the_year(year=year, console=console)


def _rest_of_the_year(*, year: int, console: Console) -> None:
    """The other processes of the year on the same database, then the KPI report (R1)."""
    from deployments.demo.awards import run_awards_demo
    from deployments.demo.calendar import run_calendar_demo
    from deployments.demo.ideas import run_ideas_demo
    from deployments.demo.network import run_network_demo
    from flows.annual_cycle import kpi_report

    run_calendar_demo(year=year, console=console)
    run_ideas_demo(year=year, console=console)
    console.rule(f"{year}年度学习型组织评选（R11.2）")
    run_awards_demo(year=year, console=console)
    volunteers = _import_volunteers(year)
    run_network_demo(year=year, console=console)
    console.rule(f"{year}年度指标报告（R1）")
    console.print(f"志愿者和讲师团（R10.3、R10.4）: {volunteers}")
    report = asyncio.run(kpi_report(year))
    table = Table(title=f"{year}年度学习型城区建设指标")
    for column in ("指标", "政策", "实际", "目标", "达成"):
        table.add_column(column)
    for line in report["lines"]:
        met = {None: "—", True: "达成", False: "未达成"}[line["met"]]
        target = "—" if line["target"] is None else str(line["target"])
        table.add_row(line["label"], line["rule"], str(line["actual"]), target, met)
    console.print(table)
    _print_documents(console, year)
    _print_outbox(console)


def _print_outbox(console: Console) -> None:
    """The year's closing count: every message delivered, or how many are still pending."""
    from models.db import session_scope
    from models.outbox import OutboxMessage
    from models.settings import get_settings

    with session_scope() as session:
        statuses = Counter(m for m in session.exec(select(OutboxMessage.status)).all())
    delivered = statuses.pop("delivered", 0)
    pending = sum(statuses.values())
    console.print(
        f"messages of the year: {delivered} delivered, {pending} pending"
        + (f" ({dict(statuses)})" if pending else "")
        + f"; read them in {get_settings().outbox_file.resolve()}"
    )


DOCUMENTS = {  # file name without the year → what it is, for the summary
    "calendar-notice.docx": "年度社区教育宣传月活动和会议安排通知（Word）",
    "secondment-notice.docx": "街道社区教育助理选派通知（Word）",
    "secondment.xlsx": "挂职选派名单、不符合条件名单（工作簿）",
    "awards-publicity.docx": "学习型组织评选拟表彰对象公示（Word）",
    "awards-commendation.docx": "表彰决定及表彰名单（Word）",
    "awards.xlsx": "评选结果，每类一张工作表（工作簿）",
    "kpi.md": "学习型城区建设指标报告（文字）",
    "kpi.xlsx": "学习型城区建设指标（工作簿）",
    "kpi.png": "学习型城区建设指标图",
}


def _print_documents(console: Console, year: int) -> None:
    """Every document of the year under the reports folder: what it is and its file."""
    from tasks.common.documents import year_dir

    folder = year_dir(year)
    console.rule(f"{year}年度文件")
    console.print(f"written under {folder}")
    table = Table()
    table.add_column("文件")
    table.add_column("内容")
    for path in sorted(folder.glob("*.*")):
        if path.name.startswith("."):
            continue
        table.add_row(path.name, DOCUMENTS.get(path.name.replace(f"-{year}.", "."), ""))
    console.print(table)


def _import_volunteers(year: int) -> str:
    """Register a generated list of volunteers and lecturers through the real importer."""
    from models.db import session_scope
    from models.settings import get_settings
    from tasks.common.district import active_profile
    from tasks.importing.volunteers import import_volunteers_file
    from tasks.samples.year import write_volunteers_csv

    with session_scope() as session:
        profile = active_profile(session)
    path = write_volunteers_csv(
        get_settings().data_dir / "volunteers.csv", profile, year=year, seed=2026
    )
    summary = import_volunteers_file(path, year=year)
    return f"imported {summary.inserted} people from {path.name}"


def _print_result(console: Console, result: SecondmentResult) -> None:
    table = Table(title=f"4. {result.year}年度选派结果（{result.status}）", show_lines=False)
    for column in ("街道", "工号", "学校", "得分", "为什么"):
        table.add_column(column)
    for a in result.assignments:
        why = "骨干教师" if a.backbone else ""
        why += ("，" if why else "") + "意向街道+5" if a.preferred else ""
        table.add_row(a.street, a.staff_id, a.school, f"{a.score:.2f}", why)
    console.print(table)
    reasons = Counter(r.split("（")[0][:12] for i in result.ineligible for r in i.reasons)
    console.print(
        f"   total score {result.total_score:.3f} (proven optimal); "
        f"{len(result.ineligible)} teachers not eligible, e.g. "
        + "；".join(f"{r}… ×{n}" for r, n in reasons.most_common(3))
    )


def _sent_count() -> int:
    from models.db import session_scope
    from models.outbox import DeliveryAttempt

    with session_scope() as session:
        return len(session.exec(select(DeliveryAttempt.id).where(DeliveryAttempt.ok)).all())


def _print_messages(console: Console, demo_dir: Path) -> None:
    from models.db import session_scope
    from models.outbox import OutboxMessage

    with session_scope() as session:
        messages = session.exec(select(OutboxMessage)).all()
    kinds = Counter(m.audience.split("-")[0] for m in messages)
    statuses = Counter(m.status for m in messages)
    console.print(
        f"7. notifications: {len(messages)} messages — "
        + "，".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        + f"; status {dict(statuses)}"
    )
    console.print(f"   read them in {demo_dir / 'outbox.jsonl'} (no Apprise config set)")
    if messages:
        sample = next(m for m in messages if m.audience.startswith("teacher-"))
        console.print(f"   e.g. to {sample.audience}: {sample.title}")
