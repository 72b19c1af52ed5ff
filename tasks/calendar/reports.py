"""The year's calendar notice (R7.4, R7.2, R7.5, R7.1) as a Word document.

Publicity month, activity week and day, the material's distribution, the year's meetings and
the cadre trainings, as planned and as since moved or cancelled; written under
`<data dir>/reports/<year>/` and dated the day the run makes it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.db import session_scope
from tasks.calendar.summary import calendar_result
from tasks.common.district import active_profile
from tasks.common.documents import WrittenFile, render_docx, year_dir, zh_date

TRAINING = "cadre_training"


def _day(text: str, *, weekday: bool = True) -> str:
    return zh_date(date.fromisoformat(text), weekday=weekday)


def _short_day(text: str) -> str:
    """A date inside the year's table: 2月24日（星期二）."""
    return _day(text).split("年", 1)[1]


def _event(event: dict[str, Any], names: dict[str, str]) -> dict[str, str]:
    return {
        "title": event["title"],
        "day": _short_day(event["date"]),
        "time": f"{event['start'].lstrip('0')}—{event['end'].lstrip('0')}",
        "venue": event["venue"],
        "audiences": "、".join(names.get(a, a) for a in event["audiences"]),
    }


def write_calendar_notice(year: int, *, issued_on: date) -> list[WrittenFile]:
    """The notice of the planned year (nothing before the year is planned)."""
    result = calendar_result(year)
    if result is None:
        return []
    with session_scope() as session:
        profile = active_profile(session)
    names = profile.calendar.audience_names
    events = sorted(result["events"], key=lambda e: str(e["date"]))
    month_start, month_end = result["publicity_month"]
    week_start, week_end = result["activity_week"]
    office = profile.contacts.centre.model_copy(update={"name": profile.calendar.organizer})
    path = render_docx(
        "calendar_notice",
        {
            "year": year,
            "month_start": _day(month_start, weekday=False),
            "month_end": _day(month_end, weekday=False),
            "week_start": _day(week_start, weekday=False),
            "week_end": _day(week_end, weekday=False),
            "publicity_day": _day(result["publicity_day"], weekday=False),
            "request_on": _day(result["distribution"]["request_on"], weekday=False),
            "material": profile.calendar.distribution.material,
            "confirm_within": profile.calendar.distribution.confirm_within,
            "meetings": [_event(e, names) for e in events if e["kind"] != TRAINING],
            "trainings": [_event(e, names) for e in events if e["kind"] == TRAINING],
            "office": office.model_dump(),
            "issued_on": zh_date(issued_on),
        },
        year_dir(year) / f"calendar-notice-{year}.docx",
    )
    return [
        WrittenFile(label=f"{year}年社区教育宣传月活动和年度会议安排通知（Word）", path=str(path))
    ]
