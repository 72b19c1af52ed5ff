"""The messages a planned year causes: the annual plan to every office and the invitations."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models.meetings import Meeting
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.calendar.files import (
    ics_attachment,
    write_ics,
)
from tasks.calendar.records import FLOW
from tasks.calendar.rules import (
    PublicityCalendar,
    reply_day,
)
from tasks.common import clock, links
from tasks.common.holidays import work_calendar
from tasks.notify.render import render
from tasks.notify.staging import message_key, stage_message


def when_and_where(meeting: Meeting) -> dict[str, Any]:
    """The template fields that say what the meeting is, when and where."""
    return {
        "title": meeting.title,
        "day": meeting.day,
        "start": meeting.start_time,
        "end": meeting.end_time,
        "venue": meeting.venue,
    }


def stage_invitations(
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
    write_ics(meeting, profile)
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
            deadline=clock.end_of_day(reply_by, profile),
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
            **when_and_where(meeting),
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
            attachment=ics_attachment(meeting, profile),
        )
        staged += message is not None
    return staged


def was_invited(session: Session, meeting: Meeting) -> bool:
    """Whether an invitation to this meeting (any version) has gone to its invitees."""
    found = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.flow == FLOW,
            OutboxMessage.year == meeting.year,
            col(OutboxMessage.kind).startswith(f"invitation-{meeting.key}-v"),
        )
    ).first()
    return found is not None


def offices_of(profile: DistrictProfile) -> list[tuple[str, str]]:
    """(audience tag, office name) of every street and community office of the district."""
    offices = []
    for street in profile.streets:
        offices.append((f"street-{street.name}", street.name))
        offices += [(f"community-{c}", c) for c in street.communities]
    return offices


def stage_annual_plan(
    session: Session,
    *,
    publicity: PublicityCalendar,
    meetings: list[Meeting],
    profile: DistrictProfile,
    request_on: date,
) -> int:
    staged = 0
    for tag, office in offices_of(profile):
        title, body = render(
            "calendar_annual_plan",
            year=publicity.year,
            office=office,
            publicity_day=publicity.publicity_day,
            request_on=request_on,
            material=profile.calendar.distribution.material,
            meetings=[
                {"day": m.day, "start": m.start_time, "title": m.title, "venue": m.venue}
                for m in meetings
            ],
            contact=profile.contacts.centre,
            **publicity.message_fields(),
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
