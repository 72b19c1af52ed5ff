"""Database side of the annual calendar: plan in, meetings, files and messages out.

Each public function is one transaction (`session_scope`): a decision and the outbox messages it
causes are written together (R7.1, R7.2, R7.4, R7.5). Calendar files (.ics) are written under
`<data dir>/calendar/<year>/`, one file per version of a meeting, before the transaction commits;
messages never name them (a server path means nothing to an invitee): invitations and
cancellations carry the file itself, which e-mail targets attach, and the portal hands out the
year's calendar. A file left by a rolled-back transaction is harmless: it is never referenced
and the same decision would write the same bytes.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.audit import Decision
from models.db import session_scope
from models.meetings import CalendarYear, Distribution, Meeting, Rsvp
from models.outbox import OutboxMessage
from models.params.calendar import CalendarParameters
from models.profile.calendar import CalendarPolicy
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.calendar.recheck import recheck
from tasks.calendar.rules import (
    PastEvent,
    PublicityCalendar,
    clone_specs,
    distribution_reminder_days,
    distribution_request_day,
    event_specs,
    invitation_day,
    key_days,
    plan_notice_day,
    publicity_calendar,
    reminder_dates,
    reply_day,
    schedule_rules,
)
from tasks.calendar.scheduling import (
    EventSpec,
    PlacedEvent,
    Schedule,
    ScheduleRules,
    VenueSpec,
    fmt,
    meeting_rule,
    violations,
)
from tasks.common import links
from tasks.common.district import active_profile
from tasks.common.holidays import current_work_calendar, work_calendar
from tasks.common.ics import IcsAttendee, IcsEvent, event_uid, ics_path, invitation_ics, write_file
from tasks.common.ics import year_ics as render_year_ics
from tasks.common.workdays import WorkCalendar
from tasks.notify.delivery import message_key, stage_message, undelivered_message_ids
from tasks.notify.protocol import Attachment
from tasks.notify.render import cn_date, render

FLOW = "calendar"


class CalendarError(Refusal):
    """A calendar action that cannot be done as asked; the message says why, in words."""


class PlanInputs(BaseModel):
    """Everything the year's placement is decided on (a snapshot, so the flow can show it)."""

    year: int
    events: list[EventSpec]
    venues: list[VenueSpec]
    rules: ScheduleRules
    clone_from: int | None = None
    cloned_uids: dict[str, str] = {}  # event key -> last year's UID


def calendar_dir() -> Path:
    return get_settings().data_dir / "calendar"


def _profile() -> DistrictProfile:
    with session_scope() as session:
        return active_profile(session)


def _venues(profile: DistrictProfile) -> list[VenueSpec]:
    return [VenueSpec(name=v.name, capacity=v.capacity) for v in profile.venues]


def plan_inputs(params: CalendarParameters, *, year: int) -> PlanInputs:
    """The year's events (from the profile, or cloned from an earlier year), venues and rules."""
    profile = _profile()
    policy = profile.calendar
    venues = _venues(profile)
    if not venues:
        raise CalendarError("the district profile lists no venues (venues:); meetings need one")
    rules = schedule_rules(
        policy,
        year,
        workdays=current_work_calendar(),
        avoid_activity_week=params.avoid_activity_week,
        one_event_per_day=params.one_event_per_day,
    )
    if params.clone_from is None:
        return PlanInputs(year=year, events=event_specs(policy, year), venues=venues, rules=rules)
    if params.clone_from >= year:
        raise CalendarError(f"can only clone an earlier year onto {year}, not {params.clone_from}")
    with session_scope() as session:
        rows = session.exec(
            select(Meeting)
            .where(Meeting.year == params.clone_from, Meeting.status == "scheduled")
            .order_by(col(Meeting.day), col(Meeting.key))
        ).all()
        past = [
            PastEvent(
                key=m.key,
                kind=m.kind,
                title=m.title,
                day=m.day,
                venue=m.venue,
                audiences=tuple(m.audiences),
                invitees=m.invitees,
            )
            for m in rows
        ]
        uids = {m.key: m.uid for m in rows}
    if not past:
        raise CalendarError(f"no meetings of {params.clone_from} to clone (plan that year first)")
    specs = clone_specs(past, year=year, venues=venues, audience_sizes=policy.audience_sizes)
    return PlanInputs(
        year=year,
        events=specs,
        venues=venues,
        rules=rules,
        clone_from=params.clone_from,
        cloned_uids=uids,
    )


def is_planned(year: int) -> bool:
    with session_scope() as session:
        return session.get(CalendarYear, year) is not None


# --------------------------------------------------------------------------- files


def meeting_times(policy: CalendarPolicy, kind: str) -> tuple[time, time]:
    """Start and end time of a meeting kind, from the profile (09:00-11:30 if it has none)."""
    for meeting in policy.meetings:
        if meeting.kind == kind:
            return meeting.start_time, meeting.end_time
    if kind == "cadre_training" and policy.trainings is not None:
        return policy.trainings.start_time, policy.trainings.end_time
    if kind == "research_seminar" and policy.seminars is not None:
        return policy.seminars.start_time, policy.seminars.end_time
    return time(9, 0), time(11, 30)


def _ics_event(meeting: Meeting, profile: DistrictProfile) -> IcsEvent:
    names = profile.calendar.audience_names
    emails = {a.key: a.email for a in profile.calendar.audiences}
    return IcsEvent(
        uid=meeting.uid,
        sequence=meeting.sequence,
        title=meeting.title,
        day=meeting.day,
        start_time=meeting.start_time,
        end_time=meeting.end_time,
        venue=meeting.venue,
        description=meeting.reason,
        organizer=profile.calendar.organizer,
        organizer_email=profile.calendar.organizer_email,
        attendees=tuple(
            IcsAttendee(key=a, name=names.get(a, a), email=emails.get(a, ""))
            for a in meeting.audiences
        ),
        cancelled=meeting.status == "cancelled",
        stamp=meeting.stamped_at,
        timezone=profile.timezone,
    )


def _write_ics(meeting: Meeting, profile: DistrictProfile) -> Path:
    path = ics_path(
        calendar_dir(),
        year=meeting.year,
        key=meeting.key,
        sequence=meeting.sequence,
        cancelled=meeting.status == "cancelled",
    )
    return write_file(path, invitation_ics(_ics_event(meeting, profile))).resolve()


def _ics_attachment(meeting: Meeting, profile: DistrictProfile) -> Attachment:
    """This version of the meeting's calendar file (its METHOD inside), for e-mail targets."""
    return Attachment(
        name=f"{meeting.key}-v{meeting.sequence}.ics",
        mimetype="text/calendar",
        content=invitation_ics(_ics_event(meeting, profile)),
    )


def write_year_files(year: int) -> list[Path]:
    """Every meeting's current file and the year's calendar (`calendar-<year>.ics`); idempotent."""
    profile = _profile()
    with session_scope() as session:
        meetings = _meetings(session, year)
        paths = [_write_ics(m, profile) for m in meetings]
        events = [_ics_event(m, profile) for m in meetings]
    whole = calendar_dir() / str(year) / f"calendar-{year}.ics"
    name = f"{profile.district}{year}年社区教育日历"
    paths.append(write_file(whole, render_year_ics(events, name=name)).resolve())
    return paths


def year_calendar(year: int) -> bytes | None:
    """The year's meetings as they stand, as one calendar to subscribe to (METHOD:PUBLISH);
    None when the year is not planned."""
    profile = _profile()
    with session_scope() as session:
        if session.get(CalendarYear, year) is None:
            return None
        events = [_ics_event(m, profile) for m in _meetings(session, year)]
    return render_year_ics(events, name=f"{profile.district}{year}年社区教育日历")


def meeting_ics(year: int, key: str) -> bytes | None:
    """The meeting's current version as an .ics invitation (None for an unknown meeting)."""
    profile = _profile()
    with session_scope() as session:
        meeting = session.exec(
            select(Meeting).where(Meeting.year == year, Meeting.key == key)
        ).first()
        return invitation_ics(_ics_event(meeting, profile)) if meeting else None


# --------------------------------------------------------------------------- messages


def _when_and_where(meeting: Meeting) -> dict[str, Any]:
    """The template fields that say what the meeting is, when and where."""
    return {
        "title": meeting.title,
        "day": meeting.day,
        "start": meeting.start_time,
        "end": meeting.end_time,
        "venue": meeting.venue,
    }


def _stage_invitations(
    session: Session,
    meeting: Meeting,
    profile: DistrictProfile,
    *,
    previous: tuple[date, str] | None = None,
) -> int:
    """The invitation (or update) of this version of the meeting to each invitee audience.

    `previous` is the (day, venue) the invitees were told before, for an update. The message
    names no file: the calendar file is written for the portal and the operator to hand out.
    Returns how many messages are new (a version already staged stages nothing).
    """
    staged = 0
    _write_ics(meeting, profile)
    names = profile.calendar.audience_names
    reply_by = reply_day(meeting.day, profile.calendar, workdays=work_calendar(session))
    for audience in meeting.audiences:
        kind = f"invitation-{meeting.key}-v{meeting.sequence}"
        link = links.ask_in_message(
            session,
            message_key=message_key(flow=FLOW, year=meeting.year, kind=kind, recipient=audience),
            purpose="meeting",
            year=meeting.year,
            recipient=audience,
            subject=meeting.key,
            audience=f"group-{audience}",
            deadline=links.end_of_day(reply_by, profile.timezone),
            details={
                "recipient_name": names.get(audience, audience),
                "title": meeting.title,
                "day": meeting.day.isoformat(),
                "start": meeting.start_time.strftime("%H:%M"),
                "end": meeting.end_time.strftime("%H:%M"),
                "venue": meeting.venue,
            },
        )
        title, body = render(
            "calendar_invitation",
            **_when_and_where(meeting),
            changed=previous is not None,
            previous_day=previous[0] if previous else None,
            previous_venue=previous[1] if previous else "",
            reply_by=reply_by,
            audience_name=names.get(audience, audience),
            contact=profile.contacts.centre,
            link=link,
        )
        message = stage_message(
            session,
            flow=FLOW,
            year=meeting.year,
            kind=kind,
            recipient=audience,
            audience=f"group-{audience}",
            title=title,
            body=body,
            attachment=_ics_attachment(meeting, profile),
        )
        staged += message is not None
    return staged


def _invited(session: Session, meeting: Meeting) -> bool:
    """Whether an invitation to this meeting (any version) has gone to its invitees."""
    found = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.flow == FLOW,
            OutboxMessage.year == meeting.year,
            col(OutboxMessage.kind).startswith(f"invitation-{meeting.key}-v"),
        )
    ).first()
    return found is not None


def _offices(profile: DistrictProfile) -> list[tuple[str, str]]:
    """(audience tag, office name) of every street and community office of the district."""
    offices = []
    for street in profile.streets:
        offices.append((f"street-{street.name}", street.name))
        offices += [(f"community-{c}", c) for c in street.communities]
    return offices


def _stage_annual_plan(
    session: Session,
    *,
    publicity: PublicityCalendar,
    meetings: list[Meeting],
    profile: DistrictProfile,
    request_on: date,
) -> int:
    staged = 0
    for tag, office in _offices(profile):
        title, body = render(
            "calendar_annual_plan",
            year=publicity.year,
            office=office,
            month_start=publicity.month_start,
            month_end=publicity.month_end,
            week_start=publicity.activity_week_start,
            week_end=publicity.activity_week_end,
            publicity_day=publicity.publicity_day,
            request_on=request_on,
            material=profile.calendar.distribution.material,
            meetings=[
                {"day": m.day, "start": m.start_time, "title": m.title, "venue": m.venue}
                for m in meetings
            ],
            notes=list(publicity.notes),
            contact=profile.contacts.centre,
        )
        message = stage_message(
            session,
            flow=FLOW,
            year=publicity.year,
            kind="annual-plan",
            recipient=office,
            audience=tag,
            title=title,
            body=body,
        )
        staged += message is not None
    return staged


# --------------------------------------------------------------------------- planning


def record_calendar(
    *,
    inputs: PlanInputs,
    schedule: Schedule,
    operator: str = "",
    comment: str = "",
    now: datetime | None = None,
) -> bool:
    """Store the signed-off year, its files and its distribution campaign at once.

    Nothing is sent here: the plan notice, the invitations and the distribution requests go out
    on their own dates (`stage_due`). Returns False (and writes nothing) when the year is
    already planned: re-runs are no-ops.
    """
    year = inputs.year
    now = now or utcnow()
    profile = _profile()
    policy = profile.calendar
    workdays = inputs.rules.workdays  # the calendar the meetings were placed on
    publicity = publicity_calendar(year, workdays=workdays)
    request_on = distribution_request_day(policy, year, workdays=workdays)
    with session_scope() as session:
        if session.get(CalendarYear, year) is not None:
            return False
        session.add(
            CalendarYear(
                year=year,
                publicity_day=publicity.publicity_day,
                activity_week_start=publicity.activity_week_start,
                activity_week_end=publicity.activity_week_end,
                notes=sorted({*publicity.notes, *schedule.notes}),
                rules=inputs.rules.model_dump(mode="json"),
                solver_status=schedule.status,
                cloned_from=inputs.clone_from,
                inputs_digest=schedule.inputs_digest,
                created_at=now,
            )
        )
        session.flush()
        meetings = []
        for placed in schedule.events:
            start, end = meeting_times(policy, placed.kind)
            meeting = Meeting(
                year=year,
                key=placed.key,
                uid=event_uid(district=profile.district, year=year, key=placed.key),
                kind=placed.kind,
                title=placed.title,
                day=placed.day,
                start_time=start,
                end_time=end,
                venue=placed.venue,
                audiences=list(placed.audiences),
                invitees=placed.invitees,
                reason=placed.reason,
                cloned_from=inputs.cloned_uids.get(placed.key),
                stamped_at=now,
                created_at=now,
            )
            session.add(meeting)
            meetings.append(meeting)
            session.add(
                Decision(
                    process=FLOW,
                    year=year,
                    subject=placed.key,
                    kind="placed",
                    rule=meeting_rule(placed.kind),
                    reason=placed.reason,
                    inputs_digest=schedule.inputs_digest,
                    seed=inputs.rules.seed,
                    decided_at=now,
                )
            )
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject="plan",
                kind="signed_off",
                rule="R7.4",
                reason=f"{operator or '经办人员'}批准{year}年社区教育年度安排"
                f"（{len(meetings)}个会议和培训）：{comment or '无意见'}",
                inputs_digest=schedule.inputs_digest,
                seed=inputs.rules.seed,
                decided_at=now,
            )
        )
        session.flush()
        for street in profile.streets:
            for community in street.communities:
                session.add(
                    Distribution(
                        year=year, community=community, street=street.name, requested_on=request_on
                    )
                )
    return True


def record_rejection(
    *, inputs: PlanInputs, schedule: Schedule, operator: str = "", comment: str = ""
) -> None:
    """Keep an operator's rejection of a proposed plan on record; nothing else is written."""
    subject = f"plan-{schedule.inputs_digest[:16]}"
    reason = f"{operator or '经办人员'}退回{inputs.year}年年度安排：{comment or '无意见'}"
    with session_scope() as session:
        existing = session.exec(
            select(Decision).where(
                Decision.process == FLOW,
                Decision.year == inputs.year,
                Decision.subject == subject,
                Decision.kind == "rejected",
            )
        ).first()
        if existing is None:
            session.add(
                Decision(
                    process=FLOW,
                    year=inputs.year,
                    subject=subject,
                    kind="rejected",
                    rule="R7.4",
                    reason=reason,
                    inputs_digest=schedule.inputs_digest,
                )
            )
        else:
            existing.reason, existing.decided_at = reason, utcnow()


def _meetings(session: Session, year: int, *, status: str | None = None) -> list[Meeting]:
    query = select(Meeting).where(Meeting.year == year)
    if status is not None:
        query = query.where(Meeting.status == status)
    return list(session.exec(query.order_by(col(Meeting.day), col(Meeting.key))).all())


# --------------------------------------------------------------------------- the daily advance


class DueReport(BaseModel):
    plan_notices: int = 0
    invitations: int = 0
    key_day_notices: int = 0
    reminders: int = 0
    distribution_requests: int = 0
    distribution_reminders: int = 0

    @property
    def total(self) -> int:
        return (
            self.plan_notices
            + self.invitations
            + self.key_day_notices
            + self.reminders
            + self.distribution_requests
            + self.distribution_reminders
        )


def stage_due(year: int, *, today: date) -> DueReport:
    """Stage whatever is due on `today`: the year's plan to the offices, invitations, key-day
    notices, meeting reminders, distribution requests and follow-ups.

    Only a signed-off year sends anything, and each notice only from its own date on: the plan
    a lead time before 1 January (until the year ends), an invitation a lead time before its
    meeting (until the meeting). Every message has its idempotency key, so calling this twice a
    day, or re-running a missed day, sends nothing twice. Reminders name the meeting's date in
    their key: a meeting that moves gets fresh reminders for its new date.
    """
    report = DueReport()
    profile = _profile()
    policy = profile.calendar
    workdays = current_work_calendar()
    publicity = publicity_calendar(year, workdays=workdays)
    with session_scope() as session:
        if session.get(CalendarYear, year) is None:
            return report
        scheduled = _meetings(session, year, status="scheduled")
        if plan_notice_day(year, policy, workdays=workdays) <= today <= date(year, 12, 31):
            rows = session.exec(select(Distribution).where(Distribution.year == year)).all()
            report.plan_notices += _stage_annual_plan(
                session,
                publicity=publicity,
                meetings=scheduled,
                profile=profile,
                request_on=rows[0].requested_on
                if rows
                else distribution_request_day(policy, year, workdays=workdays),
            )
        for meeting in scheduled:
            if invitation_day(meeting.day, policy, workdays=workdays) <= today < meeting.day:
                report.invitations += _stage_invitations(session, meeting, profile)
        for key_day in key_days(publicity, workdays=workdays):
            if not key_day.due <= today <= key_day.day:
                continue
            for tag, office in _offices(profile):
                title, body = render(
                    "calendar_key_day",
                    kind=key_day.kind,
                    label=key_day.label,
                    day=key_day.day,
                    year=year,
                    office=office,
                    month_start=publicity.month_start,
                    month_end=publicity.month_end,
                    week_start=publicity.activity_week_start,
                    week_end=publicity.activity_week_end,
                    material=policy.distribution.material,
                    notes=list(publicity.notes),
                    contact=profile.contacts.centre,
                )
                staged = stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind=f"key-day-{key_day.kind}",
                    recipient=office,
                    audience=tag,
                    title=title,
                    body=body,
                )
                report.key_day_notices += staged is not None
        names = policy.audience_names
        for meeting in _meetings(session, year, status="scheduled"):
            if meeting.day <= today:
                continue
            due = [
                (n, d)
                for n, d in reminder_dates(meeting.day, policy.reminder_offsets, workdays=workdays)
                if d <= today
            ]
            if not due:
                continue
            offset, _ = min(due)  # only the latest reminder when several are due at once
            for audience in meeting.audiences:
                title, body = render(
                    "calendar_reminder",
                    **_when_and_where(meeting),
                    offset=offset,
                    audience_name=names.get(audience, audience),
                    contact=profile.contacts.centre,
                )
                staged = stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind=f"reminder-{meeting.key}-T{offset}-{meeting.day.isoformat()}",
                    recipient=audience,
                    audience=f"group-{audience}",
                    title=title,
                    body=body,
                )
                report.reminders += staged is not None
        rows = session.exec(
            select(Distribution).where(Distribution.year == year).order_by(col(Distribution.id))
        ).all()
        for row in rows:
            _advance_distribution(
                session,
                row,
                today=today,
                profile=profile,
                publicity=publicity,
                report=report,
                workdays=workdays,
            )
    return report


def _distribution_link(
    session: Session,
    row: Distribution,
    kind: str,
    publicity: PublicityCalendar,
    policy: CalendarPolicy,
) -> str | None:
    """The office's personal link for the message of KIND (open until the publicity month
    ends: the campaign's reminders carry it too)."""
    return links.ask_in_message(
        session,
        message_key=message_key(flow=FLOW, year=row.year, kind=kind, recipient=row.community),
        purpose="distribution",
        year=row.year,
        recipient=row.community,
        subject="material",
        audience=f"community-{row.community}",
        deadline=links.end_of_day(publicity.month_end, _profile().timezone),
        details={
            "recipient_name": row.community,
            "title": f"{row.year}年{policy.distribution.material}发放",
            "street": row.street,
            "material": policy.distribution.material,
        },
    )


def _advance_distribution(
    session: Session,
    row: Distribution,
    *,
    today: date,
    profile: DistrictProfile,
    publicity: PublicityCalendar,
    report: DueReport,
    workdays: WorkCalendar,
) -> None:
    """Send the request when the campaign starts; remind an unconfirmed office when it is due.

    The campaign belongs to the publicity month: after it (e.g. planning a past year) nothing
    is asked or chased any more.
    """
    if today > publicity.month_end:
        return
    policy = profile.calendar
    common: dict[str, Any] = {
        "year": row.year,
        "community": row.community,
        "street": row.street,
        "material": policy.distribution.material,
        "contact": profile.contacts.centre,
    }
    # a request day that a later-entered notice made a holiday moves to the next working day
    request_on = workdays.next_working_day(row.requested_on)
    if not row.requested and today >= request_on:
        row.requested_on = request_on
        reminders = distribution_reminder_days(policy, request_on, workdays=workdays)
        title, body = render(
            "calendar_distribution_request",
            month_start=publicity.month_start,
            month_end=publicity.month_end,
            due=reminders[0] if reminders else publicity.month_end,
            link=_distribution_link(session, row, "distribution-request", publicity, policy),
            **common,
        )
        stage_message(
            session,
            flow=FLOW,
            year=row.year,
            kind="distribution-request",
            recipient=row.community,
            audience=f"community-{row.community}",
            title=title,
            body=body,
        )
        row.requested = True
        session.add(row)
        report.distribution_requests += 1
    if not row.requested or row.confirmed_on is not None:
        return
    reminders = distribution_reminder_days(policy, row.requested_on, workdays=workdays)
    due = [d for d in reminders if d <= today]
    if len(due) <= row.reminders_sent:
        return
    number = len(due)
    later = [d for d in reminders if d > today]
    title, body = render(
        "calendar_distribution_reminder",
        number=number,
        requested_on=row.requested_on,
        today=today,
        due=min(later[0] if later else publicity.month_end, publicity.month_end),
        link=_distribution_link(session, row, f"distribution-reminder-{number}", publicity, policy),
        **common,
    )
    staged = stage_message(
        session,
        flow=FLOW,
        year=row.year,
        kind=f"distribution-reminder-{number}",
        recipient=row.community,
        audience=f"community-{row.community}",
        title=title,
        body=body,
    )
    row.reminders_sent = number
    row.last_reminded_on = today
    session.add(row)
    report.distribution_reminders += staged is not None


# --------------------------------------------------------------------------- changes


def _find(session: Session, year: int, key: str) -> Meeting:
    meeting = session.exec(select(Meeting).where(Meeting.year == year, Meeting.key == key)).first()
    if meeting is None:
        known = ", ".join(m.key for m in _meetings(session, year)) or "none: plan the year first"
        raise CalendarError(f"no meeting '{key}' in {year} (known: {known})")
    return meeting


def _check_move(
    session: Session,
    meeting: Meeting,
    *,
    day: date,
    venue: str,
    profile: DistrictProfile,
) -> None:
    """Refuse a move that breaks a constraint of the plan; say which, in words."""
    if day.year != meeting.year:
        raise CalendarError(f"{day} is not in {meeting.year}")
    workdays = work_calendar(session)
    if not workdays.is_working_day(day):
        name = workdays.holiday_name(day)
        raise CalendarError(f"{fmt(day)} is not a working day" + (f" ({name})" if name else ""))
    stored = session.get(CalendarYear, meeting.year)
    # the rules the year was placed by, on the calendar in force now
    rules = ScheduleRules.model_validate({**(stored.rules if stored else {}), "workdays": workdays})
    venues = _venues(profile)
    if venue not in {v.name for v in venues}:
        raise CalendarError(f"unknown venue '{venue}'; venues: {', '.join(v.name for v in venues)}")
    others = [m for m in _meetings(session, meeting.year, status="scheduled") if m.id != meeting.id]
    placed = [
        PlacedEvent(
            key=m.key,
            kind=m.kind,
            title=m.title,
            day=day if m.id == meeting.id else m.day,
            venue=venue if m.id == meeting.id else m.venue,
            audiences=tuple(m.audiences),
            invitees=m.invitees,
            reason="",
        )
        for m in [meeting, *others]
    ]
    whole_year = [
        EventSpec(
            key=p.key,
            kind=p.kind,
            title=p.title,
            window_start=date(meeting.year, 1, 1),
            window_end=date(meeting.year, 12, 31),
            preferred=p.day,
            audiences=p.audiences,
            invitees=p.invitees,
        )
        for p in placed
    ]
    problems = violations(placed, whole_year, venues, rules=rules)
    if problems:
        raise CalendarError("cannot move: " + "；".join(problems))


def move_meeting(
    *,
    year: int,
    key: str,
    day: date | None = None,
    venue: str | None = None,
    reason: str = "",
    operator: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Move a meeting (day and/or venue): same UID, next SEQUENCE, new file, update notices.

    Moving to where it already is changes nothing. Reminders follow the new date by themselves;
    the update goes out at once only to invitees already invited, otherwise the invitation goes
    out on its date with the new day.
    """
    now = now or utcnow()
    profile = _profile()
    with session_scope() as session:
        meeting = _find(session, year, key)
        if meeting.status == "cancelled":
            raise CalendarError(f"{meeting.title} ({key}) is cancelled; it cannot be moved")
        new_day = day or meeting.day
        new_venue = venue or meeting.venue
        if (new_day, new_venue) == (meeting.day, meeting.venue):
            return {
                "key": key,
                "day": new_day.isoformat(),
                "sequence": meeting.sequence,
                "changed": False,
            }
        _check_move(session, meeting, day=new_day, venue=new_venue, profile=profile)
        previous = (meeting.day, meeting.venue)
        meeting.day, meeting.venue = new_day, new_venue
        meeting.sequence += 1
        meeting.stamped_at = now
        meeting.reason = (
            f"{operator or '经办人员'}调整为{fmt(new_day)}在{new_venue}"
            f"（原定{fmt(previous[0])}，{previous[1]}）"
            f"：{reason or '未说明原因'}；新日期为工作日，无会场和参会对象冲突"
        )
        session.add(meeting)
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=key,
                kind=f"moved-v{meeting.sequence}",
                rule=meeting_rule(meeting.kind),
                reason=meeting.reason,
                decided_at=now,
            )
        )
        session.flush()
        if _invited(session, meeting):  # those told the old date hear of the new one now
            _stage_invitations(session, meeting, profile, previous=previous)
        return {
            "key": key,
            "day": new_day.isoformat(),
            "venue": new_venue,
            "sequence": meeting.sequence,
            "uid": meeting.uid,
            "changed": True,
        }


def cancel_meeting(
    *, year: int, key: str, reason: str = "", operator: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """Cancel a meeting: METHOD:CANCEL with the same UID and the next SEQUENCE, notices sent.

    Cancelling twice changes nothing; pending reminders of a cancelled meeting are never sent.
    """
    now = now or utcnow()
    profile = _profile()
    with session_scope() as session:
        meeting = _find(session, year, key)
        if meeting.status == "cancelled":
            return {"key": key, "sequence": meeting.sequence, "changed": False}
        meeting.status = "cancelled"
        meeting.sequence += 1
        meeting.stamped_at = now
        session.add(meeting)
        links.close(
            session, purpose="meeting", year=year, subject=key, reason="会议已取消。", now=now
        )
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=key,
                kind="cancelled",
                rule=meeting_rule(meeting.kind),
                reason=f"{operator or '经办人员'}取消{meeting.title}：{reason or '未说明原因'}",
                decided_at=now,
            )
        )
        session.flush()
        _write_ics(meeting, profile)
        names = profile.calendar.audience_names
        # nobody invited yet: nobody to tell (the invitation will simply never go out)
        for audience in meeting.audiences if _invited(session, meeting) else []:
            title, body = render(
                "calendar_cancel",
                title=meeting.title,
                day=meeting.day,
                start=meeting.start_time,
                venue=meeting.venue,
                reason=reason,
                audience_name=names.get(audience, audience),
                contact=profile.contacts.centre,
            )
            stage_message(
                session,
                flow=FLOW,
                year=year,
                kind=f"cancel-{key}-v{meeting.sequence}",
                recipient=audience,
                audience=f"group-{audience}",
                title=title,
                body=body,
                attachment=_ics_attachment(meeting, profile),
            )
        return {"key": key, "sequence": meeting.sequence, "uid": meeting.uid, "changed": True}


def record_rsvp(
    *,
    year: int,
    key: str,
    attendee: str,
    response: str,
    audience: str = "",
    comment: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record (or replace) one attendee's answer to one meeting."""
    from models.params.calendar import RESPONSES

    normalised = RESPONSES.get(response.strip().lower())
    if normalised is None:
        raise CalendarError(
            f"response '{response}' is not one of accepted / declined / tentative "
            "(参加/不参加/待定)"
        )
    attendee = attendee.strip()
    if not attendee:
        raise CalendarError("attendee is empty")
    now = now or utcnow()
    with session_scope() as session:
        meeting = _find(session, year, key)
        if meeting.status == "cancelled":
            raise CalendarError(f"{meeting.title} ({key}) is cancelled")
        if audience and audience not in meeting.audiences:
            raise CalendarError(
                f"audience '{audience}' is not invited to {key} "
                f"(invited: {', '.join(meeting.audiences)})"
            )
        assert meeting.id is not None
        row = session.exec(
            select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.attendee == attendee)
        ).first()
        if row is None:
            row = Rsvp(meeting_id=meeting.id, attendee=attendee, response=normalised)
        row.response, row.audience, row.comment, row.responded_at = (
            normalised,
            audience,
            comment,
            now,
        )
        session.add(row)
        session.flush()
        counts = Counter(
            session.exec(select(Rsvp.response).where(Rsvp.meeting_id == meeting.id)).all()
        )
        return {"key": key, "attendee": attendee, "response": normalised, "counts": dict(counts)}


def confirm_distribution(
    *, year: int, community: str, confirmed_by: str = "", note: str = "", today: date
) -> dict[str, Any]:
    """A community office confirms the material reached every household (R7.2); twice is a no-op.

    Refused (in Chinese) for a year without a signed-off plan, an office not in the campaign,
    and before the material was handed out: nothing can be confirmed that was never asked.
    """
    with session_scope() as session:
        row = session.exec(
            select(Distribution).where(
                Distribution.year == year, Distribution.community == community
            )
        ).first()
        if row is None:
            known = session.exec(
                select(Distribution.community).where(Distribution.year == year)
            ).all()
            if not known:
                raise CalendarError(
                    f"{year}年没有已批准的年度安排，也就没有宣传资料发放任务，不能确认发放"
                )
            raise CalendarError(f"{year}年宣传资料发放任务中没有“{community}”，请核对居委名称")
        if not row.requested:
            raise CalendarError(
                f"{year}年宣传资料尚未下发（{cn_date(row.requested_on)}起下发），"
                f"{community}还不能确认发放"
            )
        if row.confirmed_on is not None:
            return {
                "community": community,
                "confirmed_on": row.confirmed_on.isoformat(),
                "changed": False,
            }
        row.confirmed_on, row.confirmed_by, row.note = today, confirmed_by, note
        session.add(row)
        return {"community": community, "confirmed_on": today.isoformat(), "changed": True}


# --------------------------------------------------------------------------- reading


def coverage(year: int) -> list[dict[str, Any]]:
    """Distribution coverage per street (R7.2): communities, confirmed, pending, reminders."""
    profile = _profile()
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
        "invite_on": invitation_day(day, policy, workdays=workdays).isoformat(),
        "reply_by": reply_day(day, policy, workdays=workdays).isoformat(),
        "reminders": [
            d.isoformat()
            for _, d in reminder_dates(day, policy.reminder_offsets, workdays=workdays)
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
    publicity = publicity_calendar(year, workdays=workdays)
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
        "plan_notice_on": plan_notice_day(year, policy, workdays=workdays).isoformat(),
        "events": events,
        "cancelled": cancelled,
        "key_days": [
            {
                "kind": k.kind,
                "title": k.label,
                "date": k.day.isoformat(),
                "notice_on": k.due.isoformat(),
            }
            for k in key_days(publicity, workdays=workdays)
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
    profile = _profile()
    policy = profile.calendar
    with session_scope() as session:
        stored = session.get(CalendarYear, year)
        if stored is None:
            return None
        meetings = _meetings(session, year)
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
        rows[0].requested_on if rows else distribution_request_day(policy, year, workdays=workdays)
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
    policy = _profile().calendar
    request_on = date.fromisoformat(result["distribution"]["request_on"])
    follow_ups = distribution_reminder_days(policy, request_on, workdays=current_work_calendar())
    days = {date.fromisoformat(result["plan_notice_on"]), request_on, *follow_ups}
    for e in result["events"]:
        days |= {date.fromisoformat(d) for d in [e["invite_on"], *e["reminders"]]}
    days |= {date.fromisoformat(k["notice_on"]) for k in result["key_days"]}
    return sorted(days)


def proposal_result(*, inputs: PlanInputs, schedule: Schedule) -> dict[str, Any]:
    """A placed but unsigned year in the shape of `calendar --json`; reads, stores nothing."""
    profile = _profile()
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
            "request_on": distribution_request_day(
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


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's calendar not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
