"""The scale-out topology reaches exactly the single-machine outcome.

The same rehearsal year (inputs and seed) runs twice: once in this process on SQLite, once on the
topology — Prefect on PostgreSQL with Redis messaging, two API processes, one services process,
two process workers, a task worker per API process, the application database on PostgreSQL. The
annual cycle is started through API A; a decline event is sent through API A and must be handled
by worker B, the only one polling the `events` queue, which talks to API B. Both outcomes (every
decision, placement and message, tasks/samples/outcome.py) must be equal.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models.db import migrate, session_scope
from models.secondment import Assignment
from models.settings import ScaleOutSettings, get_settings
from tasks.common.district import active_profile
from tasks.samples.outcome import outcome_differences, outcome_digest, year_outcome
from tasks.samples.year import seed_sample_year

pytestmark = [pytest.mark.postgres, pytest.mark.scaleout]

PG = "postgresql://postgres@127.0.0.1:5432/postgres"
YEAR, SEED = 2026, 7
SAMPLE = {"teachers": 150, "ideas": 120, "nominations_per_category": 4}


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def services() -> Iterator[tuple[str, str, str]]:
    """Two new PostgreSQL databases (Prefect's, the app's) and an emptied Redis database."""
    if not _reachable(5432):
        pytest.skip("scale-out needs PostgreSQL on 127.0.0.1:5432")
    if not _reachable(6379):
        pytest.skip("scale-out needs Redis on 127.0.0.1:6379")
    import psycopg
    import redis

    suffix = uuid.uuid4().hex[:8]
    names = [f"ld_scale_prefect_{suffix}", f"ld_scale_app_{suffix}"]
    with psycopg.connect(PG, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    redis_db = random.Random(suffix).randrange(8, 16)
    client = redis.Redis(host="127.0.0.1", port=6379, db=redis_db)
    client.flushdb()
    try:
        yield (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{names[0]}",
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{names[1]}",
            f"redis://127.0.0.1:6379/{redis_db}",
        )
    finally:
        client.flushdb()
        from models.db import engine_for

        engine_for(f"postgresql+psycopg://postgres@127.0.0.1:5432/{names[1]}").dispose()
        with psycopg.connect(PG, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _first_assignment() -> str:
    with session_scope() as session:
        rows = session.exec(select(Assignment).where(Assignment.year == YEAR)).all()
    return min(a.staff_id for a in rows if a.status == "active")


def _replacement_of(staff_id: str) -> str | None:
    with session_scope() as session:
        row = session.exec(
            select(Assignment).where(Assignment.year == YEAR, Assignment.replaces == staff_id)
        ).first()
    return None if row is None else row.staff_id


def single_machine_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The rehearsal year on SQLite in this process (the `up` / demo installation)."""
    from flows.annual_cycle import annual_cycle
    from flows.teacher_secondment import secondment_decline
    from models.params.cycle import AnnualCycleParameters
    from models.params.secondment import DeclineParameters

    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path / "single"))
    monkeypatch.setenv("LD_DATABASE_URL", f"sqlite:///{tmp_path / 'single.db'}")
    get_settings.cache_clear()
    migrate()
    seed_sample_year(YEAR, seed=SEED, **SAMPLE)
    params = AnnualCycleParameters(year=YEAR, approval="auto", seed=SEED)
    asyncio.run(annual_cycle(params))
    staff_id = _first_assignment()
    asyncio.run(
        secondment_decline(
            DeclineParameters(year=YEAR, staff_id=staff_id, reason="家中老人需要照顾")
        )
    )
    return year_outcome(YEAR)


def _wait_for(what: str, check: Any, *, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def test_scale_out_topology_matches_the_single_machine_run(
    prefect_harness: None,
    services: tuple[str, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.runtime.topology import local_topology

    expected = single_machine_outcome(tmp_path, monkeypatch)

    prefect_db, app_db, redis_url = services
    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path / "scale"))
    monkeypatch.setenv("LD_DATABASE_URL", app_db)
    get_settings.cache_clear()
    migrate()
    seed_sample_year(YEAR, seed=SEED, **SAMPLE)
    with session_scope() as session:
        profile = active_profile(session)
    scale = ScaleOutSettings(
        prefect_database_url=prefect_db,  # type: ignore[arg-type]
        redis_url=redis_url,  # type: ignore[arg-type]
        storage_path=tmp_path / "shared-storage",
    )
    with local_topology(profile, scale=scale, schedules=False) as (topology, api_a, api_b):
        assert api_a != api_b
        with temporary_settings(updates={PREFECT_API_URL: api_a}):
            cycle = run_deployment(
                "annual-cycle/on-demand",
                parameters={"params": {"year": YEAR, "approval": "自动批准", "seed": SEED}},
                timeout=600,
            )
        assert cycle.state is not None and cycle.state.is_completed(), cycle.state

        # a decline event through API A; only worker B (through API B) polls the events queue
        staff_id = _first_assignment()
        env = {**os.environ, "PREFECT_API_URL": api_a}
        sent = subprocess.run(
            [sys.executable, "-m", "deployments.cli.app", "decline", staff_id, "--year", str(YEAR)]
            + ["--reason", "家中老人需要照顾", "--via-event"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
        _wait_for("the replacement", lambda: _replacement_of(staff_id), timeout=240)

        with (
            temporary_settings(updates={PREFECT_API_URL: api_b}),
            get_client(sync_client=True) as client,
        ):
            runs = _wait_for(
                "the decline run to complete",
                lambda: [
                    r
                    for r in client.read_flow_runs(
                        deployment_filter=DeploymentFilter(
                            name=DeploymentFilterName(any_=["on-decline"])
                        )
                    )
                    if r.state is not None and r.state.is_completed()
                ],
                timeout=120,
            )
        decline_run = str(runs[0].id)
        assert runs[0].work_queue_name == "events"  # polled by worker B alone

        def logs() -> dict[str, str]:
            return {p.name: p.log_file.read_text(errors="replace") for p in topology.processes}

        _wait_for(
            "worker B's log of the run", lambda: decline_run in logs()["worker-b"], timeout=30
        )
        assert decline_run not in logs()["worker-a"]
        assert str(cycle.id) in logs()["worker-a"] + logs()["worker-b"]
        assert topology.exited() == [], "a role stopped while the year ran"

    actual = year_outcome(YEAR)
    assert outcome_differences(expected, actual) == []
    assert outcome_digest(expected) == outcome_digest(actual)
    assert len(actual["assignment"]) == 16  # 15 placed, one declined and replaced
