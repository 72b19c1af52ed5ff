"""Database side of the open playgrounds (R8.2): hours in, notices and weekly schedules out.

Each public function that sends is one transaction; every message has its idempotency key (the
closure's days and reason, or the week), so a re-run of the same day sends nothing twice. The
working days come from the calendar in force (`tasks.common.holidays`).
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlmodel import Session, select

from models.db import session_scope
from models.playgrounds import PlaygroundHours
from models.profile.schema import DistrictProfile
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import stage_message
from tasks.playgrounds.rules import (
    Closure,
    DayHours,
    SchoolHours,
    SeasonHours,
    closures,
    due_closures,
    span_zh,
    week_hours,
    week_lines,
)

FLOW = "playgrounds"


class StreetWeek(BaseModel):
    street: str
    schools: list[dict[str, object]]  # name, facilities, lines (in words)
    days: list[DayHours]


class WeekPlan(BaseModel):
    monday: date
    sunday: date
    streets: list[StreetWeek]


def registered_hours(session: Session, profile: DistrictProfile) -> list[SchoolHours]:
    """Every school with registered hours, in the profile's street and school order."""
    rows = session.exec(select(PlaygroundHours)).all()
    by_school: dict[str, list[PlaygroundHours]] = {}
    for row in rows:
        by_school.setdefault(row.school, []).append(row)
    order = {s.name: i for i, s in enumerate(profile.schools)}
    streets = {name: i for i, name in enumerate(profile.street_names)}
    schools = [
        SchoolHours(
            school=name,
            street=entries[0].street,
            facilities=entries[0].facilities,
            seasons={
                e.season: SeasonHours(
                    morning=(e.morning_open, e.morning_close),
                    evening=(e.evening_open, e.evening_close),
                )
                for e in entries
            },
        )
        for name, entries in by_school.items()
    ]
    return sorted(
        schools,
        key=lambda s: (streets.get(s.street, len(streets)), order.get(s.school, len(order))),
    )


def _week(session: Session, profile: DistrictProfile, monday: date) -> WeekPlan:
    schools = registered_hours(session, profile)
    workdays = work_calendar(session)
    week = week_hours(schools, monday, policy=profile.playgrounds, workdays=workdays)
    streets = []
    for street in profile.street_names:
        mine = [s for s in schools if s.street == street]
        if not mine:
            continue
        entries = [d for d in week if d.school in {s.school for s in mine}]
        streets.append(
            StreetWeek(
                street=street,
                schools=[
                    {
                        "name": s.school,
                        "facilities": s.facilities,
                        "lines": week_lines([d for d in entries if d.school == s.school]),
                    }
                    for s in mine
                ],
                days=entries,
            )
        )
    return WeekPlan(monday=monday, sunday=monday + timedelta(days=6), streets=streets)


def week_plan(monday: date) -> WeekPlan:
    """The week from `monday`, per street (read-only)."""
    with session_scope() as session:
        return _week(session, active_profile(session), monday)


def publish_week(monday: date) -> WeekPlan:
    """Stage the week's hours to every community of each street that has open schools."""
    with session_scope() as session:
        profile = active_profile(session)
        plan = _week(session, profile, monday)
        communities = {s.name: s.communities for s in profile.streets}
        span = span_zh(plan.monday, plan.sunday)
        for street in plan.streets:
            for community in communities[street.street]:
                title, body = render(
                    "playgrounds_week",
                    street=street.street,
                    community=community,
                    span=span,
                    schools=street.schools,
                    contact=profile.contacts.centre,
                )
                stage_message(
                    session,
                    flow=FLOW,
                    year=monday.year,
                    kind=f"week-{monday.isoformat()}",
                    recipient=community,
                    audience=f"community-{community}",
                    title=title,
                    body=body,
                )
        return plan


def stage_closure_notices(today: date) -> list[Closure]:
    """Announce every closure whose notice day has come (the working day before it)."""
    with session_scope() as session:
        profile = active_profile(session)
        schools = registered_hours(session, profile)
        due = due_closures(
            schools, today, policy=profile.playgrounds, workdays=work_calendar(session)
        )
        communities = {s.name: s.communities for s in profile.streets}
        staged: list[Closure] = []
        for closure in due:
            sent = False
            for community in communities.get(closure.street, []):
                title, body = render(
                    "playgrounds_closure",
                    community=community,
                    reason=closure.reason,
                    first=closure.first,
                    span=span_zh(closure.first, closure.last),
                    schools=list(closure.schools),
                    reopens=closure.reopens,
                    estimated=closure.estimated,
                    contact=profile.contacts.centre,
                )
                sent |= (
                    stage_message(
                        session,
                        flow=FLOW,
                        year=closure.first.year,
                        kind=closure.key,
                        recipient=community,
                        audience=f"community-{community}",
                        title=title,
                        body=body,
                    )
                    is not None
                )
            if sent:
                staged.append(closure)
        return staged


def year_closures(year: int) -> list[Closure]:
    """Every closure of the year for the registered schools (read-only)."""
    with session_scope() as session:
        profile = active_profile(session)
        return closures(
            registered_hours(session, profile),
            date(year, 1, 1),
            date(year, 12, 31),
            policy=profile.playgrounds,
            workdays=work_calendar(session),
        )


def pending_message_ids(years: list[int]) -> list[int]:
    return [i for y in sorted(set(years)) for i in undelivered_message_ids(flow=FLOW, year=y)]
