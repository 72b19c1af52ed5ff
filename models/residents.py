"""What residents send through the portal beyond an idea: support, status links, objections.

- `IdeaSupport`: "我也支持这条" — a resident who backs an idea already submitted instead of
  repeating it (one support per person and idea).
- `StatusLink`: a read-only link a submitter follows (`/s/<token>`); like every personal link,
  the token is random, only in the acknowledgement and the message, and stored as its SHA-256.
- `ObjectionFiling`: what the public 公示 page took with a real-name objection (`AwardObjection`)
  beyond the objection itself: the objector's relation to the nominee, an optional attachment,
  and the event that announces it, with when it was announced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class IdeaSupport(SQLModel, table=True):
    """A resident who supports an idea of the campaign (R7.3) rather than submitting it again."""

    __tablename__ = "idea_support"
    __table_args__ = (UniqueConstraint("year", "ref", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    ref: str  # the idea supported
    supporter: str  # real name
    phone: str  # PII: shown to nobody but the office
    community: str
    fingerprint: str = Field(max_length=64)  # sha256 of the phone: one support per person
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class StatusLink(SQLModel, table=True):
    """A read-only link to the state of one's own idea or objection."""

    __tablename__ = "status_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)  # SHA-256, hex
    kind: str  # idea | objection
    year: int
    subject: str  # the idea's ref, the objection's id
    issued_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ObjectionFiling(SQLModel, table=True):
    """The portal's part of a real-name objection: relation, attachment, its announcing."""

    __tablename__ = "objection_filing"

    id: int | None = Field(default=None, primary_key=True)
    objection_id: int = Field(foreign_key="award_objection.id", unique=True)
    form_id: str = Field(unique=True, max_length=64)  # a form sent twice is one objection
    relation: str  # the objector's relation to the nominee
    attachment_type: str = ""  # application/pdf | image/jpeg | image/png | "" (none)
    attachment: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    event: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # to announce
    filed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    announced_at: datetime | None = Field(default=None, index=True, sa_type=DateTime(timezone=True))
