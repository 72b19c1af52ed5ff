"""The annual calendar (R7.1, R7.2, R7.4, R7.5): the planned year, its meetings, RSVPs, and the
material-distribution confirmations of every community office."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class CalendarYear(SQLModel, table=True):
    """One planned year: publicity month, activity week, publicity day, how it was placed."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    publicity_day: date
    activity_week_start: date
    activity_week_end: date
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # holiday notes
    rules: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))
    solver_status: str = ""
    cloned_from: int | None = None
    inputs_digest: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class MeetingBase(SQLModel):
    year: int = Field(foreign_key="calendar_year.year", index=True)
    key: str  # "work_conference", "cadre_training_2", …: unique in the year
    uid: str = Field(unique=True)  # the RFC 5545 UID, stable when the meeting moves
    kind: str
    title: str
    day: date
    start_time: time
    end_time: time
    venue: str
    audiences: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    invitees: int = 0
    status: str = "scheduled"  # scheduled | cancelled
    sequence: int = 0  # RFC 5545 SEQUENCE: +1 on every move or cancellation
    reason: str = ""  # clerk-readable, why this day and this venue
    cloned_from: str | None = None  # UID of last year's meeting this one was cloned from


class Meeting(MeetingBase, table=True):
    __table_args__ = (UniqueConstraint("year", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    stamped_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Rsvp(SQLModel, table=True):
    """One attendee's answer to one meeting; answering again replaces the answer."""

    __table_args__ = (UniqueConstraint("meeting_id", "attendee"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    attendee: str
    audience: str = ""
    response: str  # accepted | declined | tentative
    comment: str = ""
    responded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Distribution(SQLModel, table=True):
    """R7.2: one community office's part of the year's material distribution."""

    __table_args__ = (UniqueConstraint("year", "community"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="calendar_year.year", index=True)
    community: str
    street: str
    requested_on: date  # the first working day of the campaign
    requested: bool = False  # the request has been staged
    confirmed_on: date | None = None
    confirmed_by: str = ""
    note: str = ""
    reminders_sent: int = 0
    last_reminded_on: date | None = None
