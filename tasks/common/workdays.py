"""Chinese working days: public holidays and make-up working days (调休), one calendar for all.

A `WorkCalendar` answers for any day. For each year it takes, in this order: the State Council
notice a clerk entered (profile or import), the holiday library (`chinese-calendar`), or an
estimate from the lunar calendar (see `tasks.common.holiday_sources`). Every process that counts
working days (meeting placement, reminders, key-day notices, distribution follow-ups, 公示
periods) gets the same calendar from the records layer and passes it down; the calendar is
plain data, so a plan stores the one it was made on and can be checked against a later one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from models.profile.holidays import HolidayEstimate
from tasks.common.holiday_sources import (
    NEW_YEAR_SPILL,
    SOURCE_NAMES,
    HolidayDay,
    Source,
    YearDays,
    estimate_year,
    library_year,
)

WEEKDAYS_ZH = "一二三四五六日"


def date_zh(day: date) -> str:
    """2027年2月12日"""
    return f"{day.year}年{day.month}月{day.day}日"


def day_zh(day: date) -> str:
    """2027年2月12日（星期五）"""
    return f"{date_zh(day)}（星期{WEEKDAYS_ZH[day.weekday()]}）"


@lru_cache(maxsize=64)
def _library(year: int) -> YearDays | None:
    return library_year(year)


@lru_cache(maxsize=64)
def _estimate(year: int, rule: HolidayEstimate) -> YearDays:
    return estimate_year(year, rule)


class DayChange(BaseModel):
    """A day whose working status differs between two calendars."""

    model_config = ConfigDict(frozen=True)

    day: date
    was_working: bool
    working: bool
    name: str  # the holiday it belongs to, in either calendar

    def describe(self) -> str:
        status = {True: "工作日", False: "休息日"}
        return f"{day_zh(self.day)}由{status[self.was_working]}改为{status[self.working]}" + (
            f"（{self.name}）" if self.name else ""
        )


class WorkCalendar(BaseModel):
    """Working days of every year: entered notices first, then the library, then the estimate.

    Plain data (a plan stores the calendar it was made on). Build a changed calendar with the
    constructor, not `model_copy`: the per-year lookup tables are cached on the instance.
    """

    model_config = ConfigDict(frozen=True)

    years: dict[int, YearDays] = Field(default_factory=dict)
    estimate: HolidayEstimate = Field(default_factory=HolidayEstimate)
    _index: dict[int, dict[date, HolidayDay]] = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return self.years == other.years and self.estimate == other.estimate

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ years and days

    def year_days(self, year: int) -> YearDays:
        """The year's holidays and make-up days, from the first source that has them."""
        return self.years.get(year) or _library(year) or _estimate(year, self.estimate)

    def source(self, year: int) -> Source:
        return self.year_days(year).source

    def _days_of(self, year: int) -> dict[date, HolidayDay]:
        index = self._index.get(year)
        if index is None:
            index = {d.day: d for d in self.year_days(year).days}
            self._index[year] = index
        return index

    def entry(self, day: date) -> HolidayDay | None:
        """The holiday or make-up working day on this day, or None for an ordinary day."""
        if (day.month, day.day) >= NEW_YEAR_SPILL and self.source(day.year + 1) != "estimated":
            # next year's notice settles 元旦's days at the end of this December
            found = self._days_of(day.year + 1).get(day)
            if found is not None:
                return found
            own = self._days_of(day.year).get(day)
            return None if own is not None and own.estimated and own.name == "元旦" else own
        return self._days_of(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        """A working day: a weekday that is no holiday, or a make-up working day (调休上班)."""
        found = self.entry(day)
        if found is not None:
            return not found.off
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """The public holiday this day off belongs to (Chinese name), or None."""
        found = self.entry(day)
        return found.name if found is not None and found.off else None

    def is_estimated(self, day: date) -> bool:
        """Whether this day's status is only estimated (no notice, no library data)."""
        found = self.entry(day)
        return found is not None and found.estimated

    # ------------------------------------------------------------------ notes

    def source_note(self, year: int) -> str:
        days = self.year_days(year)
        note = f"{year}年节假日依据：{SOURCE_NAMES[days.source]}"
        if days.source != "estimated":
            return note + f"（放假{_off_weekdays(days)}个工作日，调休上班{days.make_up_days()}天）"
        return note

    def warnings(self, year: int) -> list[str]:
        """What a reader of a plan of this year must know: an estimate, or a disagreement."""
        days = self.year_days(year)
        if days.source == "estimated":
            return [
                f"{year}年的国务院办公厅节假日安排尚未录入：春节、清明节、端午节、中秋节按农历"
                f"推算，劳动节、国庆节按惯例推算，调休上班日未知（按周末休息计）；标注“推算”的日期"
                f"待通知发布后录入核对"
            ]
        if days.source == "notice":
            differing = self.library_disagreements(year)
            if differing:
                listed = "；".join(c.describe() for c in differing[:20])
                more = f"等{len(differing)}天" if len(differing) > 20 else ""
                return [
                    f"{year}年录入的节假日安排与节假日数据不一致（以录入为准）："
                    f"按节假日数据，{listed}{more}"
                ]
        return []

    def library_disagreements(self, year: int) -> list[DayChange]:
        """Days where the entered notice and the library differ (empty when it lacks the year)."""
        library = _library(year)
        if library is None or self.source(year) != "notice":
            return []
        return changed_days(self, WorkCalendar(years={year: library}), year)

    def notes_for(self, days: Iterable[date]) -> list[str]:
        """The source of every year these days fall in, then any warnings for those years."""
        years = sorted({d.year for d in days})
        return [self.source_note(y) for y in years] + [w for y in years for w in self.warnings(y)]

    def warnings_for(self, days: Iterable[date]) -> list[str]:
        return [w for y in sorted({d.year for d in days}) for w in self.warnings(y)]

    def holidays_table(self, year: int) -> list[dict[str, Any]]:
        """The year's days off on weekdays and make-up working days, for results and artifacts."""
        rows = []
        for entry in self.year_days(year).days:
            if entry.off and entry.day.weekday() >= 5:
                continue  # a weekend stays a weekend; only what changes a week is listed
            rows.append(
                {
                    "date": entry.day.isoformat(),
                    "name": entry.name,
                    "type": "放假" if entry.off else "上班",
                    "estimated": entry.estimated,
                }
            )
        return rows

    # ------------------------------------------------------------------ arithmetic

    def next_working_day(self, day: date, *, include: bool = True) -> date:
        """The first working day on or after `day` (after it when include is False)."""
        current = day if include else day + timedelta(days=1)
        while not self.is_working_day(current):
            current += timedelta(days=1)
        return current

    def previous_working_day(self, day: date, *, include: bool = True) -> date:
        """The last working day on or before `day` (before it when include is False)."""
        current = day if include else day - timedelta(days=1)
        while not self.is_working_day(current):
            current -= timedelta(days=1)
        return current

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (before it when negative); 0 gives `start`."""
        current = start
        step = 1 if count >= 0 else -1
        for _ in range(abs(count)):
            current += timedelta(days=step)
            while not self.is_working_day(current):
                current += timedelta(days=step)
        return current

    def period_end(self, start: date, working_days: int) -> date:
        """The last day of a period of `working_days` working days that begins on `start`.

        The period begins on the first working day on or after `start`.
        """
        if working_days < 1:
            raise ValueError("a period lasts at least one working day")
        return self.add_working_days(self.next_working_day(start), working_days - 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in [start, end] (0 if end is before start)."""
        count, current = 0, start
        while current <= end:
            count += self.is_working_day(current)
            current += timedelta(days=1)
        return count

    def working_days_in(self, year: int, month: int | None = None) -> list[date]:
        """Every working day of a year, or of one month of it."""
        if month is None:
            first, after = date(year, 1, 1), date(year + 1, 1, 1)
        else:
            first = date(year, month, 1)
            after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        days = (first + timedelta(days=i) for i in range((after - first).days))
        return [d for d in days if self.is_working_day(d)]

    def pinned(self, years: Iterable[int]) -> WorkCalendar:
        """This calendar with the given years written out (what a plan stores as its basis)."""
        fixed = dict(self.years)
        fixed.update({y: self.year_days(y) for y in years})
        return WorkCalendar(years=fixed, estimate=self.estimate)


def _off_weekdays(days: YearDays) -> int:
    return sum(1 for d in days.days if d.off and d.day.weekday() < 5)


def changed_days(old: WorkCalendar, new: WorkCalendar, year: int) -> list[DayChange]:
    """Every day of the year that is a working day in one calendar and not in the other."""
    changes = []
    day = date(year, 1, 1)
    while day.year == year:
        before, after = old.is_working_day(day), new.is_working_day(day)
        if before != after:
            name = new.holiday_name(day) or old.holiday_name(day)
            if name is None:
                found = new.entry(day) or old.entry(day)
                name = f"{found.name}调休" if found is not None else ""
            changes.append(DayChange(day=day, was_working=before, working=after, name=name))
        day += timedelta(days=1)
    return changes
