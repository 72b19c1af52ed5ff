"""Community units' contributions (R7.6): ideas, money and effort that organisations and firms
pledge, confirmed by the office once given, each unit thanked by message."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

PLEDGE_KINDS = {"idea": "出谋", "money": "出钱", "effort": "出力"}
UNIT_KINDS = ("机关", "企业", "事业单位", "社会组织")


class PledgeBase(SQLModel):
    year: int = Field(index=True)
    ref: str  # the pledge's number, unique in a year
    unit_code: str  # the district's code for the unit (its notification tag `unit-<code>`)
    unit: str  # the unit's name
    unit_kind: str  # one of UNIT_KINDS
    street: str
    kind: str  # one of PLEDGE_KINDS
    content: str = ""  # what the unit offers, in its words
    amount: int = 0  # yuan (money)
    hours: int = 0  # volunteer hours (effort)
    venue: str = ""  # a venue lent (effort)
    venue_capacity: int = 0
    pledged_on: date


class Pledge(PledgeBase, table=True):
    __tablename__ = "unit_pledge"
    __table_args__ = (UniqueConstraint("year", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    status: str = "pledged"  # pledged | confirmed
    confirmed_on: date | None = None
    confirmed_by: str = ""
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
