"""Booking a delivery pass: its lanes run on a thread pool, its outcomes are booked on one thread.

`send_all` starts one lane per target (tasks/notify/lanes.py), up to `concurrency` at once, and
books what they report in batches of up to `BOOK_BATCH` outcomes per transaction, as two
multi-row statements; deferrals and alerts are counted and handed back. Only the calling thread
writes to the database.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger
from pydantic import BaseModel
from sqlalchemy import bindparam, insert, update

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.notify.lanes import LANE_DONE, Alert, Deferred, Outcome, run_lane
from tasks.notify.pacing import Pacer
from tasks.notify.protocol import ChannelSpec, Notifier, Send

_ERROR_MAX = 1000


def logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


class DeliveryFailure(BaseModel):
    """One failed send, or one message no target serves (then `target` is empty)."""

    key: str
    target: str
    error: str
    code: str = ""


class DeliveryReport(BaseModel):
    """What one delivery pass did."""

    messages_delivered: int = 0
    messages_failed: int = 0
    messages_refused: int = 0
    # Not yet sent to every target: paced, throttled or held for a later pass.
    messages_waiting: int = 0
    no_target: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    sends_refused: int = 0
    # Undelivered targets not tried because they reached `max_attempts`.
    sends_skipped: int = 0
    # Not tried in this pass: a rate limit or throttling window longer than the lane waits.
    sends_deferred: int = 0
    # Not tried: the target is held (its configuration was refused).
    sends_held: int = 0
    # Messages left pending because the operator said not to send them now (consent gate).
    messages_held: int = 0
    # Targets newly held; one alert each went to the operator.
    config_alerts: list[str] = []
    failures: list[DeliveryFailure] = []


# Outcomes booked in one transaction: whatever finished while the last one committed, at most
# this many. A slow receiver thus gets each outcome booked at once, as before.
BOOK_BATCH = 200
_DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]  # set by SQLModel
_BOOK_DELIVERY = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("b_id"))
    .values(
        attempts=_DELIVERIES.c.attempts + 1,
        status=bindparam("b_status"),
        last_error=bindparam("b_error"),
        last_code=bindparam("b_code"),
        updated_at=bindparam("b_at"),
    )
)


def _status(outcome: Outcome) -> str:
    if outcome.error is None:
        return "delivered"
    return "refused" if outcome.error.outcome == "refused" else "failed"


def book(outcomes: list[Outcome], report: DeliveryReport) -> None:
    """Book a batch of sends' outcomes (Delivery state + one DeliveryAttempt each) in one
    transaction, as two multi-row statements (ORM objects per row cost more CPU than the sends
    they book)."""
    log = logger()
    now = utcnow()
    rows = [
        (
            o.send,
            _status(o),
            str(o.error)[:_ERROR_MAX] if o.error else "",
            o.error.code if o.error else "",
        )
        for o in outcomes
    ]
    with session_scope() as session:
        connection = session.connection()
        connection.execute(
            _BOOK_DELIVERY,
            [
                {
                    "b_id": send.delivery_id,
                    "b_status": status,
                    "b_error": text,
                    "b_code": code,
                    "b_at": now,
                }
                for send, status, text, code in rows
            ],
        )
        # A delivery id that vanished fails here, on the foreign key, and nothing is booked.
        connection.execute(
            insert(DeliveryAttempt),
            [
                {
                    "delivery_id": send.delivery_id,
                    "ok": status == "delivered",
                    "error": text,
                    "code": code,
                    "at": now,
                }
                for send, status, text, code in rows
            ],
        )
    for send, status, text, code in rows:
        if status == "delivered":
            report.sends_ok += 1
            continue
        if status == "refused":
            report.sends_refused += 1
        else:
            report.sends_failed += 1
        report.failures.append(
            DeliveryFailure(key=send.key, target=send.target, error=text, code=code)
        )
        log.warning("outbox message %s to %s %s: %s", send.message_id, send.target, status, text)


class LaneSetup:
    """What one pass gives every lane: the notifier, the pacer, the wait, the portal link."""

    def __init__(self, *, notifier: Notifier, pacer: Pacer, max_wait: float) -> None:
        self.notifier = notifier
        self.pacer = pacer
        self.max_wait = max_wait
        self.public_url = get_settings().configured_public_url
        self._specs: dict[str, ChannelSpec] = {}

    def spec(self, target: str) -> ChannelSpec:
        if target not in self._specs:
            self._specs[target] = self.notifier.spec(target)
        return self._specs[target]


def send_all(
    sends: list[Send], *, setup: LaneSetup, concurrency: int, report: DeliveryReport
) -> list[Alert]:
    """Send concurrently, one lane per target, booking outcomes in batches on this thread;
    return the alerts of targets newly held.

    Only this thread touches the database. Should booking or a send raise anything but
    `DeliveryError`, no new send starts, the sends in flight finish and are booked, and the
    error is raised.
    """
    lanes: dict[str, list[Send]] = {}
    for send in sends:
        lanes.setdefault(send.target, []).append(send)
    alerts: list[Alert] = []
    if not lanes:
        return alerts
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    stop = threading.Event()
    specs = {target: setup.spec(target) for target in lanes}

    def lane(target: str) -> None:
        try:
            run_lane(
                lanes[target],
                notifier=setup.notifier,
                spec=specs[target],
                pacer=setup.pacer,
                max_wait=setup.max_wait,
                public_url=setup.public_url,
                stop=stop,
                put=items.put,
            )
        except BaseException as exc:  # handed to the booking thread, which raises it
            stop.set()
            items.put(exc)
        finally:
            items.put(LANE_DONE)

    crash: BaseException | None = None
    open_lanes = len(lanes)
    with ThreadPoolExecutor(
        max_workers=min(concurrency, len(lanes)), thread_name_prefix="ld-deliver"
    ) as pool:
        try:
            for target in lanes:
                pool.submit(lane, target)
            while open_lanes:
                # Wait for one item, then take whatever else is ready (group commit).
                batch_items = [items.get()]
                while len(batch_items) < BOOK_BATCH:
                    try:
                        batch_items.append(items.get_nowait())
                    except queue.Empty:
                        break
                batch: list[Outcome] = []
                for item in batch_items:
                    if item is LANE_DONE:
                        open_lanes -= 1
                    elif isinstance(item, Outcome):
                        batch.append(item)
                    elif isinstance(item, Deferred):
                        if item.why == "held":
                            report.sends_held += len(item.sends)
                        else:
                            report.sends_deferred += len(item.sends)
                    elif isinstance(item, Alert):
                        alerts.append(item)
                    elif isinstance(item, BaseException):
                        crash = crash or item
                if batch:
                    book(batch, report)
        except BaseException:
            stop.set()  # leaving the pool waits for the sends in flight only
            raise
    if crash is not None:
        raise crash
    return alerts
