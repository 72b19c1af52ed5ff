"""The `playgrounds:` section of the district profile (R8.2): seasons, closures, schedules.

Primary-school playgrounds open to residents mornings and evenings; each school's hours per
season are registered from a file (import kind `playgrounds`). The profile names the seasons,
the public holidays they close on (taken from the working-day calendar in force) and other
closed days such as exams:

    playgrounds:
      seasons:
        - {name: 夏季, start: "05-01", end: "09-30"}
        - {name: 冬季, start: "10-01", end: "04-30"}
      closed_holidays: [春节]
      closures:
        - {日期: 2026-06-27至2026-06-28, 名称: 期末考试}
        - {日期: 2026-06-07至2026-06-09, 名称: 高考考点, 学校: [区实验小学]}
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from models.profile.calendar import MonthDay, month_day_of
from models.profile.holidays import days_value

ALL_HOLIDAYS = "全部"
PRIMARY_SUFFIX = "小学"


def is_primary(school: str) -> bool:
    """A primary school by its name (…小学): the schools R8.2 opens."""
    return school.endswith(PRIMARY_SUFFIX)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Season(_Strict):
    name: str = Field(min_length=1, max_length=20)
    start: MonthDay
    end: MonthDay  # may be before start: the season runs over the new year

    def contains(self, day: date) -> bool:
        first, last = month_day_of(self.start, day.year), month_day_of(self.end, day.year)
        if first <= last:
            return first <= day <= last
        return day >= first or day <= last


class Closure(_Strict):
    """Days the playgrounds close (an exam, a school event): every school, or those named."""

    days: Annotated[tuple[date, date], BeforeValidator(days_value)] = Field(
        validation_alias=AliasChoices("日期", "date", "days")
    )
    name: str = Field(min_length=1, max_length=30, validation_alias=AliasChoices("名称", "name"))
    schools: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("学校", "schools")
    )

    def each_day(self) -> list[date]:
        first, last = self.days
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _seasons() -> list[Season]:
    return [
        Season(name="夏季", start="05-01", end="09-30"),
        Season(name="冬季", start="10-01", end="04-30"),
    ]


class PlaygroundsPolicy(_Strict):
    seasons: list[Season] = Field(default_factory=_seasons, min_length=1)
    closed_holidays: list[str] = Field(
        default_factory=lambda: ["春节"],
        description=f"Public holidays the playgrounds close on ('{ALL_HOLIDAYS}': every one)",
    )
    closures: list[Closure] = Field(default_factory=list)
    notice_schedule: str = Field(
        default="0 8 * * *", description="Cron of the daily run that sends closure notices"
    )
    weekly_schedule: str = Field(
        default="0 16 * * 5", description="Cron of the weekly run that publishes next week"
    )

    @model_validator(mode="after")
    def _seasons_cover_the_year(self) -> PlaygroundsPolicy:
        names = [s.name for s in self.seasons]
        if len(set(names)) != len(names):
            raise ValueError(f"季节名称重复：{'、'.join(names)}")
        day = date(2000, 1, 1)  # a leap year: 29 February is covered too
        while day.year == 2000:
            holding = [s.name for s in self.seasons if s.contains(day)]
            if len(holding) != 1:
                what = "不属于任何季节" if not holding else "同时属于" + "、".join(holding)
                raise ValueError(f"{day.month}月{day.day}日{what}；每一天应恰好属于一个季节")
            day += timedelta(days=1)
        return self

    def season_of(self, day: date) -> str:
        return next(s.name for s in self.seasons if s.contains(day))

    def closes_on(self, holiday: str) -> bool:
        return ALL_HOLIDAYS in self.closed_holidays or holiday in self.closed_holidays


def playground_problems(
    policy: PlaygroundsPolicy, schools: list[str]
) -> list[tuple[tuple[object, ...], str]]:
    """Closures may name only primary schools of the profile."""
    problems: list[tuple[tuple[object, ...], str]] = []
    for i, closure in enumerate(policy.closures):
        for j, school in enumerate(closure.schools):
            place = ("playgrounds", "closures", i, "schools", j)
            if school not in schools:
                problems.append((place, f"学校“{school}”不在学校名单（schools）中"))
            elif not is_primary(school):
                problems.append((place, f"“{school}”不是小学，只有小学开放操场"))
    return problems
