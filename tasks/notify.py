"""Notifications: stage messages in the outbox, deliver them per target through Apprise.

A decision and its messages are written in one transaction (`stage_message` adds to the
caller's session). Delivery is separate (`deliver_pending`): every message gets one `Delivery`
row per target serving its audience, each try is a `DeliveryAttempt`, and only targets not yet
delivered are tried again, so a sweeper can retry failures without sending anything twice
(except a send whose bookkeeping was lost in a crash: receivers must tolerate a duplicate).

Targets and audiences (Apprise 2.0.1 tags)
    Every entry of the Apprise YAML config carries exactly one tag that no other entry has: that
    tag is the target's name, used to send to it alone and stored on `Delivery.target`. Other
    tags are audience tags shared by several entries (``street-嘉兴路街道``, ``r2-office``).
    A message goes to every target tagged with its audience; when there is none, to the targets
    tagged ``fallback``; when there is none either, it gets status ``no_target`` and is reported.
    Apprise lower-cases tags, so audiences match case-insensitively. An audience tag may not
    contain ``:`` (Apprise reads ``street:2`` as "tag street, retry twice" and drops a config
    entry tagged so), white space or ``,;[]`` (tag separators), and may not be ``all`` or
    ``always`` (Apprise's match-everything tags). The loader refuses a config in which an entry
    is dropped by Apprise, has no tag of its own, has several (which one names it would be a
    guess), carries ``all``/``always``, is ``optional`` (Apprise reports its failures as
    success) or uses ``include:``; the error names the entry.

Secrets (verified in apprise/utils/template.py, apprise/config/base.py and apprise/apprise.py)
    Apprise does not substitute ``{{VAR}}`` or environment variables in URLs. A YAML config
    declares variables in a top-level ``template:`` section and writes them as ``${name}``
    anywhere after a URL's ``://`` or in an entry's settings (never in the schema or in tags)::

        version: 1
        template:
          - dingtalk_token          # no default: must come from the environment
        urls:
          - dingtalk://${dingtalk_token}/:
              tag: dingtalk-jiaxing, street-嘉兴路街道

    At send time each variable is resolved in this order: a value passed to ``notify(template=)``
    (we pass none), the default written in the ``template:`` section, then the environment
    variable ``APPRISE_TEMPLATE_<NAME>`` (upper case, e.g. ``APPRISE_TEMPLATE_DINGTALK_TOKEN``).
    A default beats the environment, so a secret is declared without one. An entry still
    missing a value is skipped by Apprise; `AppriseNotifier.send` turns that into a
    `DeliveryError` naming the missing variable (never a value), and the loader logs a warning
    for it at start. Caution: Apprise's own per-service result URL shows resolved values in URL
    paths, so this module never logs or stores it.

Default without an Apprise config
    A custom Apprise scheme ``ldoutbox://`` (registered with `apprise.decorators.notify` when
    this module is imported, before any config is loaded) appends one JSON line per message to
    `Settings.outbox_file` for a clerk to read. The default config is the single entry
    ``ldoutbox://local`` tagged ``local-outbox`` (its name) and ``fallback``, so every
    message reaches it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import apprise
import yaml
from apprise.decorators import notify as apprise_notify
from prefect import Task, task
from prefect.client.schemas.objects import State, TaskRun
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger
from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.settings import get_settings
from models.timeutil import utcnow

FALLBACK_TAG = "fallback"
LOCAL_OUTBOX_TAG = "local-outbox"
OUTBOX_SCHEME = "ldoutbox"
BODY_FORMATS = frozenset({"text", "markdown", "html"})
# Statuses deliver_pending works on; `delivered` and `no_target` are final.
DUE_STATUSES = ("pending", "failed")
# Tags Apprise gives a meaning of its own: "all" matches every entry, "always" is matched by
# every notify() call.
RESERVED_TAGS = frozenset({"all", "always"})
# ':' carries an Apprise priority or retry count; the rest separate tags in a tag string.
_TAG_FORBIDDEN = re.compile(r"[:\s,;\[\]]")
_ERROR_MAX = 1000

DEFAULT_APPRISE_CONFIG = f"""\
version: 1
urls:
  - {OUTBOX_SCHEME}://local:
      tag: {LOCAL_OUTBOX_TAG}, {FALLBACK_TAG}
"""


class DeliveryError(Exception):
    """A send to one target failed; the message says why (never a secret, never the body)."""


class NotifierConfigError(ValueError):
    """The Apprise config cannot be used as it is; the message names the entry."""


# --------------------------------------------------------------------------- the local outbox

_OUTBOX_LOCK = threading.Lock()


# Apprise's decorator module has no type annotations.
@apprise_notify(on=OUTBOX_SCHEME, name="learning-district local outbox")  # type: ignore[no-untyped-call,untyped-decorator]
def _write_local_outbox(
    body: str,
    title: str,
    _notify_type: str,
    *_args: Any,
    meta: dict[str, Any],
    body_format: str = "text",
    **_kwargs: Any,
) -> bool:
    """Append one message as a JSON line to the local outbox file (the `ldoutbox://` scheme)."""
    path = get_settings().outbox_file
    line = {
        "at": utcnow().isoformat(),
        "tags": sorted(str(tag) for tag in meta.get("tag", ())),
        "title": title,
        "body": body,
        # Apprise hands over its NotifyFormat enum, a str subclass; store the plain value.
        "body_format": str(getattr(body_format, "value", body_format)),
    }
    text = json.dumps(line, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Apprise may call this from its worker threads; one lock keeps lines whole.
    with _OUTBOX_LOCK, path.open("a", encoding="utf-8") as outbox:
        outbox.write(text)
    return True


# --------------------------------------------------------------------------- audiences, protocol


def check_audience(audience: str) -> str:
    """Return the audience tag in the lower case Apprise uses, or raise ValueError if unusable."""
    if not audience:
        raise ValueError("audience tag is empty")
    if ":" in audience:
        raise ValueError(
            f"audience tag {audience!r} contains ':'; Apprise reads 'name:2' as a retry count "
            f"(use {audience.replace(':', '-')!r})"
        )
    if _TAG_FORBIDDEN.search(audience):
        raise ValueError(
            f"audience tag {audience!r} contains white space or one of ',;[]', "
            "which Apprise reads as tag separators"
        )
    if audience.lower() in RESERVED_TAGS:
        raise ValueError(f"audience tag {audience!r} is reserved by Apprise (it matches everyone)")
    return audience.lower()


def _check_body_format(body_format: str) -> None:
    if body_format not in BODY_FORMATS:
        raise ValueError(f"body_format {body_format!r} is not one of {sorted(BODY_FORMATS)}")


class Notifier(Protocol):
    """The notification edge: which targets serve an audience, and one send to one target."""

    def targets(self, audience: str) -> list[str]:
        """Names of the targets tagged with `audience` (each once, config order)."""
        ...

    def send(self, target: str, *, title: str, body: str, body_format: str) -> None:
        """Send one message to one target; raise `DeliveryError` if it was not accepted."""
        ...


def resolve_targets(notifier: Notifier, audience: str) -> list[str]:
    """Targets for an audience: those tagged with it, else those tagged `fallback`, else none."""
    return notifier.targets(audience) or notifier.targets(FALLBACK_TAG)


# --------------------------------------------------------------------------- Apprise


class _Target(NamedTuple):
    name: str
    tags: frozenset[str]
    # Template variables this entry needs that have no default (filled from the environment).
    required_variables: tuple[str, ...]


@dataclass(frozen=True)
class _DeclaredEntry:
    entry: int
    item: int | None

    def label(self) -> str:
        return f"entry #{self.entry}" + (f", item #{self.item}" if self.item is not None else "")


def _declared_entries(document: Mapping[str, Any]) -> list[_DeclaredEntry]:
    """The services an Apprise YAML document declares, counted the way Apprise expands them."""
    urls = document.get("urls")
    if not isinstance(urls, list):
        return []
    declared: list[_DeclaredEntry] = []
    for number, item in enumerate(urls, start=1):
        settings = None
        if isinstance(item, dict):
            settings = next(
                (value for key, value in item.items() if isinstance(key, str) and "://" in key),
                None,
            )
        if isinstance(settings, list):
            # `- url: [ {...}, {...} ]` makes one service per list item.
            declared.extend(_DeclaredEntry(number, index) for index in range(1, len(settings) + 1))
        else:
            declared.append(_DeclaredEntry(number, None))
    return declared


def _is_optional(service: Any) -> bool:
    value = getattr(service, "optional", False)
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "y", "true", "on", "1"}
    return bool(value)


class AppriseNotifier:
    """Sends through Apprise, one target (one unique tag) at a time."""

    def __init__(self, config: Path | None = None) -> None:
        """Load and validate the Apprise YAML config file `config`; None: the local outbox."""
        source = apprise.AppriseConfig(asset=self._asset())
        if config is None:
            source.add_config(DEFAULT_APPRISE_CONFIG, format="yaml")
            self._load(DEFAULT_APPRISE_CONFIG, source, label="the default local-outbox config")
            return
        try:
            text = Path(config).read_text(encoding="utf-8")
        except OSError as exc:
            raise NotifierConfigError(f"cannot read Apprise config {config}: {exc}") from exc
        # A file source (not the text) so Apprise's debug log shows the path, not the content.
        source.add(str(config))
        self._load(text, source, label=str(config))

    @staticmethod
    def _asset() -> apprise.AppriseAsset:
        # Templates are on by default in 2.0.1; said explicitly because secrets depend on them.
        return apprise.AppriseAsset(allow_templates=True)

    def _load(self, text: str, source: apprise.AppriseConfig, *, label: str) -> None:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise NotifierConfigError(f"{label} is not valid YAML: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("urls"), list):
            raise NotifierConfigError(
                f"{label} is not an Apprise YAML config (a mapping with a 'urls:' list)"
            )
        if "include" in document:
            raise NotifierConfigError(
                f"{label} uses 'include:'; keep every target in this one file so it can be checked"
            )
        declared = _declared_entries(document)

        self._apprise = apprise.Apprise(asset=self._asset())
        self._apprise.add(source)
        # Apprise drops a bad entry with a log line only; capture it to explain the refusal.
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            services = list(self._apprise.find(match_always=False, resolve=False))
        if len(services) != len(declared):
            raise NotifierConfigError(
                f"{label}: Apprise loaded {len(services)} of {len(declared)} entries; "
                f"its warnings: {captured.getvalue().strip() or '(none)'}"
            )

        tag_sets = [frozenset(str(tag) for tag in service.tags) for service in services]
        targets: list[_Target] = []
        for index, (service, tags) in enumerate(zip(services, tag_sets, strict=True)):
            url = service.url(privacy=True)  # type: ignore[no-untyped-call]
            where = f"{label}, {declared[index].label()} ({url})"
            if not tags:
                raise NotifierConfigError(
                    f"{where} has no tag; give it a tag no other entry has (the target's name)"
                )
            bad = sorted(tags & RESERVED_TAGS) + sorted(t for t in tags if ":" in t)
            if bad:
                raise NotifierConfigError(f"{where} uses reserved or invalid tag(s) {bad}")
            if _is_optional(service):
                raise NotifierConfigError(
                    f"{where} is optional; Apprise would report its failures as success"
                )
            others = frozenset().union(*(t for i, t in enumerate(tag_sets) if i != index))
            own = sorted(tags - others - {FALLBACK_TAG})
            if not own:
                raise NotifierConfigError(
                    f"{where} has no tag of its own (its tags {sorted(tags)} are all shared "
                    "with other entries); add one no other entry has: it names the target"
                )
            if len(own) > 1:
                raise NotifierConfigError(
                    f"{where} has several tags no other entry has {own}; which one names the "
                    "target is ambiguous: keep exactly one (the name) and use the others on "
                    "more entries, or drop them"
                )
            required = tuple(
                service.template_required if isinstance(service, apprise.NotifyTemplate) else ()
            )
            targets.append(_Target(name=own[0], tags=tags, required_variables=required))
        self._targets = {target.name: target for target in targets}

        for target in targets:
            missing = self._missing_variables(target)
            if missing:
                logging.getLogger(__name__).warning(
                    "Apprise target %s cannot send until %s is set",
                    target.name,
                    ", ".join(missing),
                )

    @staticmethod
    def _missing_variables(target: _Target) -> list[str]:
        """Environment variables (names only) that this target still needs."""
        names = [f"APPRISE_TEMPLATE_{name.upper()}" for name in target.required_variables]
        return [name for name in names if not os.environ.get(name, "").strip()]

    @property
    def names(self) -> list[str]:
        """Every target name, in config order."""
        return list(self._targets)

    def targets(self, audience: str) -> list[str]:
        tag = check_audience(audience)
        return [name for name, target in self._targets.items() if tag in target.tags]

    def send(self, target: str, *, title: str, body: str, body_format: str) -> None:
        _check_body_format(body_format)
        known = self._targets.get(target)
        if known is None:
            raise DeliveryError(f"target {target!r} is not in the Apprise config")
        # tag= selects exactly this entry (its name is unique); match_always=False keeps
        # Apprise from adding entries tagged "always". Never call notify() without a tag:
        # that sends to every entry.
        with self._apprise.notify(
            body=body,
            title=title,
            body_format=body_format,
            tag=known.name,
            match_always=False,
        ) as result:
            if result and len(result) == 1:
                return
            reasons = [f"{service.name} {service.status.name.lower()}" for service in result]
            # Only Apprise's log messages, never `service.url`: it can show template values.
            reasons += [
                entry.message
                for entry in result.logs()
                if entry.level in {"WARNING", "ERROR", "CRITICAL"}
            ]
            missing = self._missing_variables(known)
            if missing:
                reasons.append(f"not set: {', '.join(missing)}")
            if not reasons:
                reasons.append(f"Apprise status {result.status.name.lower()}")
        raise DeliveryError(f"{target}: {'; '.join(reasons)}"[:_ERROR_MAX])


class RecordingNotifier:
    """An in-memory notifier for unit tests: records sends, fails on request."""

    @dataclass(frozen=True)
    class Sent:
        target: str
        title: str
        body: str
        body_format: str

    def __init__(
        self,
        routes: Mapping[str, Iterable[str]],
        *,
        failures: Mapping[str, int] | None = None,
    ) -> None:
        """`routes` maps each target name to its audience tags; `failures` target → times."""
        self._routes = {name: {tag.lower() for tag in tags} for name, tags in routes.items()}
        self._failures = dict(failures or {})
        self.sent: list[RecordingNotifier.Sent] = []

    def fail(self, target: str, times: int = 1) -> None:
        """Make the next `times` sends to `target` fail."""
        self._failures[target] = times

    def targets(self, audience: str) -> list[str]:
        tag = check_audience(audience)
        return [name for name, tags in self._routes.items() if tag in tags]

    def send(self, target: str, *, title: str, body: str, body_format: str) -> None:
        _check_body_format(body_format)
        if target not in self._routes:
            raise DeliveryError(f"target {target!r} is not configured")
        if self._failures.get(target, 0) > 0:
            self._failures[target] -= 1
            raise DeliveryError(f"{target}: failing as told")
        self.sent.append(RecordingNotifier.Sent(target, title, body, body_format))


def get_notifier() -> Notifier:
    """The notifier of this process: Apprise with `LD_APPRISE_CONFIG`, else the local outbox."""
    return AppriseNotifier(get_settings().apprise_config)


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
) -> OutboxMessage | None:
    """Add a message to the outbox in the caller's transaction; None if its key already exists.

    Nothing is committed here: the message must stand or fall with the decision that causes it.
    The unique key on the table is the final guard against a concurrent duplicate.
    """
    check_audience(audience)
    _check_body_format(body_format)
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


class DeliveryReport(BaseModel):
    """What one delivery pass did."""

    messages_delivered: int = 0
    messages_failed: int = 0
    no_target: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    # Undelivered targets not tried because they reached `max_attempts`.
    sends_skipped: int = 0
    failures: list[DeliveryFailure] = []


class _Send(NamedTuple):
    delivery_id: int
    target: str


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


def _record_attempt(delivery_id: int, *, error: str | None) -> None:
    """Book one try of one delivery in its own short transaction."""
    with session_scope() as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            raise LookupError(f"delivery {delivery_id} vanished")
        delivery.attempts += 1
        delivery.status = "delivered" if error is None else "failed"
        delivery.last_error = error or ""
        delivery.updated_at = utcnow()
        session.add(delivery)
        session.add(DeliveryAttempt(delivery_id=delivery_id, ok=error is None, error=error or ""))


def _deliver_message(
    message_id: int,
    *,
    notifier: Notifier,
    max_attempts: int | None,
    report: DeliveryReport,
) -> None:
    """Deliver one message to every target not yet delivered, booking each try."""
    log = _logger()
    # 1. Plan: ensure one Delivery row per target, pick those still to send. No network I/O
    #    inside a transaction, so SQLite's write lock is never held across a send.
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.status not in DUE_STATUSES:
            return  # delivered meanwhile by another run
        deliveries = {
            d.target: d
            for d in session.exec(select(Delivery).where(Delivery.message_id == message_id))
        }
        try:
            targets = resolve_targets(notifier, message.audience)
        except ValueError as exc:
            # Staged around stage_message's check: undeliverable, but must not block the sweep.
            targets, unusable = [], str(exc)
        else:
            unusable = ""
        for target in targets:
            if target not in deliveries:
                deliveries[target] = Delivery(message_id=message_id, target=target)
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
            log.warning("outbox message %s: no target for its audience", message_id)
            return
        session.flush()
        sends: list[_Send] = []
        for delivery in deliveries.values():
            if delivery.status == "delivered" or delivery.id is None:
                continue
            if max_attempts is not None and delivery.attempts >= max_attempts:
                report.sends_skipped += 1
                continue
            sends.append(_Send(delivery.id, delivery.target))
        key, title, body = message.key, message.title, message.body
        body_format = message.body_format

    # 2. Send, booking each try at once: a crash loses at most one send's bookkeeping.
    for send in sends:
        try:
            notifier.send(send.target, title=title, body=body, body_format=body_format)
        except DeliveryError as exc:
            error = str(exc)[:_ERROR_MAX]
            _record_attempt(send.delivery_id, error=error)
            report.sends_failed += 1
            report.failures.append(DeliveryFailure(key=key, target=send.target, error=error))
            log.warning("outbox message %s to %s failed: %s", message_id, send.target, error)
        else:
            _record_attempt(send.delivery_id, error=None)
            report.sends_ok += 1

    # 3. Settle the message from all its deliveries.
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            raise LookupError(f"outbox message {message_id} vanished")
        statuses = session.exec(
            select(Delivery.status).where(Delivery.message_id == message_id)
        ).all()
        if all(status == "delivered" for status in statuses):
            message.status = "delivered"
            message.delivered_at = utcnow()
            report.messages_delivered += 1
        else:
            message.status = "failed"
            report.messages_failed += 1
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
) -> DeliveryReport:
    """Deliver every pending or failed outbox message (or only `message_ids`) to its targets.

    A target already delivered is never sent again; a failed one is retried, unless it has
    had `max_attempts` tries. Each message is booked in its own short transactions.
    """
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    notifier = notifier if notifier is not None else get_notifier()
    report = DeliveryReport()
    for message_id in _due_message_ids(message_ids):
        _deliver_message(message_id, notifier=notifier, max_attempts=max_attempts, report=report)
    _logger().info(
        "outbox: %d messages delivered, %d failed, %d without target; "
        "%d sends ok, %d failed, %d skipped at max attempts",
        report.messages_delivered,
        report.messages_failed,
        report.no_target,
        report.sends_ok,
        report.sends_failed,
        report.sends_skipped,
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
