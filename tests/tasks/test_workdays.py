"""Working days: the real 2025 and 2026 calendars, an entered notice, and the lunar estimate."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from models.profile.holidays import HolidayEstimate
from models.profile.loading import parse_profile
from tasks.common.holiday_sources import (
    YearDays,
    estimate_year,
    library_covers,
    library_year,
    lunar_festivals,
    lunar_new_year,
    notice_year,
)
from tasks.common.workdays import WorkCalendar, changed_days
from tests.holiday_notices import NOTICE_2026, NOTICE_2027, Row, profile_section

WORKDAYS = WorkCalendar()  # nothing entered: the library's years, the estimate beyond them
PROFILE = "district: 示例区\nstreets:\n  - name: 嘉兴路街道\n"


def entered(year: int, rows: list[Row]) -> YearDays:
    """A notice as a clerk types it into the profile, through the profile's own validation."""
    profile = parse_profile(PROFILE + profile_section(year, rows))
    return notice_year(year, profile.holidays.notices[year])


def days_of(year: int) -> list[date]:
    return [date(year, 1, 1) + timedelta(days=i) for i in range(365 + (year % 4 == 0))]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 6), False),  # Mid-Autumn Festival falls in the National Day week
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2026, 10, 1), False),
        (date(2026, 2, 17), False),  # Spring Festival 2026
        (date(2026, 9, 10), True),  # Teachers' Day is a Thursday, a working day
        (date(2026, 9, 12), False),  # an ordinary Saturday
    ],
)
def test_real_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert WORKDAYS.source(day.year) == "library"
    assert WORKDAYS.is_working_day(day) is working


def test_holiday_names_are_chinese() -> None:
    assert WORKDAYS.holiday_name(date(2026, 10, 1)) == "国庆节"
    assert WORKDAYS.holiday_name(date(2025, 10, 6)) == "中秋节"
    assert WORKDAYS.holiday_name(date(2026, 9, 10)) is None
    assert WORKDAYS.holiday_name(date(2026, 1, 4)) is None  # a make-up working day is no holiday


def test_working_day_arithmetic_skips_the_national_day_week() -> None:
    # 30 Sept 2025 is a Tuesday; 1-8 Oct are holidays; 9 Oct is the next working day
    assert WORKDAYS.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert WORKDAYS.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert WORKDAYS.add_working_days(date(2025, 9, 30), 0) == date(2025, 9, 30)
    assert WORKDAYS.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert WORKDAYS.previous_working_day(date(2025, 10, 8)) == date(2025, 9, 30)
    assert WORKDAYS.next_working_day(date(2025, 9, 30), include=False) == date(2025, 10, 9)


def test_a_five_working_day_period_across_a_holiday() -> None:
    # starts on Mon 29 Sept 2025: 29, 30 Sept, then 9, 10, 11 Oct (11 Oct is a make-up Saturday)
    assert WORKDAYS.period_end(date(2025, 9, 29), 5) == date(2025, 10, 11)
    assert WORKDAYS.working_days_between(date(2025, 9, 29), date(2025, 10, 11)) == 5
    with pytest.raises(ValueError):
        WORKDAYS.period_end(date(2025, 9, 29), 0)


def test_every_working_day_of_a_year_is_one() -> None:
    days = WORKDAYS.working_days_in(2026)
    assert all(WORKDAYS.is_working_day(d) for d in days)
    assert 240 <= len(days) <= 255
    assert WORKDAYS.working_days_in(2026, 12)[-1] <= date(2026, 12, 31)
    assert WORKDAYS.warnings_for(days) == []


def test_the_2026_notice_entered_by_hand_gives_the_librarys_365_days() -> None:
    calendar = WorkCalendar(years={2026: entered(2026, NOTICE_2026)})
    assert calendar.source(2026) == "notice"
    for day in days_of(2026):
        assert calendar.is_working_day(day) is chinese_calendar.is_workday(day), day
        assert calendar.holiday_name(day) == WORKDAYS.holiday_name(day), day
    assert calendar.library_disagreements(2026) == []
    assert calendar.warnings(2026) == []
    assert calendar.notes_for([date(2026, 3, 1)]) == [
        "2026年节假日依据：经办人员录入的国务院办公厅通知（放假19个工作日，调休上班6天）"
    ]


def test_an_entered_notice_that_disagrees_with_the_library_wins_and_names_the_days() -> None:
    typo = [r for r in NOTICE_2026 if r[0] != "2026-01-04"]  # the make-up Sunday left out
    typo.append(("2026-02-13", "放假", "春节"))  # and a Friday given off
    calendar = WorkCalendar(years={2026: entered(2026, typo)})

    assert not calendar.is_working_day(date(2026, 1, 4))
    assert not calendar.is_working_day(date(2026, 2, 13))
    differing = calendar.library_disagreements(2026)
    assert [(c.day, c.working) for c in differing] == [
        (date(2026, 1, 4), True),
        (date(2026, 2, 13), True),
    ]
    (warning,) = calendar.warnings(2026)
    assert "以录入为准" in warning
    assert "2026年1月4日（星期日）由休息日改为工作日" in warning
    assert "2026年2月13日（星期五）由休息日改为工作日" in warning


def test_the_lunar_dates_agree_with_every_notice_the_library_knows() -> None:
    # 清明 has been a holiday since 2008; the library knows 2004-2026
    for year in range(2008, 2027):
        library = library_year(year)
        assert library is not None
        names = {d.day: d.name for d in library.days if d.off}
        assert names[lunar_new_year(year)] == "春节", year
        for name, day in lunar_festivals(year).items():
            # a day off of that holiday (the library leaves some weekend days unnamed)
            assert not chinese_calendar.is_workday(day), (year, name, day)
            around = "".join(names.get(day + timedelta(days=k), "") for k in (-1, 0, 1))
            merged = name == "中秋节" and "国庆节" in around  # 2020: 中秋 on 1 October
            assert name in around or merged, (year, name, day)


def test_the_estimate_misses_few_weekdays_in_recent_years() -> None:
    """Against the real notices of 2019-2026 (make-up weekend days cannot be foreseen)."""
    misses = {}
    for year in range(2019, 2027):
        truth = WorkCalendar(years={year: library_year(year)})
        guess = WorkCalendar(years={year: estimate_year(year, HolidayEstimate())})
        misses[year] = [c.day for c in changed_days(truth, guess, year) if c.day.weekday() < 5]
    assert sum(len(m) for m in misses.values()) <= 10, misses
    assert all(len(m) <= 2 for m in misses.values()), misses
    # the Spring Festival week itself is never worked in the estimate
    for year in range(2019, 2027):
        new_year = lunar_new_year(year)
        guess = WorkCalendar(years={year: estimate_year(year, HolidayEstimate())})
        assert not any(guess.is_working_day(new_year + timedelta(days=i)) for i in range(-1, 6))


def test_a_year_nobody_entered_is_estimated_from_the_lunar_calendar() -> None:
    assert not library_covers(2027)  # chinese-calendar 1.11.0 stops at 2026
    assert WORKDAYS.source(2027) == "estimated"
    festival = [date(2027, 2, 5) + timedelta(days=i) for i in range(7)]  # 除夕 to 初六
    assert lunar_new_year(2027) == date(2027, 2, 6)
    for day in festival:
        assert not WORKDAYS.is_working_day(day)
        assert WORKDAYS.holiday_name(day) == "春节" and WORKDAYS.is_estimated(day)
    assert WORKDAYS.is_working_day(date(2027, 2, 4)) and WORKDAYS.is_working_day(date(2027, 2, 12))
    assert lunar_festivals(2027) == {
        "清明节": date(2027, 4, 5),
        "端午节": date(2027, 6, 9),
        "中秋节": date(2027, 9, 15),
    }
    # fixed-date statutory days are certain, the rest of their week is estimated
    assert not WORKDAYS.is_working_day(date(2027, 1, 1)) and not WORKDAYS.is_estimated(
        date(2027, 1, 1)
    )
    assert not WORKDAYS.is_working_day(date(2027, 10, 7)) and WORKDAYS.is_estimated(
        date(2027, 10, 7)
    )
    assert WORKDAYS.is_working_day(date(2027, 10, 8))
    rows = WORKDAYS.holidays_table(2027)
    assert {"date": "2027-02-08", "name": "春节", "type": "放假", "estimated": True} in rows
    assert all(r["type"] == "放假" for r in rows)  # no make-up day can be foreseen
    (warning,) = WORKDAYS.warnings(2027)
    assert "推算" in warning and "春节" in warning


def test_the_profile_says_how_long_the_spring_festival_is() -> None:
    rule = HolidayEstimate(spring_festival=("除夕前一天", "初七"))
    calendar = WorkCalendar(estimate=rule)
    assert not calendar.is_working_day(date(2027, 2, 4))  # the day before 除夕
    assert not calendar.is_working_day(date(2027, 2, 12))  # 初七
    assert calendar.is_working_day(date(2027, 2, 15))


def test_a_one_day_holiday_is_joined_as_notices_join_it() -> None:
    # 元旦 2028 is a Saturday: the Monday after is given; 端午 2028 (28 May) a Sunday: Monday
    assert not WORKDAYS.is_working_day(date(2028, 1, 3))
    assert lunar_festivals(2028)["端午节"] == date(2028, 5, 28)
    assert not WORKDAYS.is_working_day(date(2028, 5, 29))
    # 中秋 2029 (22 Sept) is a Saturday: Monday 24 Sept
    assert lunar_festivals(2029)["中秋节"] == date(2029, 9, 22)
    assert not WORKDAYS.is_working_day(date(2029, 9, 24))


def test_a_five_working_day_period_in_an_estimated_year_skips_the_festival() -> None:
    end = WORKDAYS.period_end(date(2027, 2, 3), 5)
    counted = [d for d in WORKDAYS.working_days_in(2027, 2) if date(2027, 2, 3) <= d <= end]
    assert counted == [
        date(2027, 2, 3),
        date(2027, 2, 4),
        date(2027, 2, 12),
        date(2027, 2, 15),
        date(2027, 2, 16),
    ]


def test_next_years_notice_settles_the_new_year_days_at_the_end_of_december() -> None:
    # the 2019 notice: 2018-12-30 to 2019-01-01 off, Saturday 2018-12-29 worked
    rows: list[Row] = [
        ("2018-12-30至2019-01-01", "放假", "元旦"),
        ("2018-12-29", "上班", "元旦"),
        ("2019-02-04至2019-02-10", "放假", "春节"),
    ]
    calendar = WorkCalendar(years={2019: entered(2019, rows)})
    for day in [date(2018, 12, 28) + timedelta(days=i) for i in range(6)]:
        assert calendar.is_working_day(day) is chinese_calendar.is_workday(day), day
    assert calendar.holiday_name(date(2018, 12, 31)) == "元旦"


def test_an_estimated_year_before_a_known_one_leaves_its_new_year_to_it() -> None:
    # 元旦 2030 is a Tuesday: the estimate of 2029 would give Monday 31 Dec 2029 off,
    # but a notice for 2030 that works that day decides
    assert not WORKDAYS.is_working_day(date(2029, 12, 31))
    rows: list[Row] = [("2030-01-01", "放假", "元旦"), ("2030-02-02至2030-02-08", "放假", "春节")]
    calendar = WorkCalendar(years={2030: entered(2030, rows)})
    assert calendar.is_working_day(date(2029, 12, 31))


def test_the_2027_notice_changes_exactly_these_days_of_the_estimate() -> None:
    notice = WorkCalendar(years={2027: entered(2027, NOTICE_2027)})
    changes = changed_days(WORKDAYS, notice, 2027)
    assert [(c.day, c.was_working, c.working, c.name) for c in changes] == [
        (date(2027, 2, 12), True, False, "春节"),
        (date(2027, 2, 20), False, True, "春节调休"),
        (date(2027, 4, 25), False, True, "劳动节调休"),
        (date(2027, 5, 8), False, True, "劳动节调休"),
        (date(2027, 9, 26), False, True, "国庆节调休"),
        (date(2027, 10, 9), False, True, "国庆节调休"),
    ]
    assert changes[0].describe() == "2027年2月12日（星期五）由工作日改为休息日（春节）"


def test_a_pinned_calendar_is_plain_data_that_keeps_its_days() -> None:
    pinned = WORKDAYS.pinned([2026, 2027])
    stored = WorkCalendar.model_validate_json(pinned.model_dump_json())
    assert stored == pinned and stored.source(2027) == "estimated"
    later = WorkCalendar(years={2027: entered(2027, NOTICE_2027)})
    assert stored != later
    for day in days_of(2027):
        assert stored.is_working_day(day) is WORKDAYS.is_working_day(day)
