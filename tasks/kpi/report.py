"""The annual KPI report (R1, R8.3, R10): the year's figures against the profile's targets.

`collect_kpis` reads the year from the database (one session); the rest renders it as Markdown
(Chinese), an XLSX workbook and a PNG trend chart.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.awards import AwardEntry
from models.db import session_scope
from models.ideas import Idea, IdeaAction, IdeaResult
from models.meetings import Meeting, Rsvp
from models.secondment import Assignment
from models.volunteers import Volunteer
from tasks.common.district import active_profile
from tasks.common.xlsx import Column, add_table, new_workbook, save_workbook
from tasks.kpi.lines import KpiLine
from tasks.kpi.policy import (
    community_school_streets,
    community_school_target,
    policy_lines,
    policy_per_street,
)

ANNUAL_MEETINGS = ("work_conference", "theory_symposium", "experience_exchange")


class KpiReport(BaseModel):
    year: int
    district: str
    goal_year: int | None
    lines: list[KpiLine]
    per_street: list[dict[str, object]]


def _count(session: Session, statement: object) -> int:
    return int(session.exec(statement).one())  # type: ignore[call-overload]


def collect_kpis(*, year: int) -> KpiReport:
    """The year's figures from every process, with the profile's targets."""
    with session_scope() as session:
        profile = active_profile(session)
        targets = profile.kpi
        school_streets = community_school_streets(session, year=year)
        seconded = session.exec(
            select(Assignment).where(Assignment.year == year, Assignment.status == "active")
        ).all()
        received = _count(session, select(func.count()).select_from(Idea).where(Idea.year == year))
        adopted = _count(
            session,
            select(func.count())
            .select_from(IdeaResult)
            .where(IdeaResult.year == year, IdeaResult.tier != ""),
        )
        done = _count(
            session,
            select(func.count())
            .select_from(IdeaAction)
            .where(IdeaAction.year == year, IdeaAction.status == "done"),
        )
        meetings = session.exec(
            select(Meeting).where(Meeting.year == year, Meeting.status == "scheduled")
        ).all()
        training_ids = [m.id for m in meetings if m.kind == "cadre_training"]
        attendance = _count(
            session,
            select(func.count())
            .select_from(Rsvp)
            .where(col(Rsvp.meeting_id).in_(training_ids), Rsvp.response == "accepted"),
        )
        people = session.exec(select(Volunteer).where(Volunteer.year == year)).all()
        awards = session.exec(
            select(AwardEntry).where(
                AwardEntry.year == year, col(AwardEntry.status).in_(["listed", "awarded"])
            )
        ).all()
        extra = policy_lines(session, profile=profile, year=year)
        extra_streets = policy_per_street(session, profile=profile, year=year)
    lines = [
        KpiLine(
            key="community_school_streets",
            label="建有社区学校的街道数",
            rule="R8.3",
            actual=len(school_streets),
            yearly=False,
            target=community_school_target(profile, year),
        ),
        KpiLine(
            key="seconded_teachers",
            label="挂职社区教育助理（教师）",
            rule="R10.2",
            actual=len(seconded),
            target=targets.seconded_teachers,
        ),
        KpiLine(
            key="ideas_received",
            label="金点子征集数",
            rule="R7.3",
            actual=received,
            target=targets.ideas_received,
        ),
        KpiLine(
            key="ideas_adopted",
            label="金点子采纳数",
            rule="R7.3",
            actual=adopted,
            target=targets.ideas_adopted,
        ),
        KpiLine(key="ideas_done", label="采纳金点子已落实", rule="R7.3", actual=done, target=None),
        KpiLine(
            key="volunteers_teaching",
            label="在社区学校义务授课的志愿者",
            rule="R10.3",
            actual=sum(p.role == "volunteer" and p.lessons > 0 for p in people),
            target=targets.volunteers_teaching,
        ),
        KpiLine(
            key="volunteer_lessons",
            label="志愿者和讲师团义务授课次数",
            rule="R10.3",
            actual=sum(p.lessons for p in people),
            target=None,
        ),
        KpiLine(
            key="lecturers",
            label="讲师团成员（老党员、退休干部、退休教师）",
            rule="R10.4",
            actual=sum(p.role == "lecturer" for p in people),
            target=targets.lecturers,
        ),
        KpiLine(
            key="meetings",
            label="年度会议（工作会、理论研讨会、经验交流会）",
            rule="R7.5",
            actual=sum(m.kind in ANNUAL_MEETINGS for m in meetings),
            target=targets.meetings,
        ),
        KpiLine(
            key="trainings",
            label="干部培训场次",
            rule="R7.1",
            actual=len(training_ids),
            target=targets.trainings,
        ),
        KpiLine(
            key="training_attendance",
            label="干部培训确认参加人次",
            rule="R7.1",
            actual=attendance,
            target=None,
        ),
        KpiLine(
            key="awards",
            label="学习型组织评选入选数",
            rule="R11.2",
            actual=len(awards),
            target=targets.awards,
        ),
        *extra,
    ]
    per_street = [
        {
            "街道": street.name,
            "试点": "是" if street.pilot else "",
            "社区学校": "有" if street.name in school_streets else "",
            "挂职教师": sum(a.street == street.name for a in seconded),
            "入选单位": sum(a.street == street.name for a in awards),
            "授课志愿者": sum(
                p.street == street.name and p.role == "volunteer" and p.lessons > 0 for p in people
            ),
            **extra_streets[street.name],
        }
        for street in profile.streets
    ]
    return KpiReport(
        year=year,
        district=profile.district,
        goal_year=targets.goal_year,
        lines=lines,
        per_street=per_street,
    )


def kpi_markdown(report: KpiReport) -> str:
    """The report an office reads (Chinese)."""
    goal = f"，目标年度 {report.goal_year} 年" if report.goal_year else ""
    out = [
        f"# {report.district} {report.year} 年度学习型城区建设指标报告（R1{goal}）",
        "",
        "| 指标 | 政策 | 实际 | 目标 | 达成 |",
        "|---|---|---|---|---|",
    ]
    for line in report.lines:
        target = "—" if line.target is None else str(line.target)
        met = {None: "—", True: "达成", False: "未达成"}[line.met]
        out.append(f"| {line.label} | {line.rule} | {line.actual} | {target} | {met} |")
    out += [
        "",
        "## 各街道",
        "",
    ]
    columns = list(report.per_street[0]) if report.per_street else ["街道"]
    out += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in report.per_street:
        out.append("| " + " | ".join(str(v) for v in row.values()) + " |")
    if not any(line.actual for line in report.lines if line.rule in ("R10.3", "R10.4")):
        out += ["", "本年度尚未登记志愿者和讲师团（导入类型 volunteers，R10.3、R10.4）。"]
    return "\n".join(out)


def write_kpi_xlsx(report: KpiReport, path: Path) -> Path:
    """The figures as a workbook that prints: 指标 (with completion) and 各街道 sheets."""
    book = new_workbook()
    goal = f"（目标年度{report.goal_year}年）" if report.goal_year else ""
    add_table(
        book,
        sheet_name="指标",
        title=f"{report.district}{report.year}年度学习型城区建设指标{goal}",
        columns=[
            Column("指标"),
            Column("实际", "int"),
            Column("目标", "int"),
            Column("完成率", "percent"),
            Column("达成"),
        ],
        rows=[
            [
                line.label,
                line.actual,
                line.target,
                line.actual / line.target if line.target else None,
                {None: "", True: "达成", False: "未达成"}[line.met],
            ]
            for line in report.lines
        ],
        note="完成率 = 实际 ÷ 当年目标；没有目标的指标只列实际数。",
    )
    columns = list(report.per_street[0]) if report.per_street else ["街道"]
    add_table(
        book,
        sheet_name="各街道",
        title=f"{report.district}{report.year}年度各街道学习型城区建设情况",
        columns=[Column(c, "text" if i < 3 else "int") for i, c in enumerate(columns)],
        rows=[list(row.values()) for row in report.per_street],
    )
    return save_workbook(book, path)
