"""The yearly rhythm (R7.4, R7.2, R7.1): publicity dates, key days, reminders, periods, cloning."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.profile.calendar import CalendarPolicy, DistributionPolicy
from models.profile.loading import load_profile
from tasks.calendar.placement import PastEvent, VenueSpec
from tasks.calendar.rules import (
    activity_week,
    clone_specs,
    distribution_reminder_days,
    distribution_request_day,
    event_specs,
    key_days,
    publicity_calendar,
    reminder_dates,
    same_weekday_next_year,
    schedule_rules,
    training_periods,
)
from tasks.common.workdays import WorkCalendar

WORKDAYS = WorkCalendar()


@pytest.mark.parametrize(
    ("year", "monday", "sunday"),
    [
        (2024, date(2024, 9, 9), date(2024, 9, 15)),  # 10 Sept 2024 is a Tuesday
        (2025, date(2025, 9, 8), date(2025, 9, 14)),  # a Wednesday
        (2026, date(2026, 9, 7), date(2026, 9, 13)),  # a Thursday
        (2027, date(2027, 9, 6), date(2027, 9, 12)),  # a Friday
    ],
)
def test_activity_week_and_publicity_day(year: int, monday: date, sunday: date) -> None:
    calendar = publicity_calendar(year, workdays=WORKDAYS)
    assert (calendar.activity_week_start, calendar.activity_week_end) == (monday, sunday)
    assert calendar.publicity_day == date(year, 9, 10)
    assert (calendar.month_start, calendar.month_end) == (date(year, 9, 1), date(year, 9, 30))
    assert monday.weekday() == 0 and sunday.weekday() == 6
    assert monday <= calendar.publicity_day <= sunday
    assert len(calendar.activity_week_days) == 7
    # 2027 is beyond the holiday data (chinese-calendar 1.11 knows 2004-2026): estimated, loudly
    assert bool(calendar.notes) is (year == 2027)
    assert all("推算" in note for note in calendar.notes)


@given(st.integers(min_value=1990, max_value=2100))
def test_activity_week_always_contains_teachers_day(year: int) -> None:
    monday, sunday = activity_week(year)
    assert monday.weekday() == 0 and sunday - monday == timedelta(days=6)
    assert monday <= date(year, 9, 10) <= sunday


def test_key_day_notices_go_out_the_working_day_before() -> None:
    days = {
        k.kind: k for k in key_days(publicity_calendar(2026, workdays=WORKDAYS), workdays=WORKDAYS)
    }
    assert set(days) == {"kickoff", "activity_week", "publicity_day"}
    assert days["kickoff"].due == date(2026, 8, 31)  # Tue 1 Sept; Mon 31 Aug before it
    assert days["activity_week"].due == date(2026, 9, 4)  # Friday before Monday 7 Sept
    assert days["publicity_day"].due == date(2026, 9, 9)
    assert all(WORKDAYS.is_working_day(k.due) and k.due < k.day for k in days.values())


@pytest.mark.parametrize(
    "day",
    [date(2025, 10, 9), date(2025, 10, 13), date(2026, 2, 24), date(2026, 10, 9), date(2027, 3, 1)],
)
def test_reminders_land_on_working_days_seven_and_one_before(day: date) -> None:
    (seven, t7), (one, t1) = reminder_dates(day, [1, 7], workdays=WORKDAYS)
    assert (seven, one) == (7, 1)
    assert WORKDAYS.is_working_day(t7) and WORKDAYS.is_working_day(t1)
    # exactly 7 (resp. 1) working days from the reminder to the day before the meeting
    assert WORKDAYS.working_days_between(t7, day - timedelta(days=1)) == 7
    assert WORKDAYS.working_days_between(t1, day - timedelta(days=1)) == 1


def test_reminders_skip_the_national_day_week() -> None:
    # Thu 9 Oct 2025 follows the 1-8 Oct holiday: T-1 is Tue 30 Sept
    assert dict(reminder_dates(date(2025, 10, 9), [1], workdays=WORKDAYS)) == {1: date(2025, 9, 30)}
    # Sat 11 Oct 2025 is a make-up working day: T-1 of Mon 13 Oct is that Saturday
    assert dict(reminder_dates(date(2025, 10, 13), [1], workdays=WORKDAYS)) == {
        1: date(2025, 10, 11)
    }


def test_distribution_dates_are_working_days() -> None:
    policy = CalendarPolicy(distribution=DistributionPolicy(start="09-01", confirm_within=5))
    assert distribution_request_day(policy, 2024, workdays=WORKDAYS) == date(
        2024, 9, 2
    )  # 1 Sept 2024 is a Sunday
    reminders = distribution_reminder_days(policy, date(2025, 9, 29), workdays=WORKDAYS)
    # 29, 30 Sept then 9 (Thu), 10, 11 (make-up Sat) Oct 2025: 5 working days after 29 Sept
    assert reminders == [date(2025, 10, 13), date(2025, 10, 20)]
    assert all(WORKDAYS.is_working_day(d) for d in reminders)


def test_training_periods_cover_the_year() -> None:
    for frequency, count in (("monthly", 12), ("quarterly", 4), ("half_yearly", 2), ("yearly", 1)):
        periods = training_periods(frequency, 2026)
        assert len(periods) == count
        assert periods[0][1] == date(2026, 1, 1) and periods[-1][2] == date(2026, 12, 31)
        for (_, _, end), (_, start, _) in zip(periods, periods[1:], strict=False):
            assert start == end + timedelta(days=1)


def test_event_specs_of_the_bundled_profile() -> None:
    profile, _ = load_profile()
    specs = event_specs(profile.calendar, 2026)
    kinds = [s.kind for s in specs]
    assert kinds[:3] == ["work_conference", "theory_symposium", "experience_exchange"]
    assert kinds.count("cadre_training") == 4
    conference = specs[0]
    assert (conference.window_start, conference.window_end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert conference.invitees == 20 + 40 + 15 + 29
    rules = schedule_rules(profile.calendar, 2026, workdays=WORKDAYS)
    assert rules.avoid == publicity_calendar(2026, workdays=WORKDAYS).activity_week_days
    assert (
        schedule_rules(profile.calendar, 2026, workdays=WORKDAYS, avoid_activity_week=False).avoid
        == ()
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_clone_keeps_the_weekday_inside_next_year(day: date) -> None:
    target = same_weekday_next_year(day, day.year + 1)
    assert target.weekday() == day.weekday() and target.year == day.year + 1
    assert abs((target - day).days - 365) <= 7


def test_clone_specs_prefer_the_same_venue() -> None:
    venues = [VenueSpec(name="大厅", capacity=300), VenueSpec(name="小厅", capacity=150)]
    past = [
        PastEvent(
            key="work_conference",
            kind="work_conference",
            title="社区教育工作会议",
            day=date(2025, 2, 24),
            venue="大厅",
            audiences=("street_staff",),
            invitees=40,
        )
    ]
    (spec,) = clone_specs(past, year=2026, venues=venues, audience_sizes={"street_staff": 45})
    assert spec.preferred == date(2026, 2, 23) and spec.preferred.weekday() == 0
    assert spec.venues == ("大厅", "小厅") and spec.invitees == 45
    assert spec.window_start <= spec.preferred <= spec.window_end
