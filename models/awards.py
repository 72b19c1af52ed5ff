"""Learning awards (R11.2): nominations, judges' scores, the approved list, 公示, objections."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

CATEGORIES: dict[str, str] = {
    "residential_area": "学习型小区",
    "agency": "学习型机关",
    "enterprise": "学习型企业",
    "building": "学习型楼院",
    "family": "学习型家庭",
    "leader": "学习带头人",
}


class NominationBase(SQLModel):
    year: int = Field(index=True)
    ref: str
    category: str  # a key of CATEGORIES
    name: str
    street: str
    community: str = ""
    nominated_by: str = ""
    metrics: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    last_award_year: int | None = None  # the nominee's last award of this kind, if any
    new_merit: bool = False  # new achievements since that award (R11.2 repeat rule)


class Nomination(NominationBase, table=True):
    __table_args__ = (UniqueConstraint("year", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AwardScoreBase(SQLModel):
    year: int = Field(index=True)
    ref: str
    judge: str
    criteria: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))


class AwardScore(AwardScoreBase, table=True):
    __tablename__ = "award_score"
    __table_args__ = (UniqueConstraint("year", "ref", "judge"),)

    id: int | None = Field(default=None, primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AwardRound(SQLModel, table=True):
    """The committee-approved award list of one year; status publicity → final."""

    __tablename__ = "award_round"

    year: int = Field(primary_key=True)
    status: str = "publicity"  # publicity | final
    approved_by: str = ""
    comment: str = ""
    seed: int = 0
    inputs_digest: str = ""
    parameters: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))
    result: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON))
    approved_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    finalised_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AwardEntry(SQLModel, table=True):
    """A nominee on the year's list (or a reserve), with its score and its 公示 period."""

    __tablename__ = "award_entry"
    __table_args__ = (UniqueConstraint("year", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="award_round.year", index=True)
    ref: str
    category: str
    name: str
    street: str
    community: str = ""
    rank: int | None = None  # rank in its category; None for a committee addition
    final: float = 0.0
    raw_mean: float = 0.0
    n_valid: int = 0
    draw: int | None = None
    status: str = "listed"  # listed | reserve | withdrawn | awarded
    promoted_from: str | None = None  # the withdrawn nominee this one replaces
    reason: str = ""
    publicity_start: date | None = Field(default=None, sa_type=Date())
    publicity_end: date | None = Field(default=None, sa_type=Date())


class AwardObjection(SQLModel, table=True):
    """A real-name objection to a listed nominee during its 公示, and its ruling."""

    __tablename__ = "award_objection"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    ref: str
    objector: str  # real name, required
    phone: str = ""  # PII
    content: str
    status: str = "open"  # open | upheld | dismissed
    ruling: str = ""
    ruled_by: str = ""
    filed_on: date = Field(sa_type=Date())
    ruled_on: date | None = Field(default=None, sa_type=Date())
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
