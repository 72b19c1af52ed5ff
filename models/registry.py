"""The district registry (R2-R6): the stored profile and its streets, communities and schools."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class StoredProfile(SQLModel, table=True):
    """The district profile in force, kept in the database so every machine sees the same one."""

    __tablename__ = "district_profile"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    digest: str = Field(index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Street(SQLModel, table=True):
    name: str = Field(primary_key=True)
    pilot: bool = False
    position: int = 0


class Community(SQLModel, table=True):
    name: str = Field(primary_key=True)
    street: str = Field(foreign_key="street.name", index=True)


class School(SQLModel, table=True):
    name: str = Field(primary_key=True)
    street: str = Field(foreign_key="street.name", index=True)
    pilot: bool = False
