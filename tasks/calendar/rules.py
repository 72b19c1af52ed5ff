"""The yearly rhythm as plain functions (R7.4, R7.2, R7.5, R7.1): no Prefect, no database.

- Publicity month is 1-30 September, the activity week is the Monday-Sunday week that contains
  Teachers' Day (10 September), and Teachers' Day itself is publicity day (R7.4).
- Key-day notices go out on the last working day before each key day.
- Meeting reminders fall T-7 and T-1 working days before the start (offsets from the profile).
- Material distribution (R7.2) starts on the first working day on or after the campaign start;
  an office that has not confirmed is reminded every `confirm_within` working days.
- Nothing is announced a year ahead: the year's plan reaches the offices `plan_notice_lead_days`
  working days before 1 January, each invitation `invitation_lead_days` working days before its
  meeting, and invitees answer by `reply_before_days` working days before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from models.profile.calendar import CalendarPolicy, MeetingProfile, month_day_of
from tasks.calendar.placement import EventSpec, PastEvent, ScheduleRules, VenueSpec
from tasks.common.workdays import WorkCalendar

TEACHERS_DAY = (9, 10)
PERIOD_NAMES = {
    "monthly": [f"{m}月" for m in range(1, 13)],
    "quarterly": ["第一季度", "第二季度", "第三季度", "第四季度"],
    "half_yearly": ["上半年", "下半年"],
    "yearly": ["全年"],
}


class PublicityCalendar(BaseModel):
    """Publicity month, activity week and publicity day of one year (R7.4)."""

    model_config = ConfigDict(frozen=True)

    year: int
    month_start: date
    month_end: date
    activity_week_start: date
    activity_week_end: date
    publicity_day: date
    notes: tuple[str, ...] = ()  # loud notes when the year's holidays are estimated

    @property
    def activity_week_days(self) -> tuple[date, ...]:
        return tuple(self.activity_week_start + timedelta(days=i) for i in range(7))

    def message_fields(self) -> dict[str, Any]:
        """The month, the activity week and the notes, as the message templates name them."""
        return {
            "month_start": self.month_start,
            "month_end": self.month_end,
            "week_start": self.activity_week_start,
            "week_end": self.activity_week_end,
            "notes": list(self.notes),
        }


class KeyDay(BaseModel):
    """A day the street and community offices are told about ahead of time."""

    model_config = ConfigDict(frozen=True)

    kind: str  # kickoff | activity_week | publicity_day
    label: str
    day: date
    due: date  # the last working day before `day`


def activity_week(year: int) -> tuple[date, date]:
    """The Monday and Sunday of the week that contains Teachers' Day (R7.4)."""
    teachers_day = date(year, *TEACHERS_DAY)
    monday = teachers_day - timedelta(days=teachers_day.weekday())
    return monday, monday + timedelta(days=6)


def publicity_calendar(year: int, *, workdays: WorkCalendar) -> PublicityCalendar:
    """The year's publicity month, activity week and publicity day, with any estimate note."""
    start, end = activity_week(year)
    return PublicityCalendar(
        year=year,
        month_start=date(year, 9, 1),
        month_end=date(year, 9, 30),
        activity_week_start=start,
        activity_week_end=end,
        publicity_day=date(year, *TEACHERS_DAY),
        notes=tuple(workdays.warnings(year)),
    )


def key_days(calendar: PublicityCalendar, *, workdays: WorkCalendar) -> list[KeyDay]:
    """Publicity month kick-off, activity week, publicity day: each told a working day ahead."""
    days = [
        ("kickoff", "社区教育宣传月启动", calendar.month_start),
        ("activity_week", "社区教育宣传活动周开始", calendar.activity_week_start),
        ("publicity_day", "社区教育宣传日（教师节）", calendar.publicity_day),
    ]
    return [
        KeyDay(
            kind=kind,
            label=label,
            day=day,
            due=workdays.previous_working_day(day, include=False),
        )
        for kind, label, day in days
    ]


def reminder_dates(
    day: date, offsets: Sequence[int], *, workdays: WorkCalendar
) -> list[tuple[int, date]]:
    """(offset, date) of each reminder: `offset` working days before `day`, largest first."""
    return [(n, workdays.add_working_days(day, -n)) for n in sorted(set(offsets), reverse=True)]


def invitation_day(day: date, policy: CalendarPolicy, *, workdays: WorkCalendar) -> date:
    """When the invitation to a meeting on `day` goes out (a lead time in working days)."""
    return workdays.add_working_days(day, -policy.invitation_lead_days)


def reply_day(day: date, policy: CalendarPolicy, *, workdays: WorkCalendar) -> date:
    """The day invitees answer by, for a meeting on `day`."""
    return workdays.add_working_days(day, -policy.reply_before_days)


def plan_notice_day(year: int, policy: CalendarPolicy, *, workdays: WorkCalendar) -> date:
    """From when the year's plan is sent to the offices: a lead time before 1 January."""
    return workdays.add_working_days(date(year, 1, 1), -policy.plan_notice_lead_days)


def distribution_request_day(policy: CalendarPolicy, year: int, *, workdays: WorkCalendar) -> date:
    """The first working day on or after the campaign start (R7.2)."""
    return workdays.next_working_day(month_day_of(policy.distribution.start, year))


def distribution_reminder_days(
    policy: CalendarPolicy, requested_on: date, *, workdays: WorkCalendar
) -> list[date]:
    """When an unconfirmed office is reminded: every `confirm_within` working days, capped."""
    within = policy.distribution.confirm_within
    return [
        workdays.add_working_days(requested_on, within * k)
        for k in range(1, policy.distribution.max_reminders + 1)
    ]


def training_periods(frequency: str, year: int) -> list[tuple[str, date, date]]:
    """(name, first day, last day) of each training period of the year."""
    months = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[frequency]
    periods = []
    for i, name in enumerate(PERIOD_NAMES[frequency]):
        first = date(year, i * months + 1, 1)
        after = (
            date(year + 1, 1, 1) if (i + 1) * months == 12 else date(year, (i + 1) * months + 1, 1)
        )
        periods.append((name, first, after - timedelta(days=1)))
    return periods


def _invitees(policy: CalendarPolicy, audiences: Sequence[str]) -> int:
    sizes = policy.audience_sizes
    return sum(sizes[a] for a in audiences)


def _meeting_spec(policy: CalendarPolicy, meeting: MeetingProfile, year: int) -> EventSpec:
    first, last = (month_day_of(d, year) for d in meeting.window)
    preferred = month_day_of(meeting.preferred, year) if meeting.preferred else first
    return EventSpec(
        key=meeting.kind,
        kind=meeting.kind,
        title=meeting.title,
        window_start=first,
        window_end=last,
        preferred=preferred,
        audiences=tuple(meeting.audiences),
        invitees=_invitees(policy, meeting.audiences),
        venues=tuple(meeting.venues),
    )


def event_specs(policy: CalendarPolicy, year: int) -> list[EventSpec]:
    """The year's meetings (R7.5) and cadre trainings (R7.1) as events to place."""
    specs = [_meeting_spec(policy, m, year) for m in policy.meetings]
    training = policy.trainings
    if training is not None:
        for i, (name, first, last) in enumerate(training_periods(training.frequency, year), 1):
            preferred = min(first + timedelta(days=training.offset_days), last)
            specs.append(
                EventSpec(
                    key=f"cadre_training_{i}",
                    kind="cadre_training",
                    title=f"{training.title}（{name}）",
                    window_start=first,
                    window_end=last,
                    preferred=preferred,
                    audiences=tuple(training.audiences),
                    invitees=_invitees(policy, training.audiences),
                    venues=tuple(training.venues),
                )
            )
    return specs


def schedule_rules(
    policy: CalendarPolicy,
    year: int,
    *,
    workdays: WorkCalendar,
    avoid_activity_week: bool | None = None,
    one_event_per_day: bool | None = None,
) -> ScheduleRules:
    """The placement rules of a year: the profile's, with the run's overrides.

    The working-day calendar is written out for the year and its neighbours (a January
    meeting is reminded in December): the plan keeps the days it was made on.
    """
    avoid = policy.avoid_activity_week if avoid_activity_week is None else avoid_activity_week
    return ScheduleRules(
        workdays=workdays.pinned([year - 1, year, year + 1]),
        one_event_per_day=policy.one_event_per_day
        if one_event_per_day is None
        else one_event_per_day,
        avoid=publicity_calendar(year, workdays=workdays).activity_week_days if avoid else (),
    )


def same_weekday_next_year(day: date, year: int) -> date:
    """The date in `year` that is the same weekday as `day`, 52 weeks on (kept inside the year)."""
    shifted = day + timedelta(weeks=52 * (year - day.year))
    while shifted.year < year:
        shifted += timedelta(weeks=1)
    while shifted.year > year:
        shifted -= timedelta(weeks=1)
    return shifted


def clone_specs(
    past: Sequence[PastEvent],
    *,
    year: int,
    venues: Sequence[VenueSpec],
    audience_sizes: dict[str, int],
    spread_days: int = 21,
) -> list[EventSpec]:
    """Last year's meetings as events of `year`: same weekday 52 weeks on, same venue first.

    Each may move up to `spread_days` either way (inside the year) to find a free working day.
    """
    specs = []
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    for event in past:
        preferred = same_weekday_next_year(event.day, year)
        invitees = (
            sum(audience_sizes[a] for a in event.audiences)
            if all(a in audience_sizes for a in event.audiences)
            else event.invitees
        )
        others = sorted(
            (v for v in venues if v.name != event.venue and v.capacity >= invitees),
            key=lambda v: v.capacity,
        )
        allowed = ([event.venue] if any(v.name == event.venue for v in venues) else []) + [
            v.name for v in others
        ]
        specs.append(
            EventSpec(
                key=event.key,
                kind=event.kind,
                title=event.title,
                window_start=max(first_day, preferred - timedelta(days=spread_days)),
                window_end=min(last_day, preferred + timedelta(days=spread_days)),
                preferred=preferred,
                audiences=event.audiences,
                invitees=invitees,
                venues=tuple(allowed),
            )
        )
    return specs
