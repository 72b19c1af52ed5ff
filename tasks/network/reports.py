"""The registry report (R2-R6, R8.3): the network in Markdown (Chinese) and as a workbook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tasks.common.workdays import date_zh
from tasks.common.xlsx import Column, add_table, new_workbook, save_workbook
from tasks.network.records import RolloutReport
from tasks.network.rules import NetworkReport, StreetRow

TEAM_HEADERS = ("管理者", "辅导员", "挂职助理", "志愿者", "讲师团", "理论研究组")
STREET_HEADERS = (
    "街道",
    "试点",
    "社区数",
    "学校数",
    "小学数",
    "社区学校",
    "承办学校",
    "开办日期",
    "达标日期",
    "计划年度",
    "基地数",
    *TEAM_HEADERS,
    "开放操场",
)
TASK_STATUS = {"": "未到期", "open": "推进中", "done": "已完成"}


def _day(value: object) -> str:
    return date_zh(value) if isinstance(value, date) else ""


def street_cells(row: StreetRow) -> list[object]:
    t = row.teams
    return [
        row.street,
        "是" if row.pilot else "",
        row.communities,
        row.schools,
        row.primary_schools,
        row.community_school,
        row.host_school,
        _day(row.opened_on),
        _day(row.standard_on),
        row.plan_year or "",
        row.bases,
        t.managers,
        t.counsellors,
        t.assistants,
        t.volunteers,
        t.lecturers,
        t.researchers,
        row.playgrounds,
    ]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return lines


def network_markdown(report: NetworkReport) -> str:
    """The registry report an office reads."""
    t = report.teams
    out = [
        f"# {report.district}{report.year}年度社区教育网络登记表",
        "",
        f"一个中心：{report.centre}，内设{'、'.join(report.centre_units)}；{report.college}。",
        f"三级网络：区—{len(report.streets)}个街道—{report.communities}个社区（居委）。",
        f"四个基地：已登记{len(report.bases)}个，覆盖"
        f"{sum(1 for n in report.base_kinds.values() if n)}类（共4类）。",
        f"五支队伍：管理者{t.managers}人，辅导员{t.counsellors}人（另有挂职社区教育助理"
        f"{t.assistants}人），志愿者{t.volunteers}人，讲师团{t.lecturers}人，"
        f"理论研究组{t.researchers}人；已组建{t.teams_formed}支（共5支）。",
        f"配有专职管理人员的街道：{len(report.dedicated_streets)}个"
        + (f"（{'、'.join(report.dedicated_streets)}）" if report.dedicated_streets else "")
        + "。",
        "",
        "## 各街道",
        "",
        *_table(STREET_HEADERS, [street_cells(r) for r in report.streets]),
        "",
        "## 教育基地",
        "",
    ]
    if report.bases:
        out += _table(
            ("基地", "类型", "街道", "场地数", "总容纳人数", "最大场地"),
            [(b.name, b.kind, b.street, b.venues, b.capacity, b.largest) for b in report.bases],
        )
    else:
        out.append("尚未登记教育基地。")
    missing = [label for label, n in report.base_kinds.items() if not n]
    if missing:
        out += ["", f"尚无：{'、'.join(missing)}。"]
    return "\n".join(out)


def rollout_rows(report: RolloutReport) -> list[dict[str, object]]:
    """The rollout plan as table rows (artifact and CLI)."""
    return [
        {
            "街道": line.street,
            "计划年度": line.plan_year,
            "应开办日期": date_zh(line.due_on),
            "社区学校": line.school or "（未登记）",
            "开办日期": _day(line.opened_on),
            "达标日期": _day(line.standard_on),
            "任务": TASK_STATUS[line.task],
        }
        for line in report.plan
    ]


def write_network_xlsx(report: NetworkReport, path: Path) -> Path:
    """各街道, 教育基地 and 五支队伍 sheets, laid out to print."""
    t = report.teams
    title = f"{report.district}{report.year}年度社区教育网络登记表"
    book = new_workbook()
    add_table(
        book,
        sheet_name="各街道",
        title=f"{title}（各街道）",
        columns=[
            Column(h, "int" if h.endswith("数") or h in TEAM_HEADERS or h == "开放操场" else "text")
            for h in STREET_HEADERS
        ],
        rows=[street_cells(r) for r in report.streets],
    )
    add_table(
        book,
        sheet_name="教育基地",
        title=f"{title}（教育基地）",
        columns=[
            Column("基地"),
            Column("类型"),
            Column("街道"),
            Column("场地数", "int"),
            Column("总容纳人数", "int"),
            Column("最大场地", "int"),
        ],
        rows=[(b.name, b.kind, b.street, b.venues, b.capacity, b.largest) for b in report.bases],
        note="" if report.bases else "尚未登记教育基地。",
    )
    add_table(
        book,
        sheet_name="五支队伍",
        title=f"{title}（五支队伍）",
        columns=[Column("队伍"), Column("人数", "int")],
        rows=[
            ("社区教育管理者队伍", t.managers),
            ("社区教育辅导员队伍", t.counsellors + t.assistants),
            ("其中：挂职社区教育助理", t.assistants),
            ("社区教育志愿者队伍", t.volunteers),
            ("社区讲师团", t.lecturers),
            ("社区教育理论研究队伍", t.researchers),
        ],
    )
    return save_workbook(book, path)
