"""The `holidays:` section of the district profile: entered notices and the estimate rule.

The State Council publishes each year's holidays and make-up working days (放假调休) in early
November for the next year. A clerk enters that notice once, here or as an import (kind
`holidays`), and it takes precedence over the holiday library for that year:

    holidays:
      notices:
        2027:
          - {日期: 2027-01-01至2027-01-03, 类型: 放假, 名称: 元旦}
          - {日期: 2027-02-20, 类型: 上班, 名称: 春节}

For a year nobody entered and the library does not know, the calendar is estimated: Spring
Festival from the lunar calendar (`estimate.spring_festival`, 除夕 to 初六 by default), 清明,
端午 and 中秋 on their lunar or solar-term day, 劳动节 and 国庆节 as the usual week.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from models.profile.calendar import MonthDay, month_day_of

# Days of the Spring Festival holiday named as a clerk says them, counted from 正月初一 (0).
SPRING_FESTIVAL_DAYS: dict[str, int] = {
    "除夕前两天": -3,
    "除夕前一天": -2,
    "除夕": -1,
    **{name: i for i, name in enumerate(("初一", "初二", "初三", "初四", "初五", "初六"))},
    **{name: i + 6 for i, name in enumerate(("初七", "初八", "初九", "初十"))},
}
DAY_OFF, DAY_WORKED = "放假", "上班"
KINDS_ZH = {"off": DAY_OFF, "on": DAY_WORKED}
_KIND_WORDS = {DAY_OFF: "off", "休": "off", "off": "off", DAY_WORKED: "on", "班": "on", "on": "on"}
_RANGE = re.compile(r"\s*(?:至|到|~|～|--|—|－)\s*")
_ZH_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
MAX_RANGE_DAYS = 31


def parse_day(text: str) -> date:
    """A date written 2027-02-05, 2027/2/5 or 2027年2月5日; ValueError in Chinese otherwise."""
    text = text.strip()
    match = _ZH_DATE.match(text)
    parts = match.groups() if match else re.split(r"[-/.]", text)
    try:
        year, month, day = (int(p) for p in parts)
        return date(year, month, day)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"“{text}”不是日期，应写作2027-02-05或2027年2月5日") from None


def parse_days(text: str) -> tuple[date, date]:
    """One date, or a range of dates joined by 至 (2027-02-05至2027-02-13); both ends included."""
    parts = _RANGE.split(text.strip())
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"“{text}”不是日期或日期范围，范围应写作2027-02-05至2027-02-13")
    first = parse_day(parts[0])
    last = parse_day(parts[-1])
    if last < first:
        raise ValueError(f"“{text}”的结束日期早于开始日期")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValueError(f"“{text}”超过{MAX_RANGE_DAYS}天，不像一次放假安排")
    return first, last


def parse_kind(text: str) -> Literal["off", "on"]:
    """放假 (a day off) or 上班 (a make-up working day)."""
    kind = _KIND_WORDS.get(text.strip().casefold())
    if kind == "off":
        return "off"
    if kind == "on":
        return "on"
    raise ValueError(f"“{text}”不是{DAY_OFF}或{DAY_WORKED}")


def days_value(value: Any) -> Any:
    """A date or a text range as the (first, last) pair a validator expects; else unchanged."""
    if isinstance(value, date):
        return (value, value)
    if isinstance(value, str):
        return parse_days(value)
    return value


def _kind_value(value: Any) -> Any:
    return parse_kind(value) if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoticeEntry(_Strict):
    """One line of a notice: a day or a range of days off, or a make-up working day."""

    days: Annotated[tuple[date, date], BeforeValidator(days_value)] = Field(
        validation_alias=AliasChoices("日期", "date", "days")
    )
    kind: Annotated[Literal["off", "on"], BeforeValidator(_kind_value)] = Field(
        validation_alias=AliasChoices("类型", "type", "kind")
    )
    name: str = Field(min_length=1, validation_alias=AliasChoices("名称", "name"))

    def each_day(self) -> list[date]:
        first, last = self.days
        return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


class HolidayEstimate(_Strict):
    """How a year without a notice or library data is estimated."""

    spring_festival: tuple[str, str] = Field(
        default=("除夕", "初六"), description="First and last lunar day of the Spring Festival"
    )
    labour_day: tuple[MonthDay, MonthDay] = ("05-01", "05-05")
    national_day: tuple[MonthDay, MonthDay] = ("10-01", "10-07")

    @field_validator("spring_festival")
    @classmethod
    def _known_lunar_days(cls, value: tuple[str, str]) -> tuple[str, str]:
        for name in value:
            if name not in SPRING_FESTIVAL_DAYS:
                raise ValueError(
                    f"“{name}”不是可用的春节日子（可用：{'、'.join(SPRING_FESTIVAL_DAYS)}）"
                )
        if SPRING_FESTIVAL_DAYS[value[1]] < SPRING_FESTIVAL_DAYS[value[0]]:
            raise ValueError(f"春节放假从{value[0]}开始，不能在{value[1]}之前结束")
        return value

    @model_validator(mode="after")
    def _fixed_weeks_hold_their_day(self) -> HolidayEstimate:
        for label, (first, last), must in (
            ("劳动节（labour_day）", self.labour_day, "05-01"),
            ("国庆节（national_day）", self.national_day, "10-01"),
        ):
            start, end = month_day_of(first, 2000), month_day_of(last, 2000)
            if not start <= month_day_of(must, 2000) <= end or (end - start).days > 14:
                raise ValueError(f"{label}假期{first}至{last}应包含{must}，且不超过15天")
        return self

    @property
    def spring_festival_offsets(self) -> tuple[int, int]:
        """First and last day off counted from 正月初一 (除夕 is -1)."""
        return SPRING_FESTIVAL_DAYS[self.spring_festival[0]], SPRING_FESTIVAL_DAYS[
            self.spring_festival[1]
        ]


class HolidaysPolicy(_Strict):
    """Notices entered in the profile (year -> lines) and the estimate rule for other years."""

    notices: dict[int, list[NoticeEntry]] = Field(default_factory=dict)
    estimate: HolidayEstimate = Field(default_factory=HolidayEstimate)


def notice_problems(year: int, entries: list[NoticeEntry]) -> list[tuple[int | None, str]]:
    """What is wrong with one year's notice: (line index or None, problem in Chinese).

    Every day inside the year (or in the last week of the year before, where 元旦's days may
    reach); no day given twice; a make-up working day is a Saturday or Sunday (a weekday is a
    working day anyway).
    """
    problems: list[tuple[int | None, str]] = []
    seen: dict[date, int] = {}
    for i, entry in enumerate(entries):
        for day in entry.each_day():
            label = f"{day.year}年{day.month}月{day.day}日"
            if not (day.year == year or (day.year == year - 1 and day >= date(day.year, 12, 25))):
                problems.append((i, f"{label}不在{year}年内"))
            elif day in seen:
                problems.append((i, f"{label}已在第{seen[day] + 1}条填写过"))
            elif entry.kind == "on" and day.weekday() < 5:
                problems.append(
                    (i, f"{label}是工作日（星期{'一二三四五'[day.weekday()]}），无需调休上班")
                )
            seen.setdefault(day, i)
    if entries and not any(e.kind == "off" for e in entries):
        problems.append((None, f"{year}年的通知没有放假日"))
    return problems
