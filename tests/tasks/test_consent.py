"""The consent gate: a delivery pass shows what it is about to send and may be held back."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from models.db import session_scope
from models.outbox import OutboxMessage
from tasks.notify.consent import Outgoing, kind_of, outgoing, set_gate
from tasks.notify.delivery import deliver_pending
from tasks.notify.staging import stage_message


def _stage(count: int) -> None:
    with session_scope() as session:
        for n in range(count):
            stage_message(
                session,
                flow="test",
                year=2026,
                kind="notice",
                recipient=f"r{n}",
                audience=f"street-街道{n}" if n % 2 else f"teacher-T{n:05d}",
                title="通知",
                body="正文",
            )


def _statuses() -> dict[str, int]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage.status)).all()
    return {s: rows.count(s) for s in set(rows)}


def test_kinds_of_recipients_read_in_chinese() -> None:
    assert kind_of("street-嘉兴路街道") == ("街道办事处", "嘉兴路街道")
    assert kind_of("idea-submitter-2026-000001") == ("金点子提交人", "2026-000001")
    assert kind_of("residents") == ("全区居民", "")


def test_a_held_pass_sends_nothing_and_leaves_every_message_pending(db: Path) -> None:
    _stage(8)
    shown: list[Outgoing] = []

    def refuse(seen: Outgoing) -> bool:
        shown.append(seen)
        return False

    set_gate(refuse)
    try:
        report = deliver_pending()
    finally:
        set_gate(None)
    assert report.messages_held == 8 and report.messages_delivered == 0
    assert _statuses() == {"pending": 8}
    assert shown[0].count == 8 and shown[0].by_kind == {"教师": 4, "街道办事处": 4}
    assert shown[0].lines()[0].startswith("教师 4 条（T00000、T00002、T00004等）")

    set_gate(lambda seen: True)
    try:
        report = deliver_pending()
    finally:
        set_gate(None)
    assert report.messages_delivered == 8 and _statuses() == {"delivered": 8}


def test_without_a_gate_nothing_is_asked(db: Path) -> None:
    _stage(3)
    assert deliver_pending().messages_delivered == 3
    ids = list(range(1, 4))
    assert outgoing(ids).count == 3
