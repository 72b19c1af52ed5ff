"""Calendar files (.ics) of the meetings, one per version, under `<data dir>/calendar/<year>/`.

A file is written before the transaction that references it commits; the outbox stores text, so a
message names its file's path in the body (a clerk opens it, or an e-mail target's operator
attaches it). A file left by a rolled-back transaction is harmless: it is never referenced and the
same decision would write the same bytes.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from sqlmodel import select

from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.profile.calendar import CalendarPolicy
from models.profile.schema import DistrictProfile
from tasks.calendar.records import calendar_dir, year_meetings
from tasks.common.district import profile_in_force
from tasks.common.ics import IcsAttendee, IcsEvent, ics_path, invitation_ics, write_file
from tasks.common.ics import year_ics as render_year_ics
from tasks.notify.protocol import Attachment


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


def ics_description(meeting: Meeting, profile: DistrictProfile) -> str:
    """What an invitee's calendar shows under the meeting: who is invited and whom to call.

    Written for the invitee, one item a line; the reasons of the placement (rules, windows,
    capacities) stay in the decision records.
    """
    names = profile.calendar.audience_names
    centre = profile.contacts.centre
    lines = ["本次会议已取消。"] if meeting.status == "cancelled" else []
    invited = "、".join(names.get(a, a) for a in meeting.audiences)
    if invited:
        lines.append(f"参会对象：{invited}")
    lines.append(f"联系部门：{centre.name}")
    if centre.phone:
        lines.append(f"联系电话：{centre.phone}")
    if centre.address:
        lines.append(f"联系地址：{centre.address}")
    return "\n".join(lines)


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
        description=ics_description(meeting, profile),
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


def write_ics(meeting: Meeting, profile: DistrictProfile) -> Path:
    path = ics_path(
        calendar_dir(),
        year=meeting.year,
        key=meeting.key,
        sequence=meeting.sequence,
        cancelled=meeting.status == "cancelled",
    )
    return write_file(path, invitation_ics(_ics_event(meeting, profile))).resolve()


def ics_attachment(meeting: Meeting, profile: DistrictProfile) -> Attachment:
    """This version of the meeting's calendar file (its METHOD inside), for e-mail targets."""
    return Attachment(
        name=f"{meeting.key}-v{meeting.sequence}.ics",
        mimetype="text/calendar",
        content=invitation_ics(_ics_event(meeting, profile)),
    )


def write_year_files(year: int) -> list[Path]:
    """Every meeting's current file and the year's calendar (`calendar-<year>.ics`); idempotent."""
    profile = profile_in_force()
    with session_scope() as session:
        meetings = year_meetings(session, year)
        paths = [write_ics(m, profile) for m in meetings]
        events = [_ics_event(m, profile) for m in meetings]
    whole = calendar_dir() / str(year) / f"calendar-{year}.ics"
    name = f"{profile.district}{year}年社区教育日历"
    paths.append(write_file(whole, render_year_ics(events, name=name)).resolve())
    return paths


def year_calendar(year: int) -> bytes | None:
    """The year's meetings as they stand, as one calendar to subscribe to (METHOD:PUBLISH);
    None when the year is not planned."""
    profile = profile_in_force()
    with session_scope() as session:
        if session.get(CalendarYear, year) is None:
            return None
        events = [_ics_event(m, profile) for m in year_meetings(session, year)]
    return render_year_ics(events, name=f"{profile.district}{year}年社区教育日历")


def meeting_ics(year: int, key: str) -> bytes | None:
    """The meeting's current version as an .ics invitation (None for an unknown meeting)."""
    profile = profile_in_force()
    with session_scope() as session:
        meeting = session.exec(
            select(Meeting).where(Meeting.year == year, Meeting.key == key)
        ).first()
        return invitation_ics(_ics_event(meeting, profile)) if meeting else None
