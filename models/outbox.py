"""The transactional outbox: messages written with the decision, delivered per target."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, LargeBinary, Text, UniqueConstraint
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
    # A file that travels with the message (an invitation's .ics); e-mail targets attach it.
    attachment_name: str = ""
    attachment_type: str = ""
    attachment: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # pending | delivered | failed | no_target | refused (every target refused it for good)
    status: str = Field(default="pending", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Delivery(SQLModel, table=True):
    """The state of one message at one Apprise target; failed targets alone are retried."""

    __table_args__ = (UniqueConstraint("message_id", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", index=True)
    target: str  # the target's unique tag in the Apprise config
    # pending | delivered | failed | refused (this channel cannot carry it: never retried)
    status: str = "pending"
    attempts: int = 0
    last_error: str = ""  # Chinese reason of the last failure, with the vendor's code
    last_code: str = ""  # the vendor's code of the last failure ("310000"), if any
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DeliveryAttempt(SQLModel, table=True):
    """Every try, kept for the record."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    ok: bool
    error: str = ""
    code: str = ""
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DeliveryTarget(SQLModel, table=True):
    """What the delivery engine remembers of one target between passes: the times of its recent
    sends (rate limits), until when the vendor throttles it, and whether it is held because its
    configuration was refused (until that configuration changes or an operator resumes it)."""

    __tablename__ = "delivery_target"

    name: str = Field(primary_key=True)
    recent_sends: list[float] = Field(default_factory=list, sa_column=Column(JSON))
    blocked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    held_reason: str = ""
    held_fingerprint: str = ""
    held_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
