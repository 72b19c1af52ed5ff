"""The theory-research group's seminars (R10.5), placed into a planned year like its meetings.

The series comes from the profile (`calendar.seminars`: one seminar per period, quarterly by
default). The year's meeting scheduler places it on working days inside each period, keeping
the activity week free as the year's plan does, and never on a day that already holds a
meeting — so no invitee, venue or day is booked twice. The seminars are then meetings of the
year like the others: a calendar entry each, the invitation to the research group a lead time
before (the calendar's daily run sends it, as for every meeting), reminders, RSVPs, moves and
cancellations. Placing sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import col, select

from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.profile.calendar import CalendarPolicy, SeminarProfile
from models.timeutil import utcnow
from tasks.calendar.files import meeting_times
from tasks.calendar.placement import EventSpec, PlacedEvent, ScheduleRules
from tasks.calendar.records import (
    CalendarError,
    as_placed,
    new_meeting,
    record_schedule,
    venues_of,
)
from tasks.calendar.rules import training_periods
from tasks.calendar.scheduling import solve_schedule
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar

KIND = "research_seminar"
AVOID_LABEL = "宣传活动周或已安排其他会议的日期"


class SeminarPlan(BaseModel):
    year: int
    placed: bool  # False: the series was placed before (nothing written, nothing sent)
    seminars: list[PlacedEvent]
    status: str  # the solver's status, or "stored"


def seminar_specs(series: SeminarProfile, policy: CalendarPolicy, year: int) -> list[EventSpec]:
    """One seminar per period of the year, preferred `offset_days` into the period."""
    sizes = policy.audience_sizes
    specs = []
    for i, (name, first, last) in enumerate(training_periods(series.frequency, year), 1):
        specs.append(
            EventSpec(
                key=f"{KIND}_{i}",
                kind=KIND,
                title=f"{series.title}（{name}）",
                window_start=first,
                window_end=last,
                preferred=min(first + timedelta(days=series.offset_days), last),
                audiences=tuple(series.audiences),
                invitees=sum(sizes[a] for a in series.audiences),
                venues=tuple(series.venues),
            )
        )
    return specs


def plan_seminars(*, year: int, now: datetime | None = None) -> SeminarPlan:
    """Place the year's seminar series and store it with its decisions (one transaction).

    A year whose series is already placed is left as it is: a re-run writes and sends nothing.
    """
    now = now or utcnow()
    with session_scope() as session:
        profile = active_profile(session)
        series = profile.calendar.seminars
        if series is None:
            raise CalendarError("区情配置未设置理论研究组专题研讨（calendar.seminars）")
        stored = session.get(CalendarYear, year)
        if stored is None:
            raise CalendarError(f"{year}年的社区教育日历尚未排定；请先排定年度日历，再安排专题研讨")
        existing = session.exec(
            select(Meeting)
            .where(Meeting.year == year, Meeting.kind == KIND)
            .order_by(col(Meeting.day))
        ).all()
        if existing:
            return SeminarPlan(
                year=year, placed=False, seminars=[as_placed(m) for m in existing], status="stored"
            )
        taken = session.exec(
            select(col(Meeting.day)).where(Meeting.year == year, Meeting.status == "scheduled")
        ).all()
        base = ScheduleRules.model_validate({**stored.rules, "workdays": work_calendar(session)})
        rules = base.model_copy(
            update={"avoid": tuple(sorted({*base.avoid, *taken})), "avoid_label": AVOID_LABEL}
        )
        venues = venues_of(profile)
        specs = seminar_specs(series, profile.calendar, year)
        schedule = solve_schedule(specs, venues, rules=rules)
        record_schedule(session, schedule, (specs, venues, rules), year=year, now=now)
        times = meeting_times(profile.calendar, KIND)
        for placed in schedule.events:
            session.add(
                new_meeting(placed, year=year, district=profile.district, times=times, now=now)
            )
        return SeminarPlan(year=year, placed=True, seminars=schedule.events, status=schedule.status)
