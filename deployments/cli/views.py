"""Terminal views shared by the command line and the demo (rich tables)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from deployments.cli.common import out
from models.results.secondment import SecondmentResult


def print_secondment(result: SecondmentResult) -> None:
    table = Table(title=f"{result.year}年度教师挂职选派（{result.status}）")
    for column in ("街道", "工号", "得分", "理由"):
        table.add_column(column)
    for a in result.assignments:
        table.add_row(a.street, a.staff_id, f"{a.score:.2f}", a.reason)
    out.print(table)
    out.print(f"total score {result.total_score:.3f}; {len(result.ineligible)} ineligible")


STATUS_ZH = {"proposed": "拟定方案（未保存、未发送）", "signed_off": "已批准", "rejected": "已退回"}


def calendar_table(result: dict[str, Any]) -> Table:
    """The year's key days and meetings, in date order."""
    year = result["year"]
    status = STATUS_ZH.get(result.get("status", ""), "")
    table = Table(
        title=f"{year}年社区教育日历（R7.4、R7.5、R7.1）" + (f"：{status}" if status else ""),
        show_lines=False,
    )
    for column in ("日期", "事项", "会场", "参会对象", "通知发出", "提醒（T-7、T-1工作日）"):
        table.add_column(column, overflow="fold")
    rows: list[tuple[str, str, str, str, str, str]] = []
    rows.append((result["plan_notice_on"], "年度安排发各街道、居委", "", "全区", "", ""))
    month = result["publicity_month"]
    rows.append((f"{month[0]}～{month[1]}", "社区教育宣传月", "", "全区", "", ""))
    week = result["activity_week"]
    rows.append((f"{week[0]}～{week[1]}", "宣传活动周（含教师节）", "", "全区", "", ""))
    rows.append((result["publicity_day"], "社区教育宣传日（教师节）", "", "全区", "", ""))
    dist = result["distribution"]
    rows.append(
        (
            dist["request_on"],
            "宣传资料发放到户（R7.2）",
            "",
            f"{dist['communities']}个居委",
            dist["request_on"],
            "",
        )
    )
    for e in result["events"]:
        rows.append(
            (
                f"{e['date']} {e['start']}",
                e["title"] + (f"（第{e['sequence']}次调整）" if e["sequence"] else ""),
                e["venue"],
                f"{e['invitees']}人",
                e["invite_on"],
                "、".join(e["reminders"]),
            )
        )
    for row in sorted(rows, key=lambda r: r[0]):
        table.add_row(*row)
    return table


def coverage_table(year: int, rows: list[dict[str, Any]]) -> Table:
    """Material-distribution coverage per street (R7.2)."""
    columns = ("街道", "居委数", "已确认", "未确认", "覆盖率", "已提醒次数", "未确认居委")
    table = Table(title=f"{year}年宣传资料发放确认（R7.2）")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    return table


def print_calendar(console: Console, result: dict[str, Any]) -> None:
    """The year as a readable table, then notes, cancellations and where the files are."""
    console.print(calendar_table(result))
    for note in result["notes"]:
        console.print(f"[yellow]注意：{note}[/yellow]", highlight=False)
    for e in result["cancelled"]:
        console.print(f"已取消：{e['date']} {e['title']}", highlight=False)
    if result.get("status") == "proposed":
        console.print("以上为拟定方案：未保存、未发送；审批后保存，各项通知按期发送。")
    elif result.get("status") == "rejected":
        console.print("方案已退回：未保存、未发送。", highlight=False)
    else:
        console.print(f"日历文件（.ics）：{result['ics_dir']}", highlight=False)
