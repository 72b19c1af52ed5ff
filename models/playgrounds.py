"""Open playgrounds (R8.2): each primary school's opening hours, mornings and evenings by season.

A clerk registers them from a file (import kind `playgrounds`): one row per school and season.
Closures (exam days, the holidays the profile names) are not stored: they follow from the profile
and the working-day calendar in force, so a later holiday notice moves them by itself.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class PlaygroundHoursBase(SQLModel):
    school: str = Field(index=True)
    street: str
    season: str  # a season name of the profile's `playgrounds.seasons`
    morning_open: time
    morning_close: time
    evening_open: time
    evening_close: time
    facilities: str = ""  # 操场、篮球场, …


class PlaygroundHours(PlaygroundHoursBase, table=True):
    __tablename__ = "playground_hours"
    __table_args__ = (UniqueConstraint("school", "season"),)

    id: int | None = Field(default=None, primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
