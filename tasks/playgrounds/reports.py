"""The open playgrounds' tables (R8.2): the week per street and school, the year's closures."""

from __future__ import annotations

from collections.abc import Sequence

from tasks.common.workdays import day_zh
from tasks.playgrounds.records import WeekPlan
from tasks.playgrounds.rules import Closure, hours_zh, span_zh


def week_rows(plan: WeekPlan) -> list[dict[str, object]]:
    """One row per street, school and day (artifact and CLI)."""
    return [
        {
            "街道": street.street,
            "学校": day.school,
            "日期": day_zh(day.day),
            "季节": day.season,
            "开放时间": hours_zh(day.hours) if day.hours is not None else "暂停开放",
            "说明": day.closed + ("（推算）" if day.estimated else ""),
        }
        for street in plan.streets
        for day in street.days
    ]


def closure_rows(closures: Sequence[Closure]) -> list[dict[str, object]]:
    return [
        {
            "街道": c.street,
            "暂停开放": span_zh(c.first, c.last),
            "原因": c.reason + ("（推算）" if c.estimated else ""),
            "学校": "、".join(c.schools),
            "通知日期": day_zh(c.notice_on),
            "恢复开放": day_zh(c.reopens),
        }
        for c in closures
    ]
