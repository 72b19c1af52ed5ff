"""Notifications: stage messages in the outbox, deliver them per target through Apprise.

A decision and its messages are written in one transaction (`stage_message` adds to the
caller's session). Delivery is separate (`deliver_pending`): every message gets one `Delivery`
row per target serving its audience, each try is a `DeliveryAttempt`, and only targets not yet
delivered are tried again, so a sweeper can retry failures without sending anything twice
(except a send whose bookkeeping was lost in a crash: receivers must tolerate a duplicate).

Delivery is concurrent across targets and sequential within one: up to
`LD_DELIVERY_CONCURRENCY` (64) targets are sent to at once, each on a thread of our own pool,
while one target's messages go out one at a time in message order (Apprise throttles some
plugins per target; vendors rate-limit per robot). Only the calling thread writes to the
database: outcomes are booked in batches of up to `BOOK_BATCH`, so a crash loses at most the
bookkeeping of the sends in flight and of those not yet booked, which the next pass sends
again. The outbox key keeps the logical message single either way.

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
import queue
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import apprise
import yaml
from apprise.decorators import notify as apprise_notify
from apprise.exception import AppriseTemplateError
from apprise.utils.template import resolve_values
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
from tasks.common.redaction import guard_logs, service_secrets
from tasks.notify.consent import allowed

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
        """Send one message to one target; raise `DeliveryError` if it was not accepted.

        Called from several threads at once, but never twice at once for the same target.
        """
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
        self._asset = self._make_asset()
        source = apprise.AppriseConfig(asset=self._asset)
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
    def _make_asset() -> apprise.AppriseAsset:
        # Templates are on by default in 2.0.1; said explicitly because secrets depend on them.
        # service_timeout=0 runs each send in the calling thread. With a service timeout Apprise
        # hands every send to its one shared pool (min(32, cores + 4) threads: 6 on 2 cores),
        # which capped concurrent delivery at ~110 msg/s to a 50 ms receiver. A send is still
        # bounded by its plugin's socket timeouts (4 s connect, 4 s read; `cto=`/`rto=` in the
        # URL).
        return apprise.AppriseAsset(allow_templates=True, service_timeout=0)

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

        loaded = apprise.Apprise(asset=self._asset)
        loaded.add(source)
        # Apprise drops a bad entry with a log line only; capture it to explain the refusal.
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            services = list(loaded.find(match_always=False, resolve=False))
        if len(services) != len(declared):
            raise NotifierConfigError(
                f"{label}: Apprise loaded {len(services)} of {len(declared)} entries; "
                f"its warnings: {captured.getvalue().strip() or '(none)'}"
            )

        tag_sets = [frozenset(str(tag) for tag in service.tags) for service in services]
        # How many entries carry each tag: a tag counted once belongs to one entry alone.
        tag_uses = Counter(tag for tags in tag_sets for tag in tags)
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
            own = sorted(tag for tag in tags - {FALLBACK_TAG} if tag_uses[tag] == 1)
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
        # Apprise and urllib3 print request URLs at DEBUG: keep these services' secrets out.
        guard_logs(service_secrets(services))
        self._by_tag: dict[str, list[str]] = {}
        for target in targets:
            for tag in target.tags:
                self._by_tag.setdefault(tag, []).append(target.name)
        # Each target's service alone, so a send never scans the whole config (Apprise's tag
        # matching visits every entry: ~10 ms per send with 1,000 entries).
        self._services: dict[str, Any] = {
            target.name: service for target, service in zip(targets, services, strict=True)
        }
        self._senders = {
            name: self._sender_of(service)
            for name, service in self._services.items()
            if not isinstance(service, apprise.NotifyTemplate)
        }

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
        return list(self._by_tag.get(check_audience(audience), []))

    def _sender_of(self, service: Any) -> apprise.Apprise:
        sender = apprise.Apprise(asset=self._asset)
        sender.add(service)
        return sender

    def _sender(self, target: _Target) -> apprise.Apprise:
        """An Apprise holding this target's service alone, template values filled in."""
        sender = self._senders.get(target.name)
        if sender is not None:
            return sender
        template: apprise.NotifyTemplate = self._services[target.name]
        # Filled at every send, as Apprise does, so a secret set later is picked up.
        try:
            values = resolve_values(template.template_schema, names=template.names)
        except AppriseTemplateError:
            missing = self._missing_variables(target)
            raise DeliveryError(
                f"{target.name}: a template variable has no usable value"
                + (f"; not set: {', '.join(missing)}" if missing else "")
            ) from None
        service = template.resolve(values)
        if service is None:
            raise DeliveryError(
                f"{target.name}: Apprise could not build the service from its template values"
            )
        return self._sender_of(service)

    def send(self, target: str, *, title: str, body: str, body_format: str) -> None:
        _check_body_format(body_format)
        known = self._targets.get(target)
        if known is None:
            raise DeliveryError(f"target {target!r} is not in the Apprise config")
        # The sender holds this one entry; tag= still names it and match_always=False keeps
        # Apprise from adding entries tagged "always". Never call notify() without a tag on
        # an Apprise holding several entries: that sends to every entry.
        with self._sender(known).notify(
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
    # Messages left pending because the operator said not to send them now (consent gate).
    messages_held: int = 0
    failures: list[DeliveryFailure] = []


class _Send(NamedTuple):
    """One send to do: a message to one target, with what is needed to book its outcome."""

    delivery_id: int
    key: str
    message_id: int
    target: str
    title: str
    body: str
    body_format: str


class _Outcome(NamedTuple):
    send: _Send
    error: str | None  # None: delivered


# Messages planned, sent and settled together: bounds memory and the work one pass holds.
PLAN_CHUNK = 1000
# Outcomes booked in one transaction: whatever finished while the last one committed, at most
# this many. A slow receiver thus gets each outcome booked at once, as before.
BOOK_BATCH = 200
_LANE_DONE = object()
_DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]  # set by SQLModel
_BOOK_DELIVERY = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("b_id"))
    .values(
        attempts=_DELIVERIES.c.attempts + 1,
        status=bindparam("b_status"),
        last_error=bindparam("b_error"),
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


def _plan(
    message_ids: Sequence[int],
    *,
    notifier: Notifier,
    max_attempts: int | None,
    report: DeliveryReport,
) -> tuple[list[_Send], list[int]]:
    """Ensure one Delivery row per target of each message; return the sends still to do and
    the messages to settle afterwards. One transaction, no network I/O inside it."""
    log = _logger()
    sends: list[_Send] = []
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
            for delivery in deliveries.values():
                if delivery.status == "delivered" or delivery.id is None:
                    continue
                if max_attempts is not None and delivery.attempts >= max_attempts:
                    report.sends_skipped += 1
                    continue
                sends.append(
                    _Send(
                        delivery_id=delivery.id,
                        key=message.key,
                        message_id=message.id,
                        target=delivery.target,
                        title=message.title,
                        body=message.body,
                        body_format=message.body_format,
                    )
                )
    return sends, to_settle


def _book(outcomes: list[_Outcome], report: DeliveryReport) -> None:
    """Book a batch of sends' outcomes (Delivery state + one DeliveryAttempt each) in one
    transaction, as two multi-row statements (ORM objects per row cost more CPU than the sends
    they book)."""
    log = _logger()
    now = utcnow()
    with session_scope() as session:
        connection = session.connection()
        connection.execute(
            _BOOK_DELIVERY,
            [
                {
                    "b_id": send.delivery_id,
                    "b_status": "delivered" if error is None else "failed",
                    "b_error": error or "",
                    "b_at": now,
                }
                for send, error in outcomes
            ],
        )
        # A delivery id that vanished fails here, on the foreign key, and nothing is booked.
        connection.execute(
            insert(DeliveryAttempt),
            [
                {
                    "delivery_id": send.delivery_id,
                    "ok": error is None,
                    "error": error or "",
                    "at": now,
                }
                for send, error in outcomes
            ],
        )
    for send, error in outcomes:
        if error is None:
            report.sends_ok += 1
            continue
        report.sends_failed += 1
        report.failures.append(DeliveryFailure(key=send.key, target=send.target, error=error))
        log.warning("outbox message %s to %s failed: %s", send.message_id, send.target, error)


def _send_all(
    sends: list[_Send], *, notifier: Notifier, concurrency: int, report: DeliveryReport
) -> None:
    """Send concurrently, one lane per target, booking outcomes in batches on this thread.

    A target's sends go out one at a time in message order (Apprise throttles some plugins per
    target, vendors rate-limit per robot, and a reader expects a move after its invitation);
    up to `concurrency` targets are served at once, each lane on a thread of our own pool.
    Only this thread touches the database. Should booking or a send raise anything but
    `DeliveryError`, no new send starts, the sends in flight finish and are booked, and the
    error is raised.
    """
    lanes: dict[str, list[_Send]] = {}
    for send in sends:
        lanes.setdefault(send.target, []).append(send)
    if not lanes:
        return
    outcomes: queue.SimpleQueue[_Outcome | BaseException | object] = queue.SimpleQueue()
    stop = threading.Event()

    def run_lane(lane: list[_Send]) -> None:
        try:
            for send in lane:
                if stop.is_set():
                    return
                try:
                    notifier.send(
                        send.target, title=send.title, body=send.body, body_format=send.body_format
                    )
                except DeliveryError as exc:
                    outcomes.put(_Outcome(send, str(exc)[:_ERROR_MAX]))
                else:
                    outcomes.put(_Outcome(send, None))
        except BaseException as exc:  # handed to the booking thread, which raises it
            stop.set()
            outcomes.put(exc)
        finally:
            outcomes.put(_LANE_DONE)

    crash: BaseException | None = None
    open_lanes = len(lanes)
    workers = min(concurrency, len(lanes))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ld-deliver") as pool:
        try:
            for lane in lanes.values():
                pool.submit(run_lane, lane)
            while open_lanes:
                # Wait for one outcome, then take whatever else is ready (group commit).
                items = [outcomes.get()]
                while len(items) < BOOK_BATCH:
                    try:
                        items.append(outcomes.get_nowait())
                    except queue.Empty:
                        break
                batch: list[_Outcome] = []
                for item in items:
                    if item is _LANE_DONE:
                        open_lanes -= 1
                    elif isinstance(item, _Outcome):
                        batch.append(item)
                    elif isinstance(item, BaseException):
                        crash = crash or item
                if batch:
                    _book(batch, report)
        except BaseException:
            stop.set()  # leaving the pool waits for the sends in flight only
            raise
    if crash is not None:
        raise crash


def _settle(message_ids: list[int], report: DeliveryReport) -> None:
    """Set each message's status from all its deliveries, in one transaction."""
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
            if all(status == "delivered" for status in statuses.get(message.id, [])):
                message.status = "delivered"
                message.delivered_at = now
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
    concurrency: int | None = None,
) -> DeliveryReport:
    """Deliver every pending or failed outbox message (or only `message_ids`) to its targets.

    A target already delivered is never sent again; a failed one is retried, unless it has
    had `max_attempts` tries. Up to `concurrency` targets (default the setting
    `LD_DELIVERY_CONCURRENCY`) are sent to at once, each target's messages in order. Messages
    go in chunks of `PLAN_CHUNK`: planned in one transaction, sent, their outcomes booked in
    batches, then settled in one transaction; a crash loses at most the bookkeeping of the
    sends in flight and of those not yet booked, which the next pass sends again.
    """
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    concurrency = concurrency if concurrency is not None else get_settings().delivery_concurrency
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    notifier = notifier if notifier is not None else get_notifier()
    report = DeliveryReport()
    due = _due_message_ids(message_ids)
    if not allowed(due):
        report.messages_held = len(due)
        _logger().info("outbox: %d messages held back by the operator", len(due))
        return report
    for start in range(0, len(due), PLAN_CHUNK):
        sends, to_settle = _plan(
            due[start : start + PLAN_CHUNK],
            notifier=notifier,
            max_attempts=max_attempts,
            report=report,
        )
        _send_all(sends, notifier=notifier, concurrency=concurrency, report=report)
        _settle(to_settle, report)
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
