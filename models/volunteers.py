"""Volunteers who teach at community schools (R10.3) and the lecturer group (R10.4).

The district registers them each year from a file (import kind `volunteers`); the KPI report
counts volunteers who taught unpaid lessons at a community school and the lecturer group's
members. No phone numbers or ID numbers are kept: the register is for counting and planning.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

ROLES = {"volunteer": "志愿者", "lecturer": "讲师团"}
"""R10.3 volunteers with special skills; R10.4 veteran party members, retired cadres, teachers."""


class VolunteerBase(SQLModel):
    year: int = Field(index=True)
    person_id: str  # the district's own number for the person, unique in a year
    name: str
    role: str  # volunteer | lecturer
    background: str = ""  # 特长 (volunteers); 老党员 / 退休干部 / 退休教师 (lecturers)
    street: str
    community: str = ""  # the community school where they teach, if any
    lessons: int = 0  # unpaid lessons taught at community schools in the year


class Volunteer(VolunteerBase, table=True):
    """One person's registration for one year."""

    __table_args__ = (UniqueConstraint("year", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
