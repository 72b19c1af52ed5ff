"""A year read back: distribution coverage, the signed-off plan, a proposal, the notice days."""

from __future__ import annotations

from collections import Counter
from datetime import date, time
from typing import Any

from sqlmodel import col, select

from models.db import session_scope
from models.meetings import CalendarYear, Distribution, Meeting, Rsvp
from models.profile.calendar import CalendarPolicy
from tasks.calendar import rules
from tasks.calendar.files import (
    meeting_times,
)
from tasks.calendar.placement import Schedule
from tasks.calendar.recheck import recheck
from tasks.calendar.records import PlanInputs, calendar_dir, year_meetings
from tasks.common.district import profile_in_force
from tasks.common.holidays import current_work_calendar
from tasks.common.workdays import WorkCalendar


def coverage(year: int) -> list[dict[str, Any]]:
    """Distribution coverage per street (R7.2): communities, confirmed, pending, reminders."""
    profile = profile_in_force()
    order = {name: i for i, name in enumerate(profile.street_names)}
    with session_scope() as session:
        rows = session.exec(select(Distribution).where(Distribution.year == year)).all()
    streets: dict[str, list[Distribution]] = {}
    for row in rows:
        streets.setdefault(row.street, []).append(row)
    table = []
    for street in sorted(streets, key=lambda s: (order.get(s, len(order)), s)):
        members = streets[street]
        confirmed = [r for r in members if r.confirmed_on is not None]
        pending = [r.community for r in members if r.confirmed_on is None]
        table.append(
            {
                "街道": street,
                "居委数": len(members),
                "已确认": len(confirmed),
                "未确认": len(pending),
                "覆盖率": f"{100 * len(confirmed) / len(members):.0f}%",
                "已提醒次数": sum(r.reminders_sent for r in members),
                "未确认居委": "、".join(pending),
            }
        )
    return table


def _event(
    *,
    kind: str,
    day: date,
    start: time,
    end: time,
    policy: CalendarPolicy,
    workdays: WorkCalendar,
    **fields: Any,
) -> dict[str, Any]:
    """One meeting in the shape of `calendar --json`, with its notice and reminder dates."""
    return {
        "kind": kind,
        "date": day.isoformat(),
        "venue": fields.pop("venue"),
        "key": fields.pop("key"),
        "title": fields.pop("title"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        **fields,
        "invite_on": rules.invitation_day(day, policy, workdays=workdays).isoformat(),
        "reply_by": rules.reply_day(day, policy, workdays=workdays).isoformat(),
        "reminders": [
            d.isoformat()
            for _, d in rules.reminder_dates(day, policy.reminder_offsets, workdays=workdays)
        ],
    }


def _year_shape(
    year: int,
    *,
    status: str,
    events: list[dict[str, Any]],
    cancelled: list[dict[str, Any]],
    distribution: dict[str, Any],
    solver_status: str,
    cloned_from: int | None,
    ics_dir: str | None,
    workdays: WorkCalendar,
    policy: CalendarPolicy,
) -> dict[str, Any]:
    """The year in the shape of `calendar --json`, signed off or only proposed."""
    publicity = rules.publicity_calendar(year, workdays=workdays)
    check = recheck(year)
    return {
        "year": year,
        "status": status,
        "publicity_day": publicity.publicity_day.isoformat(),
        "activity_week": [
            publicity.activity_week_start.isoformat(),
            publicity.activity_week_end.isoformat(),
        ],
        "publicity_month": [publicity.month_start.isoformat(), publicity.month_end.isoformat()],
        "plan_notice_on": rules.plan_notice_day(year, policy, workdays=workdays).isoformat(),
        "events": events,
        "cancelled": cancelled,
        "key_days": [
            {
                "kind": k.kind,
                "title": k.label,
                "date": k.day.isoformat(),
                "notice_on": k.due.isoformat(),
            }
            for k in rules.key_days(publicity, workdays=workdays)
        ],
        "distribution": distribution,
        "notes": workdays.notes_for([date(year, 1, 1)]) + ([check.note()] if check.needed else []),
        "holiday_source": workdays.source(year),
        "holidays": workdays.holidays_table(year),
        "recheck": check.lines(),
        "solver_status": solver_status,
        "cloned_from": cloned_from,
        "ics_dir": ics_dir,
    }


def calendar_result(year: int) -> dict[str, Any] | None:
    """The signed-off year in the shape of `calendar --json` (None when not signed off yet)."""
    profile = profile_in_force()
    policy = profile.calendar
    with session_scope() as session:
        stored = session.get(CalendarYear, year)
        if stored is None:
            return None
        meetings = year_meetings(session, year)
        ids = [m.id for m in meetings]
        rsvps = session.exec(select(Rsvp).where(col(Rsvp.meeting_id).in_(ids))).all()
        rows = session.exec(select(Distribution).where(Distribution.year == year)).all()
    answers: dict[int, Counter[str]] = {}
    for r in rsvps:
        answers.setdefault(r.meeting_id, Counter())[r.response] += 1
    workdays = current_work_calendar()
    estimated = workdays.source(year) == "estimated"

    def event(m: Meeting) -> dict[str, Any]:
        return _event(
            kind=m.kind,
            day=m.day,
            start=m.start_time,
            end=m.end_time,
            policy=policy,
            workdays=workdays,
            venue=m.venue,
            key=m.key,
            title=m.title,
            audiences=list(m.audiences),
            invitees=m.invitees,
            uid=m.uid,
            sequence=m.sequence,
            status=m.status,
            rsvp=dict(answers.get(m.id or 0, {})),
            reason=m.reason,
            estimated=estimated,  # placed on an estimated holiday calendar
        )

    request_on = workdays.next_working_day(
        rows[0].requested_on
        if rows
        else rules.distribution_request_day(policy, year, workdays=workdays)
    )
    return _year_shape(
        year,
        status="signed_off",
        events=[event(m) for m in meetings if m.status == "scheduled"],
        cancelled=[event(m) for m in meetings if m.status == "cancelled"],
        distribution={
            "request_on": request_on.isoformat(),
            "reminders_after_working_days": policy.distribution.confirm_within,
            "communities": len(rows),
            "confirmed": sum(1 for r in rows if r.confirmed_on is not None),
            "coverage": coverage(year),
        },
        solver_status=stored.solver_status,
        cloned_from=stored.cloned_from,
        ics_dir=str((calendar_dir() / str(year)).resolve()),
        workdays=workdays,
        policy=policy,
    )


def notice_days(year: int) -> list[date]:
    """Every day on which a notice of the signed-off year falls due, in order (empty before
    sign-off): the plan notice, invitations, reminders, key-day notices, distribution requests
    and follow-ups. A daily run on just these days sends all that a run every day would."""
    result = calendar_result(year)
    if result is None:
        return []
    policy = profile_in_force().calendar
    request_on = date.fromisoformat(result["distribution"]["request_on"])
    follow_ups = rules.distribution_reminder_days(
        policy, request_on, workdays=current_work_calendar()
    )
    days = {date.fromisoformat(result["plan_notice_on"]), request_on, *follow_ups}
    for e in result["events"]:
        days |= {date.fromisoformat(d) for d in [e["invite_on"], *e["reminders"]]}
    days |= {date.fromisoformat(k["notice_on"]) for k in result["key_days"]}
    return sorted(days)


def proposal_result(*, inputs: PlanInputs, schedule: Schedule) -> dict[str, Any]:
    """A placed but unsigned year in the shape of `calendar --json`; reads, stores nothing."""
    profile = profile_in_force()
    policy = profile.calendar
    workdays = inputs.rules.workdays
    estimated = workdays.source(inputs.year) == "estimated"
    events = []
    for placed in schedule.events:
        start, end = meeting_times(policy, placed.kind)
        events.append(
            _event(
                kind=placed.kind,
                day=placed.day,
                start=start,
                end=end,
                policy=policy,
                workdays=workdays,
                venue=placed.venue,
                key=placed.key,
                title=placed.title,
                audiences=list(placed.audiences),
                invitees=placed.invitees,
                sequence=0,
                status="proposed",
                reason=placed.reason,
                estimated=estimated,
            )
        )
    communities = sum(len(s.communities) for s in profile.streets)
    return _year_shape(
        inputs.year,
        status="proposed",
        events=events,
        cancelled=[],
        distribution={
            "request_on": rules.distribution_request_day(
                policy, inputs.year, workdays=workdays
            ).isoformat(),
            "reminders_after_working_days": policy.distribution.confirm_within,
            "communities": communities,
            "confirmed": 0,
            "coverage": [],
        },
        solver_status=schedule.status,
        cloned_from=inputs.clone_from,
        ics_dir=None,
        workdays=workdays,
        policy=policy,
    )
