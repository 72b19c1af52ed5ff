"""Fault injection: the secondment's process is killed while it delivers; a re-run completes.

Nothing is assigned twice, no logical message is created twice, every message is delivered, and
at most the one send in flight at the kill reaches the receiver twice (at-least-once delivery:
receivers must tolerate a duplicate, see tasks/notify.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL
from sqlmodel import select

from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile import DistrictProfile
from models.secondment import Assignment
from tests.factories import seed_roster
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")


class SlowSink:
    """A local HTTP receiver that takes `delay` seconds per message and records each title."""

    def __init__(self, delay: float) -> None:
        self.titles: list[str] = []
        received = self.titles

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(delay)
                payload = json.loads(body)
                received.append(f"{payload.get('title')}|{payload.get('message')}")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def sink() -> Iterator[SlowSink]:
    server = SlowSink(delay=0.3)
    yield server
    server.close()


def _cli_env(db: Path, tmp_path: Path, config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LD_APPRISE_CONFIG"] = str(config)
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return env


def test_killed_during_delivery_then_rerun(
    registry: DistrictProfile, db: Path, tmp_path: Path, sink: SlowSink, hardening: Ledger
) -> None:
    seed_roster(registry, count=150, seed=9)
    config = tmp_path / "apprise.yaml"
    config.write_text(
        f"urls:\n  - json://127.0.0.1:{sink.port}/:\n      tag: sink, fallback\n", encoding="utf-8"
    )
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli"]
    args = [*command, "secondment", "--year", "2026", "--approve", "--json"]
    env = _cli_env(db, tmp_path, config)

    first = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(sink.titles) < 4 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # mid-delivery, no chance to clean up
    first.wait(timeout=30)
    killed_at = len(sink.titles)
    assert 4 <= killed_at < 20, "the kill did not land during delivery"

    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr

    with session_scope() as session:
        assignments = session.exec(select(Assignment)).all()
        messages = session.exec(select(OutboxMessage)).all()
    received = Counter(sink.titles)
    duplicates = sum(n - 1 for n in received.values())
    hardening.fault(
        "secondment: SIGKILL during delivery, re-run",
        survived=len(assignments) == 15
        and len({a.staff_id for a in assignments}) == 15
        and {m.status for m in messages} == {"delivered"}
        and len(received) == len(messages)
        and duplicates <= 1,
    )
    assert len(assignments) == 15
    assert len({a.staff_id for a in assignments}) == 15
    assert {m.status for m in messages} == {"delivered"}
    assert len(received) == len(messages)  # every logical message arrived
    assert duplicates <= 1  # only a send in flight at the kill can arrive twice
