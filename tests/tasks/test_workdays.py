"""Working days on the real 2025 and 2026 Chinese holiday calendars, and the fallback."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.common.workdays import (
    add_working_days,
    covered,
    fallback_note,
    holiday_name,
    is_working_day,
    next_working_day,
    notes_for,
    period_end,
    previous_working_day,
    working_days_between,
    working_days_in,
)


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
    assert covered(day.year)
    assert is_working_day(day) is working


def test_holiday_names_are_chinese() -> None:
    assert holiday_name(date(2026, 10, 1)) == "国庆节"
    assert holiday_name(date(2025, 10, 6)) == "中秋节"
    assert holiday_name(date(2026, 9, 10)) is None


def test_working_day_arithmetic_skips_the_national_day_week() -> None:
    # 30 Sept 2025 is a Tuesday; 1-8 Oct are holidays; 9 Oct is the next working day
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert add_working_days(date(2025, 9, 30), 0) == date(2025, 9, 30)
    assert next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert previous_working_day(date(2025, 10, 8)) == date(2025, 9, 30)
    assert next_working_day(date(2025, 9, 30), include=False) == date(2025, 10, 9)


def test_a_five_working_day_period_across_a_holiday() -> None:
    # starts on Mon 29 Sept 2025: 29, 30 Sept, then 9, 10, 11 Oct (11 Oct is a make-up Saturday)
    assert period_end(date(2025, 9, 29), 5) == date(2025, 10, 11)
    assert working_days_between(date(2025, 9, 29), date(2025, 10, 11)) == 5
    with pytest.raises(ValueError):
        period_end(date(2025, 9, 29), 0)


def test_every_working_day_of_a_year_is_one() -> None:
    days = working_days_in(2026)
    assert all(is_working_day(d) for d in days)
    assert 240 <= len(days) <= 255
    assert working_days_in(2026, 12)[-1] <= date(2026, 12, 31)
    assert notes_for(days) == []


def test_uncovered_year_falls_back_and_says_so() -> None:
    year = 2099
    assert not covered(year)
    assert not is_working_day(date(year, 10, 1))  # fixed-date National Day
    assert not is_working_day(date(year, 1, 3))  # a Saturday
    assert is_working_day(date(year, 1, 5))  # a Monday
    note = fallback_note(year)
    assert note is not None and str(year) in note and "春节" in note
    assert notes_for([date(year, 3, 1), date(2026, 3, 1)]) == [note]
