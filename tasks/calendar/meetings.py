"""Changes to a planned meeting: moves, cancellations and the replies of those invited."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from models.audit import Decision
from models.db import session_scope
from models.meetings import CalendarYear, Meeting, Rsvp
from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.calendar.files import (
    ics_attachment,
    write_ics,
)
from tasks.calendar.messages import (
    stage_invitations,
    was_invited,
)
from tasks.calendar.placement import (
    EventSpec,
    PlacedEvent,
    ScheduleRules,
    fmt,
    meeting_rule,
    violations,
)
from tasks.calendar.records import (
    FLOW,
    CalendarError,
    find_meeting,
    venues_of,
    year_meetings,
)
from tasks.common import links
from tasks.common.district import profile_in_force
from tasks.common.holidays import work_calendar
from tasks.notify.render import render
from tasks.notify.staging import stage_message


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
        raise CalendarError(f"{fmt(day)}不在{meeting.year}年内")
    workdays = work_calendar(session)
    if not workdays.is_working_day(day):
        name = workdays.holiday_name(day)
        raise CalendarError(f"{fmt(day)}不是工作日" + (f"（{name}）" if name else ""))
    stored = session.get(CalendarYear, meeting.year)
    # the rules the year was placed by, on the calendar in force now
    rules = ScheduleRules.model_validate({**(stored.rules if stored else {}), "workdays": workdays})
    venues = venues_of(profile)
    if venue not in {v.name for v in venues}:
        raise CalendarError(
            f"“{venue}”不是区情配置中的会场（可选：{'、'.join(v.name for v in venues)}）"
        )
    others = [
        m for m in year_meetings(session, meeting.year, status="scheduled") if m.id != meeting.id
    ]
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
        raise CalendarError("不能改期：" + "；".join(problems))


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
    profile = profile_in_force()
    with session_scope() as session:
        meeting = find_meeting(session, year, key)
        if meeting.status == "cancelled":
            raise CalendarError(f"{meeting.title}已取消，不能改期")
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
        if was_invited(session, meeting):  # those told the old date hear of the new one now
            stage_invitations(session, meeting, profile, previous=previous)
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
    profile = profile_in_force()
    with session_scope() as session:
        meeting = find_meeting(session, year, key)
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
        write_ics(meeting, profile)
        names = profile.calendar.audience_names
        # nobody invited yet: nobody to tell (the invitation will simply never go out)
        for audience in meeting.audiences if was_invited(session, meeting) else []:
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
                attachment=ics_attachment(meeting, profile),
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
        raise CalendarError(f"回复“{response}”应为参加、不参加或待定")
    attendee = attendee.strip()
    if not attendee:
        raise CalendarError("请填写参会人")
    now = now or utcnow()
    with session_scope() as session:
        meeting = find_meeting(session, year, key)
        if meeting.status == "cancelled":
            raise CalendarError(f"{meeting.title}已取消")
        if audience and audience not in meeting.audiences:
            names = profile_in_force().calendar.audience_names
            invited = "、".join(f"{names.get(a, a)}（{a}）" for a in meeting.audiences)
            raise CalendarError(f"{meeting.title}未邀请“{audience}”（邀请对象：{invited}）")
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
