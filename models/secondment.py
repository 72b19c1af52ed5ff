"""Teachers, secondment rounds and assignments (R10.2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

RATINGS = ("优秀", "良好", "合格", "不合格")


class TeacherBase(SQLModel):
    staff_id: str = Field(primary_key=True)
    name: str
    school: str = Field(index=True)
    subject: str = ""
    years_teaching: int = Field(ge=0)
    in_service: bool
    annual_rating: str  # one of RATINGS
    political_score: float = Field(ge=0, le=100)
    ability_score: float = Field(ge=0, le=100)
    community_work_score: float = Field(ge=0, le=100)
    backbone: bool = False
    last_secondment_year: int | None = None
    preferred_streets: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    deferred: bool = False
    phone: str = ""  # PII: shown masked everywhere but to the teacher


class Teacher(TeacherBase, table=True):
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SecondmentRound(SQLModel, table=True):
    """The signed-off secondment of one year; at most one per year."""

    __tablename__ = "secondment_round"

    year: int = Field(primary_key=True)
    status: str = "approved"
    approved_by: str = ""
    comment: str = ""
    total_score: float = 0.0
    inputs_digest: str = ""
    parameters: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))
    ineligible: list[dict[str, object]] = Field(default_factory=list, sa_column=Column(JSON))
    approved_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Assignment(SQLModel, table=True):
    """A teacher placed on a street for a year. A decline keeps the row, marked declined."""

    __table_args__ = (UniqueConstraint("year", "staff_id"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="secondment_round.year", index=True)
    staff_id: str = Field(foreign_key="teacher.staff_id")
    street: str
    school: str
    score: float
    merit: float
    preferred: bool = False
    backbone: bool = False
    status: str = "active"  # active | declined
    replaces: str | None = None  # staff_id of the decliner this teacher replaced
    reason: str = ""
    decline_reason: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    declined_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
