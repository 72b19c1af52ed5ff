"""Open playgrounds as plain functions (R8.2): no Prefect, no database.

- A school's hours on a day are those of the day's season (the profile's `playgrounds.seasons`).
- It is closed on the public holidays the profile names (`closed_holidays`, from the working-day
  calendar in force, so a later State Council notice moves them) and on the profile's other
  closed days (`closures`: exams, school events), for every school or those a closure names.
- Consecutive closed days of the same reason are one closure; the communities of the street
  hear of it on the last working day before it starts, with the day it reopens.
- Every week the communities of each street get the coming week's hours of its schools.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from pydantic import BaseModel, ConfigDict

from models.profile.playgrounds import PlaygroundsPolicy
from tasks.common.workdays import WorkCalendar, date_zh

RULE = "R8.2"
LOOKAHEAD_DAYS = 31  # the daily run looks this far ahead for closures to announce


class SeasonHours(BaseModel):
    model_config = ConfigDict(frozen=True)

    morning: tuple[time, time]
    evening: tuple[time, time]


class SchoolHours(BaseModel):
    """A school's registered hours, by season."""

    model_config = ConfigDict(frozen=True)

    school: str
    street: str
    facilities: str
    seasons: dict[str, SeasonHours]


class DayHours(BaseModel):
    """One school on one day: its hours, or why it is closed."""

    model_config = ConfigDict(frozen=True)

    school: str
    day: date
    season: str
    hours: SeasonHours | None  # None: closed
    closed: str = ""  # the reason, e.g. 国庆节假期, 期末考试
    estimated: bool = False  # the holiday is only estimated (no notice yet)


class Closure(BaseModel):
    """Consecutive closed days of one reason, for the schools of one street."""

    model_config = ConfigDict(frozen=True)

    street: str
    schools: tuple[str, ...]
    first: date
    last: date
    reason: str
    notice_on: date  # the last working day before `first`
    reopens: date
    estimated: bool = False

    @property
    def key(self) -> str:
        return f"closure-{self.first.isoformat()}-{self.last.isoformat()}-{self.reason}"


def closed_reason(
    school: str, day: date, *, policy: PlaygroundsPolicy, workdays: WorkCalendar
) -> tuple[str, bool]:
    """Why the school's playground is closed on `day` ("" if open), and if that is estimated."""
    holiday = workdays.holiday_name(day)
    if holiday is not None and policy.closes_on(holiday):
        return f"{holiday}假期", workdays.is_estimated(day)
    for closure in policy.closures:
        if (not closure.schools or school in closure.schools) and (
            closure.days[0] <= day <= closure.days[1]
        ):
            return closure.name, False
    return "", False


def day_hours(
    school: SchoolHours, day: date, *, policy: PlaygroundsPolicy, workdays: WorkCalendar
) -> DayHours:
    season = policy.season_of(day)
    reason, estimated = closed_reason(school.school, day, policy=policy, workdays=workdays)
    hours = None if reason else school.seasons.get(season)
    if hours is None and not reason:
        reason = f"未登记{season}开放时间"  # the profile's seasons changed after the import
    return DayHours(
        school=school.school,
        day=day,
        season=season,
        hours=hours,
        closed=reason,
        estimated=estimated,
    )


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def week_of(day: date) -> tuple[date, date]:
    """The Monday and Sunday of the week after `day`'s (what a Friday run publishes)."""
    monday = day + timedelta(days=7 - day.weekday())
    return monday, monday + timedelta(days=6)


def week_hours(
    schools: Sequence[SchoolHours],
    monday: date,
    *,
    policy: PlaygroundsPolicy,
    workdays: WorkCalendar,
) -> list[DayHours]:
    """Every school's seven days from `monday`, schools in the given order."""
    week = days(monday, monday + timedelta(days=6))
    return [
        day_hours(school, day, policy=policy, workdays=workdays)
        for school in schools
        for day in week
    ]


def closures(
    schools: Sequence[SchoolHours],
    first: date,
    last: date,
    *,
    policy: PlaygroundsPolicy,
    workdays: WorkCalendar,
) -> list[Closure]:
    """The closures that start between `first` and `last`, one per street and run of days.

    A run that started before `first` is not listed (its notice is past); a run is followed to
    its end even beyond `last`, so the notice names the day the playground reopens.
    """
    runs: dict[tuple[str, date, date, str], list[str]] = {}
    estimated: dict[tuple[str, date, date, str], bool] = {}
    for school in schools:
        day = first
        while day <= last:
            reason, guess = closed_reason(school.school, day, policy=policy, workdays=workdays)
            before = closed_reason(
                school.school, day - timedelta(days=1), policy=policy, workdays=workdays
            )[0]
            if not reason or before == reason:
                day += timedelta(days=1)
                continue
            end, any_guess = day, guess
            while True:
                nxt = closed_reason(
                    school.school, end + timedelta(days=1), policy=policy, workdays=workdays
                )
                if nxt[0] != reason:
                    break
                end += timedelta(days=1)
                any_guess = any_guess or nxt[1]
            key = (school.street, day, end, reason)
            runs.setdefault(key, []).append(school.school)
            estimated[key] = estimated.get(key, False) or any_guess
            day = end + timedelta(days=1)
    return [
        Closure(
            street=street,
            schools=tuple(names),
            first=start,
            last=end,
            reason=reason,
            notice_on=workdays.previous_working_day(start, include=False),
            reopens=end + timedelta(days=1),
            estimated=estimated[street, start, end, reason],
        )
        for (street, start, end, reason), names in sorted(runs.items(), key=lambda kv: kv[0][1:])
    ]


def due_closures(
    schools: Sequence[SchoolHours],
    today: date,
    *,
    policy: PlaygroundsPolicy,
    workdays: WorkCalendar,
) -> list[Closure]:
    """Closures to announce today: their notice day has come and they have not started.

    A missed daily run is caught up the next day, as long as the closure is still ahead.
    """
    ahead = closures(
        schools,
        today + timedelta(days=1),
        today + timedelta(days=LOOKAHEAD_DAYS),
        policy=policy,
        workdays=workdays,
    )
    return [c for c in ahead if c.notice_on <= today]


def span_zh(first: date, last: date) -> str:
    """2026年10月1日至10月8日 (the year once when both days share it)."""
    if first == last:
        return date_zh(first)
    tail = date_zh(last) if last.year != first.year else f"{last.month}月{last.day}日"
    return f"{date_zh(first)}至{tail}"


def hours_zh(hours: SeasonHours) -> str:
    """早上6:00至7:30，晚上18:00至20:30"""

    def clock(moment: time) -> str:
        return f"{moment.hour}:{moment.minute:02d}"

    (mo, mc), (eo, ec) = hours.morning, hours.evening
    return f"早上{clock(mo)}至{clock(mc)}，晚上{clock(eo)}至{clock(ec)}"


def week_lines(week: Sequence[DayHours]) -> list[str]:
    """One school's week in words: runs of days with the same hours, and the closed days."""
    lines: list[str] = []
    run: list[DayHours] = []

    def flush() -> None:
        if not run:
            return
        span = span_zh(run[0].day, run[-1].day)
        if run[0].hours is None:
            guess = "（按推算，以国务院办公厅通知为准）" if run[0].estimated else ""
            lines.append(f"{span}暂停开放（{run[0].closed}）{guess}")
        else:
            lines.append(f"{span}{hours_zh(run[0].hours)}")
        run.clear()

    for entry in week:
        if run and (entry.hours != run[-1].hours or entry.closed != run[-1].closed):
            flush()
        run.append(entry)
    flush()
    return lines
