"""Who attended a meeting (R7.1 cadre trainings above all): the sign-in list, imported.

The invitation says who was invited (the audiences and their head count) and the RSVPs who
answered; this table holds who signed in. An import replaces the list of each meeting it names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "attendee"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    attendee: str
    audience: str = ""  # the audience key the person belongs to, when the sheet says
    unit: str = ""
    source: str = ""  # the file it came from
    entered_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
