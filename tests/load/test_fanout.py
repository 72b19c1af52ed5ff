"""Load: a notification fan-out of 10,000 messages to a json:// receiver answering in 50 ms.

10,000 residents each get one message addressed to their community office; 500 offices each
have their own json:// target (a path on one local HTTP sink, in a process of its own like a
real webhook, that answers after 50 ms). The
sequential rate is measured in the same run on a sample of plain one-after-the-other Apprise
sends through the same notifier; `deliver_pending` (concurrent across targets, outcomes booked
in the real SQLite outbox) must reach 10x that. Every message must arrive exactly once, at its
own office, and the outbox must hold exactly one logical message per key, also after staging
the same 10,000 keys again.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.settings import get_settings
from tasks.notify.adapter import AppriseNotifier
from tasks.notify.delivery import deliver_pending
from tests import fanout
from tests.hardening import Ledger
from tests.sinks import SinkProcess

MESSAGES = 10_000
OFFICES = 500
SINK_DELAY = 0.05
SEQUENTIAL_SAMPLE = 120
TARGET_RATIO = 10.0


@pytest.fixture
def slow_sink(tmp_path: Path) -> Iterator[SinkProcess]:
    sink = SinkProcess(delay=SINK_DELAY, record=tmp_path / "received.jsonl")
    yield sink
    sink.close()


def test_fanout_of_10000_reaches_10x_sequential_exactly_once_per_key(
    db: Path, tmp_path: Path, slow_sink: SinkProcess, hardening: Ledger
) -> None:
    config = fanout.write_config(tmp_path / "apprise.yml", port=slow_sink.port, offices=OFFICES)
    notifier = fanout.TimedNotifier(AppriseNotifier(config))

    sequential = fanout.sequential_rate(notifier.inner, sends=SEQUENTIAL_SAMPLE, offices=OFFICES)
    assert len(slow_sink.received()) == SEQUENTIAL_SAMPLE

    assert fanout.stage_residents(MESSAGES, offices=OFFICES) == MESSAGES
    concurrency = get_settings().delivery_concurrency
    started = time.perf_counter()
    report = deliver_pending(notifier=notifier)
    rate = MESSAGES / (time.perf_counter() - started)
    ratio = rate / sequential
    p99_ms = fanout.percentile(notifier.seconds, 0.99) * 1000
    hardening.load(
        f"notification fan-out {MESSAGES:,} → {SINK_DELAY * 1000:.0f} ms json sink",
        rate=rate,
        unit="msg/s",
        p99_ms=p99_ms,
        held=ratio >= TARGET_RATIO,
        detail=f"sequential {sequential:.1f} msg/s, ratio {ratio:.1f}×, "
        f"{concurrency} in flight over {OFFICES} targets",
    )

    assert report.failures == []
    assert (report.messages_delivered, report.sends_ok) == (MESSAGES, MESSAGES)
    assert ratio >= TARGET_RATIO, f"{rate:.0f} msg/s is {ratio:.1f}× sequential {sequential:.1f}"

    # Exactly once per key, each at its own office's path.
    arrived = slow_sink.received()[SEQUENTIAL_SAMPLE:]
    received = Counter((path, payload["message"]) for path, payload in arrived)
    expected = {(f"/{fanout.office(n % OFFICES)}", fanout.body_of(n)) for n in range(MESSAGES)}
    assert set(received) == expected
    assert set(received.values()) == {1}
    assert len(arrived) == MESSAGES

    # One logical message per key, one delivery and one attempt each, all delivered.
    with session_scope() as session:
        keys = session.exec(select(OutboxMessage.key, OutboxMessage.status)).all()
        deliveries = session.exec(select(func.count(col(Delivery.id)))).one()
        attempts = session.exec(select(func.count(col(DeliveryAttempt.id)))).one()
    assert len(keys) == MESSAGES and len({key for key, _ in keys}) == MESSAGES
    assert {status for _, status in keys} == {"delivered"}
    assert (deliveries, attempts) == (MESSAGES, MESSAGES)

    # Staging the same residents again creates nothing, and a further pass sends nothing.
    assert fanout.stage_residents(MESSAGES, offices=OFFICES) == 0
    again = deliver_pending(notifier=notifier)
    assert (again.sends_ok, again.messages_delivered) == (0, 0)
    assert len(slow_sink.received()) == SEQUENTIAL_SAMPLE + MESSAGES
