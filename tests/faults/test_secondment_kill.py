"""Fault injection: the secondment's process is killed while it delivers; a re-run completes.

Nothing is assigned twice, no logical message is created twice, every message is delivered, and
at most the one send in flight at the kill reaches the receiver twice (at-least-once delivery:
receivers must tolerate a duplicate, see tasks/notify/delivery.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL
from sqlmodel import select

from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.secondment import Assignment
from tests.factories import seed_roster
from tests.faults.harness import Sink, running_sink
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink(delay=0.3) as server:
        yield server


def _cli_env(db: Path, tmp_path: Path, config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LD_APPRISE_CONFIG"] = str(config)
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    env["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return env


def test_killed_during_delivery_then_rerun(
    registry: DistrictProfile, db: Path, tmp_path: Path, sink: Sink, hardening: Ledger
) -> None:
    seed_roster(registry, count=150, seed=9)
    config = sink.config(tmp_path / "apprise.yaml")
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]
    args = [*command, "secondment", "--year", "2026", "--approve", "--json"]
    env = _cli_env(db, tmp_path, config)

    first = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(sink.received) < 4 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # mid-delivery, no chance to clean up
    first.wait(timeout=30)
    killed_at = len(sink.received)
    assert 4 <= killed_at < 20, "the kill did not land during delivery"

    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr

    with session_scope() as session:
        assignments = session.exec(select(Assignment)).all()
        messages = session.exec(select(OutboxMessage)).all()
    received = Counter(sink.received)
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
