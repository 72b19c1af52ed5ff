"""The notification fan-out scenario shared by tests/load/test_fanout.py and
tests/benchmarks/bench_fanout.py.

Every resident gets one message (its outbox key names the resident) addressed to the
resident's community office; each office runs its own json:// webhook, here one path per office
on a local `HttpSink`. Apprise reads at most 128 KB of config file (about 2,000 entries like
these), so a district's targets are its offices, not its residents.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

from models.db import session_scope
from tasks.notify.protocol import ChannelSpec, Notifier
from tasks.notify.staging import stage_message

FLOW = "fanout"
YEAR = 2026
KIND = "publicity_month"
TITLE = "全民终身学习宣传月通知"


def office(number: int) -> str:
    """The target name (and audience tag) of community office `number`."""
    return f"community-c{number:04d}"


def resident(number: int) -> str:
    return f"R{number:05d}"


def body_of(number: int) -> str:
    """The message to resident `number`; it names the resident, so each body is unique."""
    return f"{resident(number)} 户：九月是全民终身学习宣传月，欢迎参加社区学习活动。"


def write_config(path: Path, *, port: int, offices: int) -> Path:
    """An Apprise YAML config with one json:// target per community office."""
    lines = ["version: 1", "urls:"]
    for number in range(offices):
        lines.append(f"  - json://127.0.0.1:{port}/{office(number)}:")
        lines.append(f"      tag: {office(number)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stage_residents(count: int, *, offices: int) -> int:
    """Stage one message per resident (resident i → office i mod `offices`) in one transaction;
    return how many were new (a key already staged adds nothing)."""
    added = 0
    with session_scope() as session:
        for number in range(count):
            message = stage_message(
                session,
                flow=FLOW,
                year=YEAR,
                kind=KIND,
                recipient=resident(number),
                audience=office(number % offices),
                title=TITLE,
                body=body_of(number),
            )
            added += message is not None
    return added


class TimedNotifier:
    """Wraps a notifier and records how long each send took (seconds), from any thread."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def targets(self, audience: str) -> list[str]:
        return self.inner.targets(audience)

    def spec(self, target: str) -> ChannelSpec:
        return self.inner.spec(target)

    def send(self, target: str, *, title: str, body: str, body_format: str, **extra: Any) -> None:
        started = time.perf_counter()
        try:
            self.inner.send(target, title=title, body=body, body_format=body_format, **extra)
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.seconds.append(elapsed)


def sequential_rate(notifier: Notifier, *, sends: int, offices: int) -> float:
    """Messages per second of plain sequential sends, one after the other, to distinct offices."""
    started = time.perf_counter()
    for number in range(sends):
        notifier.send(
            office(number % offices), title="基线", body=f"基线 {number}", body_format="text"
        )
    return sends / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
