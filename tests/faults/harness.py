"""Shared pieces of the fault-injection tests: a slow HTTP receiver, the CLI in a killable child
process, and the checks that a re-run after a fault lost nothing and sent nothing twice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect.settings import PREFECT_API_URL
from sqlmodel import select

from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from tests.sinks import HttpSink


class Sink(HttpSink):
    """The receiver of the fault tests (tests/sinks.py): records each message on arrival, then
    answers after `delay` s, or `hang` s for the first `hang_first` messages."""

    @property
    def received(self) -> list[str]:
        """`title|message` of every message received, in order."""
        with self._lock:
            return [f"{p.get('title')}|{p.get('message')}" for _, _, p in self.requests]

    def config(self, path: Path, *, query: str = "") -> Path:
        """An Apprise YAML config whose one target (tag `sink`) serves every audience."""
        path.write_text(
            f"urls:\n  - json://127.0.0.1:{self.port}/{query}:\n      tag: sink, fallback\n",
            encoding="utf-8",
        )
        return path


@contextmanager
def running_sink(**options: float) -> Iterator[Sink]:
    sink = Sink(**options)  # type: ignore[arg-type]
    try:
        yield sink
    finally:
        sink.close()


def cli_command(*args: str) -> list[str]:
    """`learning-district ARGS` as a command line (the installed script, else the module)."""
    exe = shutil.which("learning-district") or str(
        Path(sys.executable).parent / "learning-district"
    )
    command = [exe] if Path(exe).exists() else [sys.executable, "-m", "deployments.cli.app"]
    return [*command, *args]


def child_env(config: Path) -> dict[str, str]:
    """This test's settings (data dir, database) for a child process, on the session's server."""
    env = dict(os.environ)
    env["LD_APPRISE_CONFIG"] = str(config)
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return with_bytecode_cache(env)


def with_bytecode_cache(env: dict[str, str]) -> dict[str, str]:
    """Every child imports Prefect, SQLAlchemy and OR-Tools afresh; where byte-code writing is
    switched off, keep compiled modules in a cache outside the tree so the next child reuses
    them (seconds per child on a loaded 2-core machine)."""
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "learning-district-pycache")
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a child in its own process group (so a kill takes its threads and children too)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def kill_when(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    what: str,
    log: Path,
    timeout: float = 240,
) -> None:
    """SIGKILL the child's process group as soon as `ready()` holds; fail if it never does."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"the run ended ({process.returncode}) before {what}:\n{tail}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # no chance to clean up or book anything
    assert process.wait(timeout=30) == -signal.SIGKILL
    time.sleep(0.3)  # a request sent just before the kill is recorded by the receiver


def run(
    command: list[str], env: dict[str, str], *, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a child to the end (the test checks its exit status after recording the outcome)."""
    return subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def output(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a successful child printed; None when it failed (its status is asserted)."""
    return json.loads(done.stdout) if done.returncode == 0 else None


def sent(flow: str) -> int:
    """How many of a process's sends are booked as delivered (read while another process
    writes); a message's own status is settled only after all its sends."""
    with session_scope() as session:
        return len(
            session.exec(
                select(Delivery.id)
                .join(OutboxMessage, Delivery.message_id == OutboxMessage.id)  # type: ignore[arg-type]
                .where(OutboxMessage.flow == flow, Delivery.status == "delivered")
            ).all()
        )


def unbooked(sink: Sink) -> int:
    """Sends the receiver got whose success is not booked (after a kill: the bookkeeping the
    kill lost). A re-run sends exactly these again: they are the only duplicates allowed."""
    with session_scope() as session:
        booked = len(session.exec(select(Delivery.id).where(Delivery.status == "delivered")).all())
    return len(sink.received) - booked


def message_statuses() -> Counter[str]:
    with session_scope() as session:
        return Counter(session.exec(select(OutboxMessage.status)).all())


def expected_sends() -> Counter[str]:
    """Every (title, body) that should have reached the sink: one per message and target."""
    with session_scope() as session:
        rows = session.exec(
            select(OutboxMessage.title, OutboxMessage.body).join(
                Delivery,
                Delivery.message_id == OutboxMessage.id,  # type: ignore[arg-type]
            )
        ).all()
    return Counter(f"{title}|{body}" for title, body in rows)


def duplicates_and_missing(sink: Sink) -> tuple[int, int]:
    """(sends the sink got more than once, messages it never got), against the outbox."""
    expected, received = expected_sends(), Counter(sink.received)
    return sum((received - expected).values()), sum((expected - received).values())


def attempts(flow: str) -> int:
    """How many sends of a process's messages were tried (every try is booked)."""
    with session_scope() as session:
        return len(
            session.exec(
                select(DeliveryAttempt.id)
                .join(Delivery, DeliveryAttempt.delivery_id == Delivery.id)  # type: ignore[arg-type]
                .join(OutboxMessage, Delivery.message_id == OutboxMessage.id)  # type: ignore[arg-type]
                .where(OutboxMessage.flow == flow)
            ).all()
        )


def kinds(flow: str) -> Counter[str]:
    """A process's logical messages by kind."""
    with session_scope() as session:
        return Counter(
            session.exec(select(OutboxMessage.kind).where(OutboxMessage.flow == flow)).all()
        )
