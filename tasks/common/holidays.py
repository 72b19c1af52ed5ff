"""The working-day calendar in force: the profile's and the imported notices, the estimate rule.

Every records function that counts working days starts here, so meeting placement, reminders,
key-day notices, distribution follow-ups and 公示 periods all count on the same calendar. An
imported notice takes precedence over the profile's notice for the same year, and both over the
holiday library (see `tasks.common.workdays`).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.db import session_scope
from models.holidays import HolidayEntry
from tasks.common.district import active_profile
from tasks.common.holiday_sources import HolidayDay, YearDays, notice_year
from tasks.common.workdays import WorkCalendar


def work_calendar(session: Session) -> WorkCalendar:
    """The calendar in force, read through SESSION."""
    profile = active_profile(session)
    years = {y: notice_year(y, entries) for y, entries in profile.holidays.notices.items()}
    imported: dict[int, list[HolidayDay]] = {}
    rows = session.exec(
        select(HolidayEntry).order_by(col(HolidayEntry.year), col(HolidayEntry.day))
    ).all()
    for row in rows:
        imported.setdefault(row.year, []).append(
            HolidayDay(day=row.day, name=row.name, off=row.off)
        )
    for year, days in imported.items():
        years[year] = YearDays(year=year, source="notice", days=tuple(days))
    return WorkCalendar(years=years, estimate=profile.holidays.estimate)


def current_work_calendar() -> WorkCalendar:
    """The calendar in force, in a transaction of its own."""
    with session_scope() as session:
        return work_calendar(session)
