"""Cadre training attendance (R7.1): who was invited, who answered, who signed in.

Invitations go to audiences (their head count is the profile's); answers are the RSVPs; the
sign-in lists come from the import kind `attendance`. Read-only.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlmodel import col, select

from models.attendance import Attendance
from models.db import session_scope
from models.meetings import Meeting, Rsvp


class TrainingAttendance(BaseModel):
    key: str
    title: str
    day: date
    invited: int
    answered: int
    accepted: int
    declined: int
    signed_in: int
    accepted_absent: list[str]  # said they would come, did not sign in
    unannounced: list[str]  # signed in without answering

    @property
    def rate(self) -> float:
        return self.signed_in / self.invited if self.invited else 0.0


def training_attendance(year: int, *, kind: str = "cadre_training") -> list[TrainingAttendance]:
    """Per scheduled meeting of the kind (cadre trainings by default), in date order."""
    with session_scope() as session:
        meetings = session.exec(
            select(Meeting)
            .where(Meeting.year == year, Meeting.kind == kind, Meeting.status == "scheduled")
            .order_by(col(Meeting.day))
        ).all()
        ids = [m.id for m in meetings]
        answers = session.exec(select(Rsvp).where(col(Rsvp.meeting_id).in_(ids))).all()
        signed = session.exec(select(Attendance).where(col(Attendance.meeting_id).in_(ids))).all()
    rows = []
    for meeting in meetings:
        mine = {r.attendee: r.response for r in answers if r.meeting_id == meeting.id}
        present = {a.attendee for a in signed if a.meeting_id == meeting.id}
        rows.append(
            TrainingAttendance(
                key=meeting.key,
                title=meeting.title,
                day=meeting.day,
                invited=meeting.invitees,
                answered=len(mine),
                accepted=sum(1 for r in mine.values() if r == "accepted"),
                declined=sum(1 for r in mine.values() if r == "declined"),
                signed_in=len(present),
                accepted_absent=sorted(
                    n for n, r in mine.items() if r == "accepted" and n not in present
                ),
                unannounced=sorted(present - set(mine)),
            )
        )
    return rows
