"""Notifications: stage messages in the outbox, deliver them per target, truthfully and paced.

A decision and its messages are written in one transaction (`stage_message` adds to the
caller's session). Delivery is separate (`deliver_pending`): every message gets one `Delivery`
row per target serving its audience, each try is a `DeliveryAttempt`, and only targets not yet
delivered are tried again, so a sweeper can retry failures without sending anything twice
(except a send whose bookkeeping was lost in a crash: receivers must tolerate a duplicate).

Delivery is concurrent across targets and sequential within one: up to
`LD_DELIVERY_CONCURRENCY` (64) targets are sent to at once, each on a thread of our own pool,
while one target's messages go out one at a time in message order (tasks/notify/lanes.py).
Only the calling thread writes to the database: outcomes are booked in batches of up to
`BOOK_BATCH`, so a crash loses at most the bookkeeping of the sends in flight and of those not
yet booked, which the next pass sends again. The outbox key keeps the logical message single.

What a send's outcome means (tasks/notify/protocol.py): a delivery is `delivered` only when the
channel accepted it (for the Chinese vendors: their success code, tasks/notify/channels.py);
`failed` is tried again on the next pass; `refused` (content refused, no SMS template for the
kind) never again. Each target is paced by its `ChannelSpec` (rate limits, the vendor's
throttling window, digests of many notices, length limits; tasks/notify/pacing.py): sends that
would wait too long stay `pending` for a later pass. A target whose configuration the vendor
refused (bad token, signature, keyword, IP) is held: nothing more goes to it, and one alert
goes to the operator (audience `operator`, else the fallback targets), until its configuration
changes or `learning-district notify resume` releases it.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import Task, task
from prefect.client.schemas.objects import State, TaskRun
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger
from pydantic import BaseModel
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.notify.adapter import get_notifier
from tasks.notify.consent import allowed
from tasks.notify.lanes import LANE_DONE, Alert, Deferred, Outcome, run_lane
from tasks.notify.pacing import Clock, Pacer, SystemClock
from tasks.notify.protocol import (
    FALLBACK_TAG,
    OPERATOR_TAG,
    Attachment,
    ChannelSpec,
    Notifier,
    NotifierConfigError,
    Send,
    check_audience,
    check_body_format,
    resolve_targets,
)
from tasks.notify.targets import load_states, save_states

# Statuses deliver_pending works on; `delivered`, `no_target` and `refused` are final.
DUE_STATUSES = ("pending", "failed")
# Delivery statuses never sent again.
SETTLED = ("delivered", "refused")
_ERROR_MAX = 1000
# The longest a lane waits for a target's rate limit or throttling window; beyond it the sends
# stay for the next pass (the sweeper runs every 10 minutes).
PACE_MAX_WAIT = 120.0


# --------------------------------------------------------------------------- staging


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


# --------------------------------------------------------------------------- delivery


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


# Messages planned, sent and settled together: bounds memory and the work one pass holds.
PLAN_CHUNK = 1000
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


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def _due_message_ids(message_ids: list[int] | None) -> list[int]:
    with session_scope() as session:
        query = select(OutboxMessage.id).where(col(OutboxMessage.status).in_(DUE_STATUSES))
        if message_ids is not None:
            query = query.where(col(OutboxMessage.id).in_(message_ids))
        return [i for i in session.exec(query.order_by(col(OutboxMessage.id))) if i is not None]


def _attachments(message: OutboxMessage) -> tuple[Attachment, ...]:
    if message.attachment is None:
        return ()
    return (Attachment(message.attachment_name, message.attachment_type, message.attachment),)


def _plan(
    message_ids: list[int],
    *,
    notifier: Notifier,
    max_attempts: int | None,
    report: DeliveryReport,
) -> tuple[list[Send], list[int]]:
    """Ensure one Delivery row per target of each message; return the sends still to do and
    the messages to settle afterwards. One transaction, no network I/O inside it."""
    log = _logger()
    sends: list[Send] = []
    to_settle: list[int] = []
    with session_scope() as session:
        messages = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids))
            .where(col(OutboxMessage.status).in_(DUE_STATUSES))  # else delivered meanwhile
            .order_by(col(OutboxMessage.id))
        ).all()
        existing: dict[int, dict[str, Delivery]] = {}
        for row in session.exec(
            select(Delivery)
            .where(col(Delivery.message_id).in_(message_ids))
            .order_by(col(Delivery.id))
        ):
            existing.setdefault(row.message_id, {})[row.target] = row
        planned: list[tuple[OutboxMessage, dict[str, Delivery]]] = []
        for message in messages:
            assert message.id is not None
            deliveries = existing.get(message.id, {})
            try:
                targets = resolve_targets(notifier, message.audience)
            except ValueError as exc:
                # Staged around stage_message's check: undeliverable, but must not block the sweep.
                targets, unusable = [], str(exc)
            else:
                unusable = ""
            for target in targets:
                if target not in deliveries:
                    deliveries[target] = Delivery(message_id=message.id, target=target)
                    session.add(deliveries[target])
            if not deliveries:
                message.status = "no_target"
                session.add(message)
                report.no_target += 1
                report.failures.append(
                    DeliveryFailure(
                        key=message.key,
                        target="",
                        error=unusable
                        or f"no target serves audience {message.audience!r} "
                        f"and none is tagged {FALLBACK_TAG!r}",
                    )
                )
                log.warning("outbox message %s: no target for its audience", message.id)
                continue
            planned.append((message, deliveries))
            to_settle.append(message.id)
        session.flush()  # ids for the new Delivery rows
        for message, deliveries in planned:
            assert message.id is not None
            attachments = _attachments(message)
            for delivery in deliveries.values():
                if delivery.status in SETTLED or delivery.id is None:
                    continue
                if max_attempts is not None and delivery.attempts >= max_attempts:
                    report.sends_skipped += 1
                    continue
                sends.append(
                    Send(
                        delivery_id=delivery.id,
                        key=message.key,
                        message_id=message.id,
                        target=delivery.target,
                        kind=message.kind,
                        title=message.title,
                        body=message.body,
                        body_format=message.body_format,
                        attachments=attachments,
                    )
                )
    return sends, to_settle


def _status(outcome: Outcome) -> str:
    if outcome.error is None:
        return "delivered"
    return "refused" if outcome.error.outcome == "refused" else "failed"


def _book(outcomes: list[Outcome], report: DeliveryReport) -> None:
    """Book a batch of sends' outcomes (Delivery state + one DeliveryAttempt each) in one
    transaction, as two multi-row statements (ORM objects per row cost more CPU than the sends
    they book)."""
    log = _logger()
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


def _alert_year(clock: Clock) -> int:
    return datetime.fromtimestamp(clock.time(), ZoneInfo(get_settings().timezone)).year


def _stage_alerts(alerts: list[Alert], *, clock: Clock, report: DeliveryReport) -> list[int]:
    """One message to the operator per newly held target and configuration (its key makes it
    once, even when two passes find the same refusal); return the ids staged."""
    staged: list[int] = []
    with session_scope() as session:
        for alert in alerts:
            _logger().error("notification target %s held: %s", alert.target, alert.reason)
            reason = alert.reason.removeprefix(f"{alert.target}: ")
            message = stage_message(
                session,
                flow="notify",
                year=_alert_year(clock),
                kind=f"config-alert-{alert.target}-{alert.fingerprint}",
                recipient=OPERATOR_TAG,
                audience=OPERATOR_TAG,
                title=f"【通知渠道暂停】{alert.target}",
                body=(
                    f"通知渠道“{alert.target}”拒收消息：\n{reason}\n"
                    "该渠道的设置（令牌、加签密钥、关键词或IP白名单）需要核对。"
                    "在此之前，发往该渠道的消息暂停发送，不再重试；"
                    "设置修改后自动恢复，也可由系统管理员手动恢复。"
                ),
            )
            report.config_alerts.append(alert.target)
            if message is not None and message.id is not None:
                staged.append(message.id)
    return staged


class _Lanes:
    """The settings one pass gives every lane."""

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


def _send_all(
    sends: list[Send], *, lanes_of: _Lanes, concurrency: int, report: DeliveryReport
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
    specs = {target: lanes_of.spec(target) for target in lanes}

    def lane(target: str) -> None:
        try:
            run_lane(
                lanes[target],
                notifier=lanes_of.notifier,
                spec=specs[target],
                pacer=lanes_of.pacer,
                max_wait=lanes_of.max_wait,
                public_url=lanes_of.public_url,
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
                    _book(batch, report)
        except BaseException:
            stop.set()  # leaving the pool waits for the sends in flight only
            raise
    if crash is not None:
        raise crash
    return alerts


def _settle(message_ids: list[int], report: DeliveryReport) -> None:
    """Set each message's status from all its deliveries, in one transaction: delivered when
    every target took it or refused it for good (and one took it), failed when one failed,
    pending while one waits untried, refused when every target refused it."""
    if not message_ids:
        return
    with session_scope() as session:
        statuses: dict[int, list[str]] = {}
        for message_id, status in session.exec(
            select(Delivery.message_id, Delivery.status).where(
                col(Delivery.message_id).in_(message_ids)
            )
        ):
            statuses.setdefault(message_id, []).append(status)
        now = utcnow()
        for message in session.exec(
            select(OutboxMessage).where(col(OutboxMessage.id).in_(message_ids))
        ):
            assert message.id is not None
            mine = statuses.get(message.id, [])
            if "failed" in mine:
                message.status = "failed"
                report.messages_failed += 1
            elif "pending" in mine:
                message.status = "pending"
                report.messages_waiting += 1
            elif "delivered" in mine:
                message.status = "delivered"
                message.delivered_at = now
                report.messages_delivered += 1
            else:
                message.status = "refused"
                report.messages_refused += 1
            session.add(message)


def undelivered_message_ids(*, flow: str, year: int) -> list[int]:
    """Messages of one process's year that are not yet delivered to every target."""
    with session_scope() as session:
        ids = session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.flow == flow,
                OutboxMessage.year == year,
                col(OutboxMessage.status).in_(["pending", "failed"]),
            )
        ).all()
        return [i for i in ids if i is not None]


def deliver_pending(
    *,
    notifier: Notifier | None = None,
    message_ids: list[int] | None = None,
    max_attempts: int | None = None,
    concurrency: int | None = None,
    clock: Clock | None = None,
    max_wait: float = PACE_MAX_WAIT,
) -> DeliveryReport:
    """Deliver every pending or failed outbox message (or only `message_ids`) to its targets.

    A target already delivered (or that refused the message for good) is never sent again; a
    failed one is retried, unless it has had `max_attempts` tries. Up to `concurrency` targets
    (default the setting `LD_DELIVERY_CONCURRENCY`) are sent to at once, each target's messages
    in order and paced (waits of up to `max_wait` seconds on `clock`). Messages go in chunks of
    `PLAN_CHUNK`: planned in one transaction, sent, their outcomes booked in batches, then
    settled in one transaction. Alerts of targets held in this pass are delivered in it too.
    """
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    concurrency = concurrency if concurrency is not None else get_settings().delivery_concurrency
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    notifier = notifier if notifier is not None else get_notifier()
    clock = clock or SystemClock()
    report = DeliveryReport()
    pacer = Pacer(clock, load_states())
    lanes_of = _Lanes(notifier=notifier, pacer=pacer, max_wait=max_wait)
    due = _due_message_ids(message_ids)
    if not allowed(due):
        report.messages_held = len(due)
        _logger().info("outbox: %d messages held back by the operator", len(due))
        return report
    try:
        while due:
            alerts: list[Alert] = []
            for start in range(0, len(due), PLAN_CHUNK):
                chunk = due[start : start + PLAN_CHUNK]
                sends, to_settle = _plan(
                    chunk, notifier=notifier, max_attempts=max_attempts, report=report
                )
                alerts += _send_all(
                    sends, lanes_of=lanes_of, concurrency=concurrency, report=report
                )
                _settle(to_settle, report)
            due = _stage_alerts(alerts, clock=clock, report=report) if alerts else []
    finally:
        save_states(pacer.changed())
    _logger().info(
        "outbox: %d messages delivered, %d failed, %d refused, %d waiting, %d without target; "
        "%d sends ok, %d failed, %d refused, %d skipped at max attempts, %d deferred, %d held",
        report.messages_delivered,
        report.messages_failed,
        report.messages_refused,
        report.messages_waiting,
        report.no_target,
        report.sends_ok,
        report.sends_failed,
        report.sends_refused,
        report.sends_skipped,
        report.sends_deferred,
        report.sends_held,
    )
    return report


def _retry_unless_config_error(
    _task: Task[..., Any], _task_run: TaskRun, state: State[Any]
) -> bool:
    """Retry the task unless the Apprise config itself is wrong (a retry cannot fix that)."""
    return not isinstance(state.result(raise_on_failure=False), NotifierConfigError)


@task(
    name="deliver-outbox",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_retry_unless_config_error,
)
def deliver_outbox_task(
    message_ids: list[int] | None = None, max_attempts: int | None = None
) -> DeliveryReport:
    """Prefect task: deliver pending and failed outbox messages (see `deliver_pending`)."""
    return deliver_pending(message_ids=message_ids, max_attempts=max_attempts)
