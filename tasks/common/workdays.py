"""Chinese working days: public holidays and make-up working days (调休), one calendar for all.

Data from `chinese-calendar` (one release per year of State Council notices). For a year it does
not cover yet, the fallback is weekends plus the fixed-date statutory holidays (元旦 1 Jan,
劳动节 1-2 May, 国庆节 1-3 Oct); lunar holidays and make-up days are then unknown, so every
answer for such a year must say so: use `fallback_note(year)` / `notes_for(...)` in results.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger(__name__)

FIXED_HOLIDAYS = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@lru_cache(maxsize=64)
def covered(year: int) -> bool:
    """Whether the holiday data knows this year's holidays and make-up days."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def fallback_note(year: int) -> str | None:
    """A loud note for a year without holiday data (None when the data covers it)."""
    if covered(year):
        return None
    note = (
        f"{year}年的法定节假日和调休安排尚无数据：仅按周末和固定日期节日（元旦、劳动节、国庆节）"
        f"推算，春节、清明、端午、中秋及调休未计入，请以国务院办公厅通知为准"
    )
    logger.warning(
        "no holiday data for %d: working days fall back to weekends and fixed dates", year
    )
    return note


def notes_for(days: Iterable[date]) -> list[str]:
    """The fallback notes of every year these days fall in."""
    return [n for y in sorted({d.year for d in days}) if (n := fallback_note(y)) is not None]


def holiday_name(day: date) -> str | None:
    """The public holiday on this day (Chinese name), or None."""
    if covered(day.year):
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if on_holiday and name is not None:
            return HOLIDAY_NAMES_ZH.get(str(name), str(name))
        return None
    return FIXED_HOLIDAYS.get((day.month, day.day))


def is_working_day(day: date) -> bool:
    """A working day: a weekday that is no holiday, or a make-up working day (调休上班)."""
    if covered(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def next_working_day(day: date, *, include: bool = True) -> date:
    """The first working day on or after `day` (after it when include is False)."""
    current = day if include else day + timedelta(days=1)
    while not is_working_day(current):
        current += timedelta(days=1)
    return current


def previous_working_day(day: date, *, include: bool = True) -> date:
    """The last working day on or before `day` (before it when include is False)."""
    current = day if include else day - timedelta(days=1)
    while not is_working_day(current):
        current -= timedelta(days=1)
    return current


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (before it when negative); 0 gives `start`.

    E.g. a 5-working-day 公示 starting on day S ends on add_working_days(S, 4) when S is itself
    a working day: see `period_end`.
    """
    current = start
    step = 1 if count >= 0 else -1
    for _ in range(abs(count)):
        current += timedelta(days=step)
        while not is_working_day(current):
            current += timedelta(days=step)
    return current


def period_end(start: date, working_days: int) -> date:
    """The last day of a period of `working_days` working days that begins on `start`.

    The period begins on the first working day on or after `start`.
    """
    if working_days < 1:
        raise ValueError("a period lasts at least one working day")
    return add_working_days(next_working_day(start), working_days - 1)


def working_days_between(start: date, end: date) -> int:
    """Working days in [start, end] (0 if end is before start)."""
    count, current = 0, start
    while current <= end:
        count += is_working_day(current)
        current += timedelta(days=1)
    return count


def working_days_in(year: int, month: int | None = None) -> list[date]:
    """Every working day of a year, or of one month of it."""
    if month is None:
        first, after = date(year, 1, 1), date(year + 1, 1, 1)
    else:
        first = date(year, month, 1)
        after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return [
        first + timedelta(days=i)
        for i in range((after - first).days)
        if is_working_day(first + timedelta(days=i))
    ]
