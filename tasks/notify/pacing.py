"""Pacing per target: rate limits kept, vendor throttling waited out, a broken target held.

A `Pacer` holds, for every target, the times of its recent sends, until when the vendor blocks
it (after a throttling answer) and whether it is held (its configuration was refused). Before
each vendor message a lane asks `admit`: the answer is to go now, or that the target must wait
longer than the lane may (the sends stay for a later pass). Waits shorter than that are slept
on the injected `Clock`, so tests run minutes of vendor time in milliseconds. The state is
loaded from and saved to the database around each delivery pass (tasks/notify/targets.py), so
the next pass, maybe in another process, continues the same windows.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from tasks.notify.protocol import ChannelSpec

Admission = Literal["go", "paced", "throttled"]


class Clock(Protocol):
    """Seconds since the epoch, and a way to wait; tests pass one that only pretends to wait."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class TargetState:
    recent: list[float] = field(default_factory=list)  # epoch seconds of recent sends
    blocked_until: float = 0.0
    held_fingerprint: str = ""
    held_reason: str = ""  # Chinese, with the vendor's code; empty: not held


class Pacer:
    """Thread-safe pacing state of every target of one delivery pass."""

    def __init__(self, clock: Clock, states: dict[str, TargetState] | None = None) -> None:
        self.clock = clock
        self._states = {
            name: replace(s, recent=list(s.recent)) for name, s in (states or {}).items()
        }
        self._touched: set[str] = set()
        self._lock = threading.Lock()

    def _state(self, target: str) -> TargetState:
        return self._states.setdefault(target, TargetState())

    def held(self, target: str, spec: ChannelSpec) -> str | None:
        """Why `target` is held, or None. A hold ends when the target's configuration changed."""
        with self._lock:
            state = self._states.get(target)
            if state is None or not state.held_reason:
                return None
            if state.held_fingerprint != spec.fingerprint:
                state.held_reason, state.held_fingerprint = "", ""
                self._touched.add(target)
                return None
            return state.held_reason

    def hold(self, target: str, spec: ChannelSpec, reason: str) -> bool:
        """Hold `target` until its configuration changes; True if it was not held so before."""
        with self._lock:
            state = self._state(target)
            new = not (state.held_reason and state.held_fingerprint == spec.fingerprint)
            state.held_reason, state.held_fingerprint = reason, spec.fingerprint
            self._touched.add(target)
            return new

    def block(self, target: str, seconds: float) -> None:
        """The vendor throttled `target`: nothing goes to it for `seconds`."""
        with self._lock:
            state = self._state(target)
            state.blocked_until = max(state.blocked_until, self.clock.time() + seconds)
            self._touched.add(target)

    def admit(self, target: str, spec: ChannelSpec, *, max_wait: float) -> Admission:
        """Wait until one more message may go to `target` and count it; or, if that would take
        longer than `max_wait` seconds, say why it may not go now (nothing is counted)."""
        while True:
            with self._lock:
                state = self._state(target)
                now = self.clock.time()
                delay = state.blocked_until - now
                blocked = delay > 0
                for count, span in spec.limits:
                    inside = [t for t in state.recent if t > now - span]
                    if len(inside) >= count:
                        delay = max(delay, inside[-count] + span - now)
                if delay <= 0:
                    # Only the last `keep` sends can decide a wait; a target without limits
                    # keeps none (and gets no row unless throttled or held).
                    keep = max((count for count, _ in spec.limits), default=0)
                    if keep:
                        state.recent = [*state.recent, now][-keep:]
                        self._touched.add(target)
                    return "go"
            if delay > max_wait:
                return "throttled" if blocked else "paced"
            self.clock.sleep(delay)

    def changed(self) -> dict[str, TargetState]:
        """Copies of the states this pass changed, to save."""
        with self._lock:
            return {
                name: replace(self._states[name], recent=list(self._states[name].recent))
                for name in sorted(self._touched)
            }
