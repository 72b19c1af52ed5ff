"""One target's lane of a delivery pass: compose, pace, send, and say what became of each send.

A lane runs on a thread of the delivery pool and never touches the database: it reports every
outcome through `put` (booked by the pass's one booking thread). Its rules:

- a held target (its configuration was refused) gets nothing: every send is deferred;
- sends go as units (tasks/notify/compose.py): a digest of many notices, or one notice in one
  or more parts; a unit's members share its outcome;
- before each vendor message the pacer admits it (waiting up to `max_wait` seconds); a wait
  longer than that defers this unit and the rest of the lane to a later pass, untried;
- a vendor's throttling answer blocks the target for the vendor's window (the next unit
  then waits or is deferred); a configuration refusal holds the target, raises one alert (only
  if it was not held so already) and defers the rest; any other failure is booked and the lane
  goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import NamedTuple

from tasks.notify.compose import Unit, compose
from tasks.notify.pacing import Pacer
from tasks.notify.protocol import ChannelSpec, DeliveryError, Notifier, Send


class Outcome(NamedTuple):
    send: Send
    error: DeliveryError | None  # None: delivered


class Deferred(NamedTuple):
    """Sends not tried in this pass, and why: "paced", "throttled" or "held"."""

    sends: tuple[Send, ...]
    why: str


class Alert(NamedTuple):
    """A target newly held because the vendor refused its configuration."""

    target: str
    reason: str
    fingerprint: str


LANE_DONE = object()


def _members(units: Sequence[Unit]) -> tuple[Send, ...]:
    return tuple(send for unit in units for send in unit.members)


def run_lane(
    sends: Sequence[Send],
    *,
    notifier: Notifier,
    spec: ChannelSpec,
    pacer: Pacer,
    max_wait: float,
    public_url: str | None,
    stop: threading.Event,
    put: Callable[[object], None],
) -> None:
    """Deliver one target's sends in order; report each outcome, deferral and alert."""
    target = sends[0].target
    if pacer.held(target, spec) is not None:
        put(Deferred(tuple(sends), "held"))
        return
    units = compose(sends, spec=spec, public_url=public_url)
    for position, unit in enumerate(units):
        if stop.is_set():
            return
        error: DeliveryError | None = None
        for piece in unit.pieces:
            admission = pacer.admit(target, spec, max_wait=max_wait)
            if admission != "go":
                put(Deferred(_members(units[position:]), admission))
                return
            try:
                notifier.send(
                    target,
                    title=piece.title,
                    body=piece.body,
                    body_format=unit.body_format,
                    kind=unit.kind,
                    attachments=unit.attachments,
                )
            except DeliveryError as exc:
                error = exc
                break
        for member in unit.members:
            put(Outcome(member, error))
        if error is None:
            continue
        if error.outcome == "throttled":
            pacer.block(target, error.retry_after or spec.throttle_seconds)
        elif error.outcome == "config":
            if pacer.hold(target, spec, str(error)):
                put(Alert(target, str(error), spec.fingerprint))
            rest = _members(units[position + 1 :])
            if rest:
                put(Deferred(rest, "held"))
            return
