"""Fault injection: a notification target that times out AFTER it received the message.

The receiver reads and records the message, then answers later than Apprise's read timeout
(`rto=` on the json:// URL): Apprise reports a failure although the message arrived. The outbox
key keeps the message single (staging it again adds nothing), the retry is booked as a second
attempt, and the receiver sees the message twice — delivery is at least once, so receivers must
tolerate a duplicate (docs/faults.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.settings import get_settings
from tasks.notify.delivery import deliver_pending
from tasks.notify.staging import stage_message
from tests.faults.harness import running_sink
from tests.hardening import Ledger

READ_TIMEOUT = 0.5  # seconds Apprise waits for the answer
HANG = 2.5  # seconds the receiver takes to answer its first message


def stage() -> int | None:
    """Stage the secondment notice of one teacher; its id, or None when the key exists."""
    with session_scope() as session:
        message = stage_message(
            session,
            flow="secondment",
            year=2026,
            kind="selected",
            recipient="T00077",
            audience="teacher-T00077",
            title="挂职通知",
            body="王老师：您已入选 2026 年度挂职，派往嘉兴路街道。",
        )
        return message.id if message is not None else None


def test_target_timing_out_after_receiving_gets_a_counted_resend_of_one_message(
    db: Path, tmp_path: Path, hardening: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sink(hang_first=1, hang=HANG) as sink:
        config = sink.config(tmp_path / "apprise.yaml", query=f"?rto={READ_TIMEOUT}")
        monkeypatch.setenv("LD_APPRISE_CONFIG", str(config))
        get_settings.cache_clear()
        message_id = stage()

        first = deliver_pending()
        staged_again = stage()  # the decision re-run stages the same notice again
        second = deliver_pending()
        third = deliver_pending()
        received = list(sink.received)

    with session_scope() as session:
        messages = session.exec(select(OutboxMessage)).all()
        deliveries = session.exec(select(Delivery)).all()
        tries = session.exec(select(DeliveryAttempt).order_by(col(DeliveryAttempt.id))).all()
    survived = (
        len(messages) == 1
        and staged_again is None
        and messages[0].status == "delivered"
        and [t.ok for t in tries] == [False, True]
        and len(received) == 2
        and len(set(received)) == 1
    )
    hardening.fault("notify: target times out after receiving, retried", survived=survived)

    assert message_id is not None
    assert (first.sends_ok, first.sends_failed) == (0, 1)  # Apprise reported a failure
    assert first.failures[0].target == "sink"
    assert staged_again is None  # the outbox key: no second logical message
    assert len(messages) == 1 and messages[0].status == "delivered"
    assert (second.sends_ok, second.sends_failed, second.messages_delivered) == (1, 0, 1)
    assert (third.sends_ok, third.sends_failed) == (0, 0)  # delivered: never sent again
    assert len(deliveries) == 1 and deliveries[0].attempts == 2
    assert [t.ok for t in tries] == [False, True]  # the retry is a second recorded attempt
    assert "sink" in tries[0].error
    # the receiver got the one message twice: at-least-once delivery
    assert len(received) == 2 and len(set(received)) == 1
