"""Staging: a message enters the outbox in the caller's transaction, once per key.

A decision and its messages are written together: `stage_message` adds to the caller's
session and commits nothing, so a message stands or falls with the decision that causes it.
The key (flow, year, kind, recipient) makes a message exist at most once; delivery is
tasks/notify/delivery.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.outbox import OutboxMessage
from tasks.notify.protocol import Attachment, check_audience, check_body_format
from tasks.notify.render import render


def message_key(*, flow: str, year: int, kind: str, recipient: str) -> str:
    """The idempotency key of a message: one per (flow, year, kind, recipient)."""
    return f"{flow}:{year}:{kind}:{recipient}"


def stage_message(
    session: Session,
    *,
    flow: str,
    year: int,
    kind: str,
    recipient: str,
    audience: str,
    title: str,
    body: str,
    body_format: str = "text",
    attachment: Attachment | None = None,
) -> OutboxMessage | None:
    """Add a message to the outbox in the caller's transaction; None if its key already exists.

    Nothing is committed here: the message must stand or fall with the decision that causes it.
    The unique key on the table is the final guard against a concurrent duplicate. An
    `attachment` (an invitation's .ics) goes with it to the targets that take files (e-mail).
    """
    check_audience(audience)
    check_body_format(body_format)
    key = message_key(flow=flow, year=year, kind=kind, recipient=recipient)
    existing = session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first()
    if existing is not None:
        return None
    message = OutboxMessage(
        key=key,
        flow=flow,
        year=year,
        kind=kind,
        audience=audience,
        title=title,
        body=body,
        body_format=body_format,
        attachment_name=attachment.name if attachment else "",
        attachment_type=attachment.mimetype if attachment else "",
        attachment=attachment.content if attachment else None,
    )
    session.add(message)
    # Flush so the caller sees the id, and a duplicate key fails inside its own transaction.
    session.flush()
    return message


def stage_rendered(
    session: Session,
    template: str,
    *,
    flow: str,
    year: int,
    kind: str,
    recipient: str,
    audience: str,
    **context: Any,
) -> OutboxMessage | None:
    """`stage_message` of the title and body TEMPLATE gives for CONTEXT (and the year)."""
    title, body = render(template, year=year, **context)
    return stage_message(
        session,
        flow=flow,
        year=year,
        kind=kind,
        recipient=recipient,
        audience=audience,
        title=title,
        body=body,
    )


class Staged(NamedTuple):
    """One text message for `stage_many`."""

    flow: str
    year: int
    kind: str
    recipient: str
    audience: str
    title: str
    body: str


def stage_many(session: Session, messages: Sequence[Staged]) -> int:
    """`stage_message` of many text messages in one statement (the portal stages the
    receipts of a whole batch of submissions); a key already staged, in the outbox or earlier
    in MESSAGES, is left out. Returns how many were added; nothing is committed here."""
    keys = [
        message_key(flow=m.flow, year=m.year, kind=m.kind, recipient=m.recipient) for m in messages
    ]
    for message in messages:
        check_audience(message.audience)
    taken = set(
        session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(set(keys)))).all()
    )
    # every column as the model defaults it (created_at now), then the message's own fields
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in OutboxMessage.model_fields.items()
        if name != "id"
    }
    rows = []
    for key, message in zip(keys, messages, strict=True):
        if key in taken:
            continue
        taken.add(key)
        rows.append({**defaults, **message._asdict(), "key": key})
    for row in rows:
        del row["recipient"]  # in the key only
    if rows:
        session.execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)
