"""Notifications: deliver the messages of the outbox per target, truthfully and paced.

A decision and its messages are written in one transaction (tasks/notify/staging.py adds a
message to the caller's session). Delivery is separate (`deliver_pending`): every message gets
one `Delivery` row per target serving its audience, each try is a `DeliveryAttempt`, and only
targets not yet delivered are tried again, so a sweeper can retry failures without sending
anything twice (except a send whose bookkeeping was lost in a crash: receivers must tolerate a
duplicate).

Delivery is concurrent across targets and sequential within one: up to
`LD_DELIVERY_CONCURRENCY` (64) targets are sent to at once, each on a thread of our own pool,
while one target's messages go out one at a time in message order (tasks/notify/lanes.py).
Only the calling thread writes to the database: outcomes are booked in batches
(tasks/notify/booking.py), so a crash loses at most the bookkeeping of the sends in flight and
of those not yet booked, which the next pass sends again. The outbox key keeps the logical
message single.

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

import re
from datetime import UTC, datetime
from typing import Any

from prefect import Task, task
from prefect.client.schemas.objects import State, TaskRun
from sqlmodel import col, select

from models.db import session_scope
from models.outbox import Delivery, OutboxMessage
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.common import clock as district_clock
from tasks.notify.adapter import get_notifier
from tasks.notify.booking import DeliveryFailure, DeliveryReport, LaneSetup, logger, send_all
from tasks.notify.consent import allowed
from tasks.notify.lanes import Alert
from tasks.notify.pacing import Clock, Pacer, SystemClock
from tasks.notify.protocol import (
    FALLBACK_TAG,
    OPERATOR_TAG,
    Attachment,
    Notifier,
    NotifierConfigError,
    Send,
    resolve_targets,
)
from tasks.notify.staging import stage_message
from tasks.notify.targets import load_states, save_states

# Statuses deliver_pending works on; `delivered`, `no_target` and `refused` are final.
DUE_STATUSES = ("pending", "failed")
# Delivery statuses never sent again.
SETTLED = ("delivered", "refused")
_VENDOR_CODE = re.compile(r"（(错误码 |HTTP )[^）]*）")
# The longest a lane waits for a target's rate limit or throttling window; beyond it the sends
# stay for the next pass (the sweeper runs every 10 minutes).
PACE_MAX_WAIT = 120.0


# --------------------------------------------------------------------------- delivery


# Messages planned, sent and settled together: bounds memory and the work one pass holds.
PLAN_CHUNK = 1000


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
    log = logger()
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


def _alert_year(clock: Clock) -> int:
    return district_clock.local_date(datetime.fromtimestamp(clock.time(), UTC)).year


def _stage_alerts(alerts: list[Alert], *, clock: Clock, report: DeliveryReport) -> list[int]:
    """One message to the operator per newly held target and configuration (its key makes it
    once, even when two passes find the same refusal); return the ids staged."""
    staged: list[int] = []
    with session_scope() as session:
        for alert in alerts:
            logger().error("notification target %s held: %s", alert.target, alert.reason)
            # The vendor's code stays in the delivery record; the message says it in words.
            reason = _VENDOR_CODE.sub("", alert.reason.removeprefix(f"{alert.target}: "))
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
    setup = LaneSetup(notifier=notifier, pacer=pacer, max_wait=max_wait)
    due = _due_message_ids(message_ids)
    if not allowed(due):
        report.messages_held = len(due)
        logger().info("outbox: %d messages held back by the operator", len(due))
        return report
    try:
        while due:
            alerts: list[Alert] = []
            for start in range(0, len(due), PLAN_CHUNK):
                chunk = due[start : start + PLAN_CHUNK]
                sends, to_settle = _plan(
                    chunk, notifier=notifier, max_attempts=max_attempts, report=report
                )
                alerts += send_all(sends, setup=setup, concurrency=concurrency, report=report)
                _settle(to_settle, report)
            due = _stage_alerts(alerts, clock=clock, report=report) if alerts else []
    finally:
        save_states(pacer.changed())
    logger().info(
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
