"""Screening on Prefect's task queue with a real task worker (`learning-district ideas worker`
in a subprocess, against the session's Prefect test server): ideas enqueued with `.delay()` are
screened by the worker once, even when the event is duplicated; a worker SIGKILLed in the middle
of a screening batch leaves the ideas `received`, and the sweeper finishes them — nothing lost,
nothing screened twice."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    TaskRunFilter,
    TaskRunFilterName,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL
from sqlmodel import select

from deployments.portal.ideas import queue_screening
from flows.golden_ideas import sweep_ideas
from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.settings import get_settings
from tasks.ideas import intake, records
from tasks.ideas.campaign import open_campaign
from tasks.ideas.screening import Submission
from tasks.ideas.tasks import screen_ideas
from tasks.samples.ideas import generate_ideas
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = 2026
NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)
CLI = str(Path(sys.executable).parent / "learning-district")
# task runs whose worker a test killed: they stay `Running` on the session's server for good
ABANDONED: set[UUID] = set()


@pytest.fixture
def campaign(registry: DistrictProfile) -> DistrictProfile:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    return registry


def _wait(check: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _state(run_id: UUID) -> StateType | None:
    with get_client(sync_client=True) as client:
        run = client.read_task_run(run_id)
    return run.state.type if run.state is not None else None


def _running_screenings() -> int:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(
                name=TaskRunFilterName(any_=["screen-ideas"]),
                state=TaskRunFilterState(
                    type=TaskRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])
                ),
            )
        )
    return sum(1 for run in runs if run.id not in ABANDONED)


@contextlib.contextmanager
def task_worker(log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`learning-district ideas worker` on this test's database and the test Prefect server,
    ready once it has served a probe (and finished anything earlier tests left on the queue)."""
    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    with log.open("wb") as out:
        worker = subprocess.Popen([CLI, "ideas", "worker"], env=env, stdout=out, stderr=out)
    try:
        probe = screen_ideas.delay([])
        _wait(lambda: _state(probe.task_run_id) == StateType.COMPLETED, "the worker to start")
        _wait(lambda: _running_screenings() == 0, "earlier queued screenings to finish")
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)


def _submit(profile: DistrictProfile, count: int, seed: int) -> list[int]:
    communities = [c for s in profile.streets for c in s.communities]
    samples = generate_ideas(count=count, communities=communities, year=YEAR, seed=seed)
    ids = []
    for index, s in enumerate(samples):
        # every fifth idea is spam, so screening also writes decisions and messages
        content = s.content + ("，有意者加微信详谈" if index % 5 == 0 else "")
        ack = intake.submit(
            year=YEAR,
            submission=Submission(
                submitter=s.submitter,
                phone=s.phone,
                community=s.community,
                title=s.title,
                content=content,
            ),
            source="http",
            now=NOW,
        )
        ids.append(ack.id)
    return ids


def _ideas() -> list[Idea]:
    with session_scope() as session:
        return list(session.exec(select(Idea).where(Idea.year == YEAR)).all())


def _rejections() -> tuple[Counter[str], Counter[str]]:
    """Per ref: rejection decisions and rejection messages written (each must be 1)."""
    with session_scope() as session:
        decisions = Counter(
            d.subject for d in session.exec(select(Decision)).all() if d.kind == "rejected"
        )
        messages = Counter(
            m.audience.removeprefix("idea-submitter-")
            for m in session.exec(select(OutboxMessage)).all()
            if m.kind == "rejected"
        )
    return decisions, messages


def test_task_worker_screens_delayed_ideas_once(campaign: DistrictProfile, tmp_path: Path) -> None:
    with task_worker(tmp_path / "worker.log"):
        ids = _submit(campaign, 30, seed=21)
        started = datetime.now(UTC)
        queue_screening(ids, NOW)  # what the intake does after storing: `.delay()` a batch
        again = screen_ideas.delay(ids)  # the same event delivered twice
        _wait(lambda: _state(again.task_run_id) == StateType.COMPLETED, "the duplicate task")
        _wait(lambda: all(i.status != "received" for i in _ideas()), "the worker to screen")

    ideas = _ideas()
    assert len(ideas) == 30
    assert Counter(i.status for i in ideas) == {"screened": 24, "rejected": 6}
    # screened by the worker (its own clock), not by a sweeper with a given `now`
    assert all(i.screened_at is not None for i in ideas)
    assert all(_aware(i.screened_at) >= started - timedelta(seconds=5) for i in ideas)
    rejected = {i.ref for i in ideas if i.status == "rejected"}
    decisions, messages = _rejections()
    assert decisions == Counter(dict.fromkeys(rejected, 1))
    assert messages == Counter(dict.fromkeys(rejected, 1))
    # nothing left for the sweeper, and a late redelivery screens nothing
    assert asyncio_run_sweep(NOW + timedelta(hours=1)) == 0
    assert records.screen_ids(ids=ids, now=NOW) == 0


def test_worker_killed_mid_screening_leaves_ideas_for_the_sweeper(
    campaign: DistrictProfile, tmp_path: Path, hardening: Ledger
) -> None:
    database = get_settings().sqlalchemy_url.removeprefix("sqlite:///")
    with task_worker(tmp_path / "worker.log") as worker:
        ids = _submit(campaign, 40, seed=22)
        # hold SQLite's write lock so the worker's screening transaction cannot commit: the
        # task is running, its batch read and screened in memory, when the worker is killed
        blocker = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            batch = screen_ideas.delay(ids)
            _wait(lambda: _state(batch.task_run_id) == StateType.RUNNING, "screening to start")
            time.sleep(1.0)
            assert worker.poll() is None
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=30) == -signal.SIGKILL
            killed_at = datetime.now(UTC)
            ABANDONED.add(batch.task_run_id)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()

    # the kill lost the batch: every idea is still stored and still `received`
    assert _state(batch.task_run_id) == StateType.RUNNING  # nobody will finish that run
    ideas = _ideas()
    assert len(ideas) == 40 and {i.status for i in ideas} == {"received"}
    assert _rejections() == (Counter(), Counter())

    # the sweeper finds them after its deadline and screens each once
    assert asyncio_run_sweep(NOW + timedelta(minutes=5)) == 0  # not overdue yet
    swept = asyncio_run_sweep(NOW + timedelta(minutes=30))
    ideas = _ideas()
    finished = swept == 40 and all(i.status != "received" for i in ideas)
    hardening.fault("ideas: task worker SIGKILLed mid-screening, sweeper", survived=finished)
    assert swept == 40
    assert Counter(i.status for i in ideas) == {"screened": 32, "rejected": 8}
    # screened by the sweeper's task, after the kill (screening stamps its own clock)
    assert all(_aware(i.screened_at) >= killed_at for i in ideas)
    rejected = {i.ref for i in ideas if i.status == "rejected"}
    decisions, messages = _rejections()
    assert decisions == Counter(dict.fromkeys(rejected, 1))
    assert messages == Counter(dict.fromkeys(rejected, 1))
    assert asyncio_run_sweep(NOW + timedelta(hours=1)) == 0
    assert records.screen_ids(ids=ids, now=NOW) == 0


def asyncio_run_sweep(now: datetime) -> int:
    import asyncio

    return asyncio.run(sweep_ideas(after_minutes=10, now=now))


def _aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
