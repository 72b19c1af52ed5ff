"""The transactional outbox: messages written with the decision, delivered per target."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class OutboxMessage(SQLModel, table=True):
    """One logical message. `key` (flow:year:kind:recipient) makes it exist at most once."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    flow: str
    year: int
    kind: str
    audience: str  # the Apprise tag of the recipient, e.g. "street-嘉兴路街道"
    title: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_format: str = "text"
    status: str = Field(default="pending", index=True)  # pending | delivered | failed | no_target
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Delivery(SQLModel, table=True):
    """The state of one message at one Apprise target; failed targets alone are retried."""

    __table_args__ = (UniqueConstraint("message_id", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", index=True)
    target: str  # the target's unique tag in the Apprise config
    status: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_error: str = ""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DeliveryAttempt(SQLModel, table=True):
    """Every try, kept for the record."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    ok: bool
    error: str = ""
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
