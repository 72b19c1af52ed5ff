"""Where a year's holidays come from: an entered notice, the holiday library, or an estimate.

Each source gives a `YearDays`: the year's days off and make-up working days (调休上班), each
with the holiday's Chinese name, and which source it came from.

- notice: the State Council's notice as a clerk entered it (profile or import);
- library: `chinese-calendar`, one release per year of notices;
- estimated: for a year nobody entered and the library does not know. The fixed-date statutory
  days (元旦 1 Jan, 劳动节 1-2 May, 国庆节 1-3 Oct) are certain; everything else is marked
  estimated: Spring Festival from the lunar calendar (除夕 to 初六, or as the profile says),
  清明 on its solar term, 端午 (五月初五) and 中秋 (八月十五) on their lunar day, the usual
  劳动节 and 国庆节 weeks (a day longer when 中秋 falls inside), and the days a notice usually
  joins to a one-day holiday (on a Saturday or Sunday it gives the Monday; on a Tuesday, the
  Monday before; on a Thursday, the Friday after). Make-up working days cannot be foreseen:
  an estimated year has none.

Lunar dates and solar terms come from `tyme4py` (astronomical, any year).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

import chinese_calendar
from pydantic import BaseModel, ConfigDict, model_validator
from tyme4py.lunar import LunarDay
from tyme4py.solar import SolarDay, SolarTerm

from models.profile.calendar import month_day_of
from models.profile.holidays import HolidayEstimate, NoticeEntry

Source = Literal["notice", "library", "estimated"]
SOURCE_NAMES: dict[str, str] = {
    "notice": "经办人员录入的国务院办公厅通知",
    "library": "国务院办公厅通知（节假日数据）",
    "estimated": "推算",
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
NEW_YEAR_SPILL = (12, 25)  # from this day on, next year's 元旦 arrangement may reach back
FIXED_STATUTORY = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}


def in_notice_year(day: date, year: int) -> bool:
    """A notice for `year` covers the year and the end of December before it (元旦's days)."""
    return day.year == year or (day.year == year - 1 and day >= date(year - 1, *NEW_YEAR_SPILL))


class HolidayDay(BaseModel):
    """A day off (放假) or a make-up working day (调休上班) of one holiday."""

    model_config = ConfigDict(frozen=True)

    day: date
    name: str
    off: bool
    estimated: bool = False


class YearDays(BaseModel):
    """The holidays and make-up working days of one year and where they came from."""

    model_config = ConfigDict(frozen=True)

    year: int
    source: Source
    days: tuple[HolidayDay, ...] = ()

    @model_validator(mode="after")
    def _one_entry_a_day(self) -> YearDays:
        seen = [d.day for d in self.days]
        if seen != sorted(set(seen)):
            raise ValueError(f"the days of {self.year} must be in order, each once")
        if any(not in_notice_year(d, self.year) for d in seen):
            raise ValueError(f"a day outside {self.year}")
        return self

    def is_working_day(self, day: date) -> bool:
        for entry in self.days:
            if entry.day == day:
                return not entry.off
        return day.weekday() < 5

    def non_working_weekdays(self) -> int:
        return sum(1 for d in self.days if d.off and d.day.weekday() < 5)

    def make_up_days(self) -> int:
        return sum(1 for d in self.days if not d.off)


def _year_days(year: int, source: Source, entries: Iterable[HolidayDay]) -> YearDays:
    by_day: dict[date, HolidayDay] = {}
    for entry in entries:
        known = by_day.get(entry.day)
        if known is not None and known.name != entry.name and entry.name not in known.name:
            entry = entry.model_copy(update={"name": f"{known.name}、{entry.name}"})
        if known is not None:
            entry = entry.model_copy(update={"estimated": known.estimated and entry.estimated})
        by_day[entry.day] = entry
    return YearDays(year=year, source=source, days=tuple(by_day[d] for d in sorted(by_day)))


def notice_year(year: int, entries: Iterable[NoticeEntry]) -> YearDays:
    """A year as the notice says (validated by `notice_problems` before it gets here)."""
    days = [
        HolidayDay(day=day, name=entry.name, off=entry.kind == "off")
        for entry in entries
        for day in entry.each_day()
    ]
    return _year_days(year, "notice", days)


def library_covers(year: int) -> bool:
    """Whether the holiday library knows this year's notice."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def library_year(year: int) -> YearDays | None:
    """The year as the holiday library has it, or None when it does not know the year."""
    if not library_covers(year):
        return None
    days = []
    day = date(year, 1, 1)
    while day.year == year:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is not None:
            label = HOLIDAY_NAMES_ZH.get(str(name), str(name))
            works = bool(chinese_calendar.is_workday(day))
            if works != (day.weekday() < 5) or not works:
                days.append(HolidayDay(day=day, name=label, off=bool(on_holiday) and not works))
        day += timedelta(days=1)
    return _year_days(year, "library", days)


def _solar(day: SolarDay) -> date:
    return date(day.get_year(), day.get_month(), day.get_day())


def lunar_new_year(year: int) -> date:
    """正月初一 of the lunar year that begins in this Gregorian year."""
    return _solar(LunarDay.from_ymd(year, 1, 1).get_solar_day())


def lunar_festivals(year: int) -> dict[str, date]:
    """清明 (solar term), 端午 (五月初五) and 中秋 (八月十五) of the year."""
    qingming = SolarTerm.from_name(year, "清明").get_julian_day().get_solar_day()
    return {
        "清明节": _solar(qingming),
        "端午节": _solar(LunarDay.from_ymd(year, 5, 5).get_solar_day()),
        "中秋节": _solar(LunarDay.from_ymd(year, 8, 15).get_solar_day()),
    }


def joined_days(day: date) -> list[date]:
    """The days a notice usually joins to a one-day holiday on `day` (see the module docstring)."""
    weekday = day.weekday()
    if weekday == 5:
        return [day + timedelta(days=1), day + timedelta(days=2)]
    if weekday == 6:
        return [day - timedelta(days=1), day + timedelta(days=1)]
    if weekday == 1:
        return [day - timedelta(days=3), day - timedelta(days=2), day - timedelta(days=1)]
    if weekday == 3:
        return [day + timedelta(days=1), day + timedelta(days=2), day + timedelta(days=3)]
    return []


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def estimate_year(year: int, rule: HolidayEstimate) -> YearDays:
    """The year's holidays as the usual notice would have them (see the module docstring)."""
    days: list[HolidayDay] = []

    def add(day: date, name: str) -> None:
        if day.year == year:
            certain = FIXED_STATUTORY.get((day.month, day.day)) == name
            days.append(HolidayDay(day=day, name=name, off=True, estimated=not certain))

    first, last = rule.spring_festival_offsets
    new_year = lunar_new_year(year)
    for day in _span(new_year + timedelta(days=first), new_year + timedelta(days=last)):
        add(day, "春节")
    one_day = [("元旦", date(year, 1, 1)), ("元旦", date(year + 1, 1, 1))]
    one_day += list(lunar_festivals(year).items())
    for name, day in one_day:
        for joined in [day, *joined_days(day)]:
            add(joined, name)
    for name, (start, end) in (("劳动节", rule.labour_day), ("国庆节", rule.national_day)):
        first_day, last_day = month_day_of(start, year), month_day_of(end, year)
        if name == "国庆节" and first_day <= dict(one_day)["中秋节"] <= last_day:
            last_day += timedelta(days=1)  # 中秋 inside the week makes it one day longer
        for day in _span(first_day, last_day):
            add(day, name)
    return _year_days(year, "estimated", days)
