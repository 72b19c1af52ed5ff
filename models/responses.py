"""What people are asked through personal links, the links, and what they answer.

A message that asks for an answer carries a link `<public_url>/r/<token>`. The token is random
and is never stored: a link is found by the SHA-256 of its token. Each link belongs to one
request — one purpose (a seconded teacher confirms or declines, an invitee answers a meeting,
a community office confirms the material reached every household), one recipient, one subject
and a deadline. A reminder carries a new link to the same request. Answers are kept in full
(the latest one counts); each holds the event that announces it, and when it was announced.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class ResponseRequest(SQLModel, table=True):
    """One question to one recipient about one subject, open until its deadline."""

    __tablename__ = "response_request"
    __table_args__ = (UniqueConstraint("purpose", "year", "recipient", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: str  # secondment | meeting | distribution
    year: int = Field(index=True)
    recipient: str  # a staff id, an audience key, a community office
    subject: str  # the street of a placement, a meeting's key, the year's material
    audience: str  # the recipient's notification tag (reminders go there)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # as told
    deadline: datetime = Field(sa_type=DateTime(timezone=True))  # answers taken until then
    asked_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_reason: str = ""  # why no answer is taken any more (a cancelled meeting, revoked)
    reminders_sent: int = 0
    last_reminded_on: date | None = None


class ResponseLink(SQLModel, table=True):
    """One personal link to a request; the token itself is only in the message."""

    __tablename__ = "response_link"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="response_request.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)  # SHA-256, hex
    issued_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ResponseAnswer(SQLModel, table=True):
    """One answer sent through a link; a form sent twice (same `form_id`) is one answer."""

    __tablename__ = "response_answer"
    __table_args__ = (UniqueConstraint("request_id", "form_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="response_request.id", index=True)
    link_id: int = Field(foreign_key="response_link.id")
    form_id: str = Field(max_length=64)  # the one-time id of the form page that sent it
    choice: str  # confirm | decline | attend | absent | delegate | delivered
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    answered_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    event: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # to announce
    announced_at: datetime | None = Field(default=None, index=True, sa_type=DateTime(timezone=True))
