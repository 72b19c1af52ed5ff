"""The operator's view of personal-link answers: who answered, who has not (Chinese table)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tasks.responses.rules import CHOICES, PURPOSE_NAMES
from tasks.responses.status import StatusRow

STATUS_NAMES = {
    "answered": "已回复",
    "waiting": "未回复",
    "overdue": "逾期未回复",
    "closed": "已取消",
}


def answer_text(row: StatusRow) -> str:
    """The last answer in words (the reason of a decline included: the operator's view)."""
    if not row.answer:
        return ""
    text = CHOICES[row.purpose].get(row.answer, row.answer)
    fields = row.answer_fields
    if fields.get("delegate"):
        text += f"：{fields['delegate']}"
    if fields.get("households"):
        text += f"，{fields['households']}户"
    if fields.get("reason"):
        text += f"（{fields['reason']}）"
    if fields.get("note"):
        text += f"；{fields['note']}"
    return text


def status_table(rows: list[StatusRow]) -> list[dict[str, Any]]:
    """Rows of the table artifact and of `responses --year Y`."""
    return [
        {
            "事项": PURPOSE_NAMES[row.purpose],
            "内容": row.title,
            "对象": row.recipient_name,
            "发出日期": row.asked_on.isoformat(),
            "回复截止": row.deadline.isoformat(),
            "状态": STATUS_NAMES[row.status],
            "回复": answer_text(row),
            "提醒次数": row.reminders_sent,
        }
        for row in rows
    ]


def status_summary(rows: list[StatusRow]) -> dict[str, dict[str, int]]:
    """Per purpose: how many requests are in each state."""
    summary: dict[str, Counter[str]] = {}
    for row in rows:
        summary.setdefault(row.purpose, Counter())[row.status] += 1
    return {purpose: dict(counts) for purpose, counts in summary.items()}


def status_markdown(year: int, rows: list[StatusRow]) -> str:
    """One line per purpose: answered, waiting, overdue."""
    lines = [f"## {year}年度回复情况", ""]
    for purpose, counts in status_summary(rows).items():
        parts = "，".join(f"{STATUS_NAMES[s]} {counts[s]}" for s in STATUS_NAMES if counts.get(s))
        lines.append(f"- {PURPOSE_NAMES[purpose]}：{parts}")
    if not rows:
        lines.append("- 本年度尚未发出需要回复的通知")
    return "\n".join(lines)
