"""The notification edge as the delivery engine sees it: targets, audiences, one send, its outcome.

Targets and audiences (Apprise 2.0.1 tags)
    Every entry of the Apprise YAML config carries exactly one tag that no other entry has: that
    tag is the target's name, used to send to it alone and stored on `Delivery.target`. Other
    tags are audience tags shared by several entries (``street-嘉兴路街道``, ``r2-office``).
    A message goes to every target tagged with its audience; when there is none, to the targets
    tagged ``fallback``; when there is none either, it gets status ``no_target`` and is reported.
    Apprise lower-cases tags, so audiences match case-insensitively. An audience tag may not
    contain ``:`` (Apprise reads ``street:2`` as "tag street, retry twice" and drops a config
    entry tagged so), white space or ``,;[]`` (tag separators), and may not be ``all`` or
    ``always`` (Apprise's match-everything tags).

Outcomes of a send
    A send returns (delivered) or raises `DeliveryError`, whose `outcome` says what a retry
    means: ``failed`` (try again on the next pass), ``throttled`` (the vendor is limiting this
    target: try again after `retry_after` seconds), ``config`` (the target itself is wrong: a bad
    token, signature, keyword or IP; no retry until its configuration changes or an operator
    resumes it) or ``refused`` (this message cannot go through this channel as it is: content
    refused by the vendor, or no approved SMS template for its kind; never retried).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, NotRequired, Protocol, TypedDict, Unpack

FALLBACK_TAG = "fallback"
# Configuration alerts (a target that refuses our credentials) go to targets tagged so, else
# to the fallback targets.
OPERATOR_TAG = "operator"
BODY_FORMATS = frozenset({"text", "markdown", "html"})
# Tags Apprise gives a meaning of its own: "all" matches every entry, "always" is matched by
# every notify() call.
RESERVED_TAGS = frozenset({"all", "always"})
# ':' carries an Apprise priority or retry count; the rest separate tags in a tag string.
_TAG_FORBIDDEN = re.compile(r"[:\s,;\[\]]")

Outcome = Literal["failed", "throttled", "config", "refused"]


class DeliveryError(Exception):
    """A send to one target was not accepted; the message says why (never a secret)."""

    def __init__(
        self,
        message: str,
        *,
        outcome: Outcome = "failed",
        code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.outcome: Outcome = outcome
        self.code = code  # the vendor's own code ("310000", "isv.BUSINESS_LIMIT_CONTROL"), if any
        self.retry_after = retry_after  # seconds, for `throttled`


class NotifierConfigError(ValueError):
    """The Apprise config cannot be used as it is; the message names the entry."""


@dataclass(frozen=True)
class Attachment:
    """A file that travels with a message (an invitation's `.ics`); channels that cannot carry
    files (robots, SMS) leave it out."""

    name: str
    mimetype: str
    content: bytes


class Outgoing(TypedDict):
    """One message as a notifier sends it: `body_format` is text, markdown or html; `kind` is
    the message kind (an SMS channel picks its template by it)."""

    title: str
    body: str
    body_format: str
    kind: NotRequired[str]
    attachments: NotRequired[Sequence[Attachment]]


@dataclass(frozen=True)
class ChannelSpec:
    """How the delivery engine must treat one target.

    `limits` are (sends, seconds) windows the target may not exceed (20 per 60 s for a
    DingTalk robot); `throttle_seconds` is how long the vendor blocks a target that exceeded
    them; `digest_min` (0: never) is how many text notices waiting for the target are sent as
    one list instead; `max_bytes` (0: none) the longest text the vendor takes in one message;
    `fingerprint` changes when the target's configuration does (a held target is resumed then).
    """

    vendor: str = ""
    label: str = ""
    limits: tuple[tuple[int, float], ...] = ()
    throttle_seconds: float = 60.0
    digest_min: int = 0
    max_bytes: int = 0
    fingerprint: str = ""


class Send(NamedTuple):
    """One send to do: a message to one target, with what is needed to book its outcome."""

    delivery_id: int
    key: str
    message_id: int
    target: str
    kind: str
    title: str
    body: str
    body_format: str
    attachments: tuple[Attachment, ...] = ()


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


def check_body_format(body_format: str) -> None:
    if body_format not in BODY_FORMATS:
        raise ValueError(f"body_format {body_format!r} is not one of {sorted(BODY_FORMATS)}")


class Notifier(Protocol):
    """The notification edge: which targets serve an audience, how to pace each, one send."""

    def targets(self, audience: str) -> list[str]:
        """Names of the targets tagged with `audience` (each once, config order)."""
        ...

    def spec(self, target: str) -> ChannelSpec:
        """Pacing, digest and length rules of one target, and its configuration fingerprint."""
        ...

    def send(self, target: str, **message: Unpack[Outgoing]) -> None:
        """Send one message to one target; raise `DeliveryError` if it was not accepted.

        Called from several threads at once, but never twice at once for the same target.
        """
        ...


def resolve_targets(notifier: Notifier, audience: str) -> list[str]:
    """Targets for an audience: those tagged with it, else those tagged `fallback`, else none."""
    return notifier.targets(audience) or notifier.targets(FALLBACK_TAG)


class RecordingNotifier:
    """An in-memory notifier for unit tests: records sends, fails on request."""

    @dataclass(frozen=True)
    class Sent:
        target: str
        title: str
        body: str
        body_format: str
        kind: str = ""
        attachments: tuple[Attachment, ...] = ()

    def __init__(
        self,
        routes: Mapping[str, Iterable[str]],
        *,
        failures: Mapping[str, int] | None = None,
        specs: Mapping[str, ChannelSpec] | None = None,
    ) -> None:
        """`routes` maps each target name to its audience tags; `failures` target → times;
        `specs` target → its pacing rules (default: none)."""
        self._routes = {name: {tag.lower() for tag in tags} for name, tags in routes.items()}
        self._failures = dict(failures or {})
        self._specs = dict(specs or {})
        self.sent: list[RecordingNotifier.Sent] = []

    def fail(self, target: str, times: int = 1) -> None:
        """Make the next `times` sends to `target` fail."""
        self._failures[target] = times

    def targets(self, audience: str) -> list[str]:
        tag = check_audience(audience)
        return [name for name, tags in self._routes.items() if tag in tags]

    def spec(self, target: str) -> ChannelSpec:
        return self._specs.get(target, ChannelSpec())

    def send(self, target: str, **message: Unpack[Outgoing]) -> None:
        check_body_format(message["body_format"])
        if target not in self._routes:
            raise DeliveryError(f"target {target!r} is not configured")
        if self._failures.get(target, 0) > 0:
            self._failures[target] -= 1
            raise DeliveryError(f"{target}: failing as told")
        self.sent.append(
            RecordingNotifier.Sent(
                target,
                message["title"],
                message["body"],
                message["body_format"],
                message.get("kind", ""),
                tuple(message.get("attachments", ())),
            )
        )
