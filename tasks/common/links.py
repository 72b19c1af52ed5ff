"""Personal links: a message that asks for an answer carries `<public_url>/r/<token>`.

The token is 256 random bits (`secrets.token_urlsafe(32)`), says nothing about its recipient,
and is never stored: the database keeps its SHA-256 only, so a copy of the database opens no
link. `ask` runs inside the transaction that stages the asking message (the decision, its
message and its link stand or fall together): it records the request — purpose, recipient,
subject, deadline, and what the page shows — or refreshes it when the question is asked again
(a moved meeting), and issues a new link to it. `close` ends a request (a cancelled meeting)
and `revoke` its links; a closed request or a revoked link opens the refusal page only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any, Literal, TypedDict, Unpack

from sqlmodel import Session, col, select

from models.outbox import OutboxMessage
from models.responses import ResponseLink, ResponseRequest
from models.settings import get_settings
from models.timeutil import utcnow

Purpose = Literal["secondment", "meeting", "distribution", "judging"]
TOKEN_BYTES = 32  # 256 bits; the URL-safe text is 43 characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(token: str) -> str:
    return f"{get_settings().public_url}/r/{token}"


class Asked(TypedDict):
    """A request as `ask` records it: about what, who answers where, until when, what to show."""

    purpose: Purpose
    year: int
    recipient: str
    subject: str
    audience: str
    deadline: datetime
    details: dict[str, Any]


def ask_in_message(session: Session, *, message_key: str, **request: Unpack[Asked]) -> str | None:
    """`ask` for the message with MESSAGE_KEY, unless it is already staged (a re-run, where
    no new message would carry the link): then None, and nothing is issued."""
    staged = session.exec(select(OutboxMessage.id).where(OutboxMessage.key == message_key)).first()
    if staged is not None:
        return None
    return ask(session, **request)


def ask(
    session: Session,
    *,
    purpose: Purpose,
    year: int,
    recipient: str,
    subject: str,
    audience: str,
    deadline: datetime,
    details: dict[str, Any],
    now: datetime | None = None,
) -> str:
    """Record (or refresh) the request and issue a new link to it; return the link's URL.

    Nothing is committed here: the caller's transaction also stages the message carrying it.
    """
    now = now or utcnow()
    request = session.exec(
        select(ResponseRequest).where(
            ResponseRequest.purpose == purpose,
            ResponseRequest.year == year,
            ResponseRequest.recipient == recipient,
            ResponseRequest.subject == subject,
        )
    ).first()
    if request is None:
        request = ResponseRequest(
            purpose=purpose,
            year=year,
            recipient=recipient,
            subject=subject,
            audience=audience,
            details=details,
            deadline=deadline,
            asked_at=now,
        )
    else:  # asked again (a meeting moved): the page shows what the new message says
        request.audience, request.details, request.deadline = audience, details, deadline
        request.closed_at, request.closed_reason = None, ""
    session.add(request)
    session.flush()
    assert request.id is not None
    token = new_token()
    session.add(ResponseLink(request_id=request.id, token_hash=token_hash(token), issued_at=now))
    session.flush()
    return link_url(token)


def close(
    session: Session,
    *,
    purpose: Purpose,
    year: int,
    subject: str,
    reason: str,
    now: datetime | None = None,
) -> int:
    """End every open request about SUBJECT (e.g. a cancelled meeting); how many were open."""
    rows = session.exec(
        select(ResponseRequest).where(
            ResponseRequest.purpose == purpose,
            ResponseRequest.year == year,
            ResponseRequest.subject == subject,
            col(ResponseRequest.closed_at).is_(None),
        )
    ).all()
    for row in rows:
        row.closed_at, row.closed_reason = now or utcnow(), reason
        session.add(row)
    return len(rows)


def revoke(
    session: Session,
    *,
    purpose: Purpose,
    year: int,
    recipient: str,
    now: datetime | None = None,
) -> int:
    """Revoke every link of RECIPIENT's requests of this purpose and year; how many."""
    links = session.exec(
        select(ResponseLink)
        .join(ResponseRequest, col(ResponseRequest.id) == col(ResponseLink.request_id))
        .where(
            ResponseRequest.purpose == purpose,
            ResponseRequest.year == year,
            ResponseRequest.recipient == recipient,
            col(ResponseLink.revoked_at).is_(None),
        )
    ).all()
    for link in links:
        link.revoked_at = now or utcnow()
        session.add(link)
    return len(links)
