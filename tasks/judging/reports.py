"""Scoring progress as people read it: the table artifact's rows and the terminal's tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from models.judging import ROLES

STATUS = {"open": "评分中", "due": "已截止，待决定", "proceeded": "已截止，按现有评分继续"}
COLUMNS = (("assigned", "分配"), ("scored", "已评"), ("open", "未评"), ("late", "逾期未评"),
           ("conflicts", "申报回避"))  # fmt: skip


def _role(result: dict[str, Any]) -> str:
    """What the round's judges are called: 评委 (awards) or 评审 (ideas)."""
    return ROLES.get(result.get("process", "awards"), ROLES["awards"])


def progress_table(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per judge, then one per category (the `scoring-<year>` table artifact)."""
    rows: list[dict[str, Any]] = []
    for kind, key in ((_role(result), "judges"), ("类别", "categories")):
        for row in result[key]:
            rows.append({"分组": kind, "名称": row["name"], **{zh: row[k] for k, zh in COLUMNS}})
    return rows


def progress_summary(result: dict[str, Any]) -> str:
    status = STATUS.get(result["status"], result["status"])
    short = result["flagged"] or result["short"]
    line = (
        f"{result['year']}年度评分：截止{result['deadline']}，{status}；"
        f"每项需有效评分{result['per_item']}份，每位{_role(result)}至多{result['load_limit']}项"
    )
    if short:
        line += f"；有效评分不足：{'、'.join(short)}"
    return line


def print_progress(console: Console, result: dict[str, Any]) -> None:
    for title, key in ((f"按{_role(result)}", "judges"), ("按类别", "categories")):
        table = Table(title=f"{result['year']}年度评分进度（{title}）")
        table.add_column("名称")
        for _, zh in COLUMNS:
            table.add_column(zh, justify="right")
        for row in result[key]:
            table.add_row(row["name"], *(str(row[k]) for k, _ in COLUMNS))
        console.print(table)
    console.print(progress_summary(result), highlight=False)
