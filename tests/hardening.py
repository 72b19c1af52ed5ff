"""The hardening ledger: tests record what they tried, and pytest prints one summary table.

The suite reports figures, not just green ticks. A test takes the `hardening`
fixture and records each thing it tried:

    hardening.fault("secondment: SIGKILL during delivery", survived=True)
    hardening.bad_input("teachers.csv: GBK without BOM", rejected_cleanly=True)
    hardening.load("intake burst 10,000", rate=812.0, unit="ideas/s", p99_ms=95.0, held=True)
    hardening.leaks("ideas run: logs + artifacts + messages", scanned=1234, found=0)

A record states an outcome the test also asserts; the table is a summary of the asserts, so a
failed assert still shows in the table (as not survived / not rejected / leaks > 0) before the
test turns red. The terminal summary prints the table at the end of every run that recorded
anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Fault:
    name: str
    survived: bool


@dataclass
class BadInput:
    name: str
    rejected_cleanly: bool


@dataclass
class Load:
    name: str
    rate: float
    unit: str
    p99_ms: float | None
    held: bool
    detail: str = ""


@dataclass
class Leak:
    name: str
    scanned: int
    found: int


@dataclass
class Ledger:
    faults: list[Fault] = field(default_factory=list)
    bad_inputs: list[BadInput] = field(default_factory=list)
    loads: list[Load] = field(default_factory=list)
    leak_scans: list[Leak] = field(default_factory=list)

    def fault(self, name: str, *, survived: bool) -> None:
        self.faults.append(Fault(name, survived))

    def bad_input(self, name: str, *, rejected_cleanly: bool) -> None:
        self.bad_inputs.append(BadInput(name, rejected_cleanly))

    def load(
        self,
        name: str,
        *,
        rate: float,
        unit: str,
        held: bool,
        p99_ms: float | None = None,
        detail: str = "",
    ) -> None:
        self.loads.append(Load(name, rate, unit, p99_ms, held, detail))

    def leaks(self, name: str, *, scanned: int, found: int) -> None:
        self.leak_scans.append(Leak(name, scanned, found))

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        """The records as plain data (a pytest-xdist worker sends them to the controller)."""
        return asdict(self)

    def merge(self, data: dict[str, list[dict[str, Any]]]) -> None:
        """Add the records of `as_dict()` from another process (a worker) to these."""
        self.faults += [Fault(**f) for f in data.get("faults", [])]
        self.bad_inputs += [BadInput(**b) for b in data.get("bad_inputs", [])]
        self.loads += [Load(**load) for load in data.get("loads", [])]
        self.leak_scans += [Leak(**leak) for leak in data.get("leak_scans", [])]

    def empty(self) -> bool:
        return not (self.faults or self.bad_inputs or self.loads or self.leak_scans)

    def summary_lines(self) -> list[str]:
        """The table as plain text lines (Markdown-compatible)."""
        survived = sum(f.survived for f in self.faults)
        rejected = sum(b.rejected_cleanly for b in self.bad_inputs)
        found = sum(leak.found for leak in self.leak_scans)
        scanned = sum(leak.scanned for leak in self.leak_scans)
        lines = [
            "| check | tried | held | detail |",
            "|---|---:|---:|---|",
            f"| faults injected / survived | {len(self.faults)} | {survived} | "
            f"{_failed_names([f.name for f in self.faults if not f.survived])} |",
            f"| bad inputs tried / handled cleanly | {len(self.bad_inputs)} | {rejected} | "
            f"{_failed_names([b.name for b in self.bad_inputs if not b.rejected_cleanly])} |",
            f"| leak scans (items scanned) / leaks found | {len(self.leak_scans)} ({scanned}) "
            f"| {found} found | must be 0 |",
        ]
        for load in self.loads:
            p99 = f", p99 {load.p99_ms:.0f} ms" if load.p99_ms is not None else ""
            extra = f"; {load.detail}" if load.detail else ""
            lines.append(
                f"| load: {load.name} | 1 | {'held' if load.held else 'NOT held'} | "
                f"{load.rate:,.1f} {load.unit}{p99}{extra} |"
            )
        return lines


def _failed_names(names: list[str]) -> str:
    if not names:
        return "all"
    shown = "; ".join(names[:5])
    more = f" (+{len(names) - 5} more)" if len(names) > 5 else ""
    return f"failed: {shown}{more}"


LEDGER = Ledger()
