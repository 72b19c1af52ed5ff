"""The State Council's holiday notices as a clerk imported them (import kind `holidays`).

One row per day: a day off (放假) or a make-up working day (上班) with the holiday's name. An
import replaces every stored day of the years its file covers, so a corrected file is simply
imported again. A year entered here takes precedence over the profile's `holidays.notices` and
over the holiday library.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class HolidayEntry(SQLModel, table=True):
    """One day of one year's notice."""

    __tablename__ = "holiday_entry"
    __table_args__ = (UniqueConstraint("day"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)  # the notice's year (its 元旦 days may end the year before)
    day: date
    off: bool  # True: 放假; False: 调休上班
    name: str
    source: str = ""  # the file it came from
    entered_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
