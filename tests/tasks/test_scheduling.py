"""Meeting placement (R7.5, R7.1) on the real 2025 and 2026 calendars, and an estimated year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.profile.loading import load_profile
from tasks.calendar.placement import (
    EventSpec,
    InfeasibleSchedule,
    PlacedEvent,
    ScheduleRules,
    VenueSpec,
    candidate_days,
    candidate_venues,
    violations,
)
from tasks.calendar.rules import event_specs, publicity_calendar, schedule_rules
from tasks.calendar.scheduling import greedy_schedule, solve_schedule
from tasks.common.holiday_sources import library_covers
from tasks.common.workdays import WorkCalendar

WORKDAYS = WorkCalendar()  # the library's years, estimates beyond them
VENUES = [
    VenueSpec(name="报告厅", capacity=300),
    VenueSpec(name="多功能厅", capacity=150),
    VenueSpec(name="会议室", capacity=60),
]


def spec(key: str, first: date, last: date, **overrides: object) -> EventSpec:
    values: dict[str, object] = {
        "key": key,
        "kind": "work_conference",
        "title": f"会议{key}",
        "window_start": first,
        "window_end": last,
        "preferred": first,
        "audiences": ("street_staff",),
        "invitees": 40,
    }
    values.update(overrides)
    return EventSpec.model_validate(values)


@pytest.mark.parametrize("year", [2025, 2026])
def test_bundled_year_is_valid_on_real_holidays(year: int) -> None:
    profile, _ = load_profile()
    events = event_specs(profile.calendar, year)
    rules = schedule_rules(profile.calendar, year, workdays=WORKDAYS)
    schedule = solve_schedule(events, VENUES, rules=rules)

    assert len(schedule.events) == len(events) and schedule.status == "optimal"
    assert violations(schedule.events, events, VENUES, rules=rules) == []
    week = set(publicity_calendar(year, workdays=WORKDAYS).activity_week_days)
    for placed in schedule.events:
        assert WORKDAYS.is_working_day(placed.day) and WORKDAYS.holiday_name(placed.day) is None
        assert placed.day not in week
        assert "R7." in placed.reason and str(placed.day) in placed.reason
    assert schedule.notes == WORKDAYS.notes_for([date(year, 1, 1)])  # the library, no warning
    assert len(schedule.notes) == 1 and "节假日数据" in schedule.notes[0]


@pytest.mark.parametrize(
    ("year", "holidays"),
    [
        # National Day and Mid-Autumn run together 1-8 Oct 2025; Sun 28 Sept, Sat 11 Oct work
        (2025, [date(2025, 10, d) for d in range(1, 9)]),
        # 2026: Mid-Autumn Fri 25 Sept, National Day 1-7 Oct
        (2026, [date(2026, 9, 25)] + [date(2026, 10, d) for d in range(1, 8)]),
    ],
)
def test_meetings_around_national_day_avoid_holidays_and_plain_weekends(
    year: int, holidays: list[date]
) -> None:
    first, last = date(year, 9, 22), date(year, 10, 16)
    events = [
        spec(f"m{i}", first, last, preferred=date(year, 10, 1), audiences=(f"group{i}",))
        for i in range(8)
    ]
    rules = ScheduleRules(workdays=WORKDAYS, one_event_per_day=True)
    schedule = solve_schedule(events, VENUES, rules=rules)

    days = [p.day for p in schedule.events]
    assert len(set(days)) == 8
    for day in days:
        assert day not in holidays
        assert WORKDAYS.is_working_day(day)
        if day.weekday() >= 5:  # only a make-up working day may be a weekend
            assert day in {
                date(2025, 9, 28),
                date(2025, 10, 11),
                date(2026, 9, 20),
                date(2026, 10, 10),
            }
    # the nearest working days to 1 Oct are taken, outward
    assert min(abs((d - date(year, 10, 1)).days) for d in days) > 0
    assert violations(schedule.events, events, VENUES, rules=rules) == []


def test_make_up_saturday_is_a_candidate() -> None:
    # Sat 11 Oct 2025 is a make-up working day; Sun 12 Oct is not
    days = candidate_days(
        spec("x", date(2025, 10, 10), date(2025, 10, 12)), rules=ScheduleRules(workdays=WORKDAYS)
    )
    assert days == [date(2025, 10, 10), date(2025, 10, 11)]


def test_an_estimated_year_keeps_meetings_off_the_lunar_holidays_and_says_so() -> None:
    assert not library_covers(2027)
    # the estimated Spring Festival of 2027 runs from 除夕 (5 Feb) to 初六 (11 Feb)
    events = [
        spec("a", date(2027, 2, 1), date(2027, 2, 26), preferred=date(2027, 2, 8)),
        spec("b", date(2027, 9, 28), date(2027, 10, 12), preferred=date(2027, 10, 5)),
    ]
    schedule = solve_schedule(events, VENUES, rules=ScheduleRules(workdays=WORKDAYS))

    assert schedule.notes == WORKDAYS.notes_for([date(2027, 1, 1)])
    assert "推算" in schedule.notes[0] and "春节" in schedule.notes[1]
    days = {p.key: p.day for p in schedule.events}
    assert days["a"] == date(2027, 2, 4)  # the nearest working day before the festival
    assert days["b"] == date(2027, 10, 8)  # after the estimated National Day week
    placed = next(p for p in schedule.events if p.key == "a")
    assert "春节假期（推算）" in placed.reason and "节假日为推算" in placed.reason


def test_activity_week_is_avoided_only_when_asked() -> None:
    week = publicity_calendar(2026, workdays=WORKDAYS).activity_week_days
    event = spec("s", date(2026, 9, 1), date(2026, 9, 30), preferred=date(2026, 9, 10))

    kept_out = solve_schedule([event], VENUES, rules=ScheduleRules(workdays=WORKDAYS, avoid=week))
    allowed = solve_schedule([event], VENUES, rules=ScheduleRules(workdays=WORKDAYS))

    assert kept_out.events[0].day == date(2026, 9, 14)  # Monday after the week (Fri 4th is 6 away)
    assert "宣传活动周" in kept_out.events[0].reason
    assert allowed.events[0].day == date(2026, 9, 10)


def test_smallest_venue_that_fits_and_capacity() -> None:
    big = spec("big", date(2026, 3, 2), date(2026, 3, 6), invitees=200)
    small = spec("small", date(2026, 3, 2), date(2026, 3, 6), invitees=30, audiences=("x",))
    assert [v.name for v in candidate_venues(big, VENUES)] == ["报告厅"]
    assert [v.name for v in candidate_venues(small, VENUES)] == ["会议室", "多功能厅", "报告厅"]
    schedule = solve_schedule(
        [big, small], VENUES, rules=ScheduleRules(workdays=WORKDAYS, one_event_per_day=False)
    )
    venues = {p.key: p.venue for p in schedule.events}
    assert venues == {"big": "报告厅", "small": "会议室"}


def test_clashes_move_events_apart() -> None:
    window = (date(2026, 3, 2), date(2026, 3, 6))  # Mon-Fri
    events = [
        # same audience: not on the same day
        spec("a", *window, audiences=("street_staff",), invitees=20),
        spec("b", *window, audiences=("street_staff", "assistants"), invitees=20),
        # only the big hall fits both of these: not on the same day either
        spec("c", *window, audiences=("p",), invitees=250),
        spec("d", *window, audiences=("q",), invitees=250),
    ]
    rules = ScheduleRules(workdays=WORKDAYS, one_event_per_day=False)
    schedule = solve_schedule(events, VENUES, rules=rules)
    day = {p.key: p.day for p in schedule.events}
    assert day["a"] != day["b"] and day["c"] != day["d"]
    assert violations(schedule.events, events, VENUES, rules=rules) == []


def test_violations_name_every_broken_constraint() -> None:
    events = [
        spec("a", date(2025, 10, 1), date(2025, 10, 31)),
        spec("b", date(2025, 10, 1), date(2025, 10, 31)),
    ]
    placed = [
        PlacedEvent(
            key=e.key,
            kind=e.kind,
            title=e.title,
            day=date(2025, 10, 1),
            venue="会议室",
            audiences=e.audiences,
            invitees=e.invitees,
            reason="",
        )
        for e in events
    ]
    problems = "\n".join(violations(placed, events, VENUES, rules=ScheduleRules(workdays=WORKDAYS)))
    assert "不是工作日" in problems
    assert "多个会议" in problems
    assert "被重复预订" in problems
    assert "同时参加两个会议" in problems


def test_no_venue_large_enough_is_explained() -> None:
    event = spec("huge", date(2026, 3, 2), date(2026, 3, 31), invitees=500)
    with pytest.raises(InfeasibleSchedule, match="500人，没有足够大的会场.*300"):
        solve_schedule([event], VENUES, rules=ScheduleRules(workdays=WORKDAYS))


def test_window_without_working_days_is_explained() -> None:
    event = spec("holiday", date(2025, 10, 1), date(2025, 10, 8))
    with pytest.raises(InfeasibleSchedule, match="没有可用工作日"):
        solve_schedule([event], VENUES, rules=ScheduleRules(workdays=WORKDAYS))


def test_too_many_events_for_the_days_names_the_binding_constraint() -> None:
    window = (date(2026, 3, 2), date(2026, 3, 4))  # three working days
    events = [spec(f"e{i}", *window, audiences=(f"g{i}",)) for i in range(4)]
    with pytest.raises(InfeasibleSchedule) as caught:
        solve_schedule(events, VENUES, rules=ScheduleRules(workdays=WORKDAYS))
    text = "；".join(caught.value.reasons)
    assert "4个会议都须在2026-03-02至2026-03-04之间举行" in text and "3个可用工作日" in text
    assert "若允许同一天开多个会则可行" in text


def test_same_inputs_same_answer() -> None:
    profile, _ = load_profile()
    events = event_specs(profile.calendar, 2026)
    rules = schedule_rules(profile.calendar, 2026, workdays=WORKDAYS)
    first = solve_schedule(events, VENUES, rules=rules)
    second = solve_schedule(events, VENUES, rules=rules)
    assert first.events == second.events and first.inputs_digest == second.inputs_digest


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[EventSpec], list[VenueSpec], ScheduleRules]:
    venues = [
        VenueSpec(name=f"v{i}", capacity=draw(st.integers(20, 200)))
        for i in range(draw(st.integers(1, 4)))
    ]
    events = []
    for i in range(draw(st.integers(1, 10))):
        start = date(2025, 9, 1) + timedelta(days=draw(st.integers(0, 40)))
        length = draw(st.integers(0, 20))
        audiences = tuple(sorted(draw(st.sets(st.sampled_from("abcde"), min_size=1, max_size=3))))
        events.append(
            spec(
                f"e{i}",
                start,
                start + timedelta(days=length),
                preferred=start + timedelta(days=draw(st.integers(0, length))),
                audiences=audiences,
                invitees=draw(st.integers(5, 150)),
            )
        )
    rules = ScheduleRules(
        workdays=WORKDAYS,
        one_event_per_day=draw(st.booleans()),
        avoid=publicity_calendar(2025, workdays=WORKDAYS).activity_week_days
        if draw(st.booleans())
        else (),
        max_deterministic_time=2.0,
    )
    return events, venues, rules


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_placement_satisfies_every_constraint(
    instance: tuple[list[EventSpec], list[VenueSpec], ScheduleRules],
) -> None:
    events, venues, rules = instance
    placed = greedy_schedule(events, venues, rules=rules)
    try:
        schedule = solve_schedule(events, venues, rules=rules)
    except InfeasibleSchedule as exc:
        assert exc.reasons  # always explained
        assert len(placed) < len(events)  # greedy cannot place them all either
        return
    assert violations(schedule.events, events, venues, rules=rules) == []
    assert {p.key for p in schedule.events} == {e.key for e in events}
