"""The Apprise edge: load and check the Apprise YAML config, send one message to one target.

Each entry of the config is a target (its one tag of its own is its name, see
tasks/notify/protocol.py); the loader refuses a config in which an entry is dropped by Apprise,
has no tag of its own, has several (which one names it would be a guess), carries
``all``/``always``, is ``optional`` (Apprise reports its failures as success) or uses
``include:``; the error names the entry. It also reads each entry's pacing settings (rate
limits, digest, length; tasks/notify/channels.py) into the target's `ChannelSpec`.

Secrets (verified in apprise/utils/template.py, apprise/config/base.py and apprise/apprise.py)
    Apprise does not substitute ``{{VAR}}`` or environment variables in URLs. A YAML config
    declares variables in a top-level ``template:`` section and writes them as ``${name}``
    anywhere after a URL's ``://`` or in an entry's settings (never in the schema or in tags)::

        version: 1
        template:
          - dingtalk_token          # no default: must come from the environment
        urls:
          - lddingtalk://oapi.dingtalk.com:
              token: ${dingtalk_token}
              tag: street-嘉兴路街道

    At send time each variable is resolved in this order: a value passed to ``notify(template=)``
    (we pass none), the default written in the ``template:`` section, then the environment
    variable ``APPRISE_TEMPLATE_<NAME>`` (upper case, e.g. ``APPRISE_TEMPLATE_DINGTALK_TOKEN``).
    A default beats the environment, so a secret is declared without one. An entry still
    missing a value is skipped by Apprise; `AppriseNotifier.send` turns that into a
    `DeliveryError` naming the missing variable (never a value), and the loader logs a warning
    for it at start. Caution: Apprise's own per-service result URL shows resolved values in URL
    paths, so this module never logs or stores it.

Without an Apprise config every message goes to the local outbox (tasks/notify/local_outbox.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Unpack

import apprise
import yaml
from apprise.attachment.memory import AttachMemory
from apprise.exception import AppriseImproperlyConfigured, AppriseTemplateError
from apprise.utils.template import resolve_values

from models.db import session_scope
from models.profile.notifications import NotificationPolicy
from models.settings import get_settings
from tasks.common.district import active_profile
from tasks.common.redaction import guard_logs, service_secrets
from tasks.notify.channels import SCHEMES, SECRET_SETTINGS, ChannelCall, channel_call, channel_spec
from tasks.notify.local_outbox import DEFAULT_APPRISE_CONFIG
from tasks.notify.pacing import Clock, SystemClock
from tasks.notify.protocol import (
    FALLBACK_TAG,
    RESERVED_TAGS,
    Attachment,
    ChannelSpec,
    DeliveryError,
    Notifier,
    NotifierConfigError,
    Outgoing,
    check_audience,
    check_body_format,
)

_ERROR_MAX = 1000


# --------------------------------------------------------------------------- Apprise


class _Target(NamedTuple):
    name: str
    tags: frozenset[str]
    # Template variables this entry needs that have no default (filled from the environment).
    required_variables: tuple[str, ...]
    scheme: str
    # The entry as written (URL and settings, template variables unresolved): the pacing
    # settings, and the part of the configuration fingerprint that is not a template value.
    settings: Mapping[str, Any]
    written: str


@dataclass(frozen=True)
class _DeclaredEntry:
    entry: int
    item: int | None
    url: str
    settings: Mapping[str, Any]

    def label(self) -> str:
        return f"entry #{self.entry}" + (f", item #{self.item}" if self.item is not None else "")


def _declared_entries(document: Mapping[str, Any]) -> list[_DeclaredEntry]:
    """The services an Apprise YAML document declares, counted the way Apprise expands them."""
    urls = document.get("urls")
    if not isinstance(urls, list):
        return []
    declared: list[_DeclaredEntry] = []
    for number, item in enumerate(urls, start=1):
        url, settings = (item, None) if isinstance(item, str) else ("", None)
        if isinstance(item, dict):
            url, settings = next(
                (
                    (key, value)
                    for key, value in item.items()
                    if isinstance(key, str) and "://" in key
                ),
                ("", None),
            )
        if isinstance(settings, list):
            # `- url: [ {...}, {...} ]` makes one service per list item.
            declared.extend(
                _DeclaredEntry(number, index, url, each if isinstance(each, dict) else {})
                for index, each in enumerate(settings, start=1)
            )
        else:
            declared.append(
                _DeclaredEntry(number, None, url, settings if isinstance(settings, dict) else {})
            )
    return declared


def _is_optional(service: Any) -> bool:
    value = getattr(service, "optional", False)
    if isinstance(value, str):
        return value.strip().lower() in {"yes", "y", "true", "on", "1"}
    return bool(value)


class AppriseNotifier:
    """Sends through Apprise, one target (one unique tag) at a time."""

    def __init__(
        self,
        config: Path | None = None,
        *,
        policy: NotificationPolicy | None = None,
        public_url: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Load and validate the Apprise YAML config file `config`; None: the local outbox.

        `policy` maps message kinds to SMS templates, `public_url` is the portal's address (an
        SMS link variable falls back to it), `clock` dates the vendors' signatures.
        """
        self._policy = policy or NotificationPolicy()
        self._public_url = public_url
        self._clock = clock or SystemClock()
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
            entry = declared[index]
            scheme = entry.url.partition("://")[0].strip().lower()
            target = _Target(
                name=own[0],
                tags=tags,
                required_variables=required,
                scheme=scheme,
                settings=entry.settings,
                written=json.dumps([entry.url, entry.settings], sort_keys=True, default=str),
            )
            try:
                channel_spec(scheme, target.settings, fingerprint="")
            except ValueError as exc:
                raise NotifierConfigError(f"{where}: {exc}") from None
            targets.append(target)
        self._targets = {target.name: target for target in targets}
        # Apprise and urllib3 print request URLs at DEBUG: keep these services' secrets out.
        guard_logs(service_secrets(services) | _written_secrets(targets))
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

    def spec(self, target: str) -> ChannelSpec:
        known = self._targets.get(target)
        if known is None:
            return ChannelSpec()
        return channel_spec(known.scheme, known.settings, fingerprint=self._fingerprint(known))

    def _fingerprint(self, target: _Target) -> str:
        """Changes when the entry or one of its template values does (a value is never kept:
        only 16 hex digits of a hash over all of them)."""
        values: Mapping[str, Any] = {}
        service = self._services[target.name]
        if isinstance(service, apprise.NotifyTemplate):
            try:
                values = resolve_values(service.template_schema, names=service.names)
            except AppriseTemplateError:
                values = {"": "missing"}
        text = json.dumps([target.written, values], sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

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

    @staticmethod
    def _attach(target: str, attachments: Sequence[Attachment]) -> apprise.AppriseAttachment:
        try:
            # Apprise's attachment classes have no type annotations.
            return apprise.AppriseAttachment(
                [
                    AttachMemory(content=a.content, name=a.name, mimetype=a.mimetype)  # type: ignore[no-untyped-call]
                    for a in attachments
                ]
            )
        except AppriseImproperlyConfigured as exc:
            raise DeliveryError(f"{target}: 附件无法发送（{exc}）", outcome="refused") from None

    def send(self, target: str, **message: Unpack[Outgoing]) -> None:
        body_format, attachments = message["body_format"], message.get("attachments", ())
        check_body_format(body_format)
        known = self._targets.get(target)
        if known is None:
            raise DeliveryError(f"target {target!r} is not in the Apprise config")
        attach = self._attach(target, attachments) if attachments else None
        call = ChannelCall(
            kind=message.get("kind", ""),
            clock=self._clock,
            policy=self._policy,
            public_url=self._public_url,
        )
        # The sender holds this one entry; tag= still names it and match_always=False keeps
        # Apprise from adding entries tagged "always". Never call notify() without a tag on
        # an Apprise holding several entries: that sends to every entry.
        with (
            channel_call(call),
            self._sender(known).notify(
                body=message["body"],
                title=message["title"],
                body_format=body_format,
                tag=known.name,
                match_always=False,
                attach=attach,
            ) as result,
        ):
            answer = call.answer
            if answer is not None and not answer.ok:
                # A vendor scheme of ours read the vendor's answer: its reason is the record.
                raise DeliveryError(
                    f"{target}: {answer.reason}"[:_ERROR_MAX],
                    outcome=answer.outcome or "failed",
                    code=answer.code,
                    retry_after=answer.retry_after,
                )
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


def _written_secrets(targets: Sequence[_Target]) -> set[str]:
    """Secrets written into the settings of our vendor schemes (not as template variables)."""
    return {
        str(target.settings[key])
        for target in targets
        if target.scheme in SCHEMES
        for key in SECRET_SETTINGS
        if target.settings.get(key) and "${" not in str(target.settings[key])
    }


def get_notifier() -> Notifier:
    """The notifier of this process: Apprise with `LD_APPRISE_CONFIG`, else the local outbox;
    SMS templates from the profile in force, links to the portal (`LD_PUBLIC_URL`)."""
    settings = get_settings()
    with session_scope() as session:
        policy = active_profile(session).notifications
    return AppriseNotifier(
        settings.apprise_config, policy=policy, public_url=settings.configured_public_url
    )
