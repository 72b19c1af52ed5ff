"""Fault injection: the app's PostgreSQL database becomes unreachable for ~3 s in the middle of
the secondment's decision transaction (round row written, assignments being inserted).

The app talks to PostgreSQL through a local TCP proxy (tests/faults/proxy.py) that drops every
connection and refuses new ones for 3 s the moment the client sends the assignments' INSERT;
the machine's PostgreSQL itself is never touched. The transaction is rolled back whole (nothing
half-written is visible during the outage), the record step's Prefect retries (2 s, then 10 s)
succeed once the database is back, and the run completes: 15 assignments, each message once.
A re-run changes nothing. An outage in a step without retries (the proposal, which only reads)
fails the run cleanly instead, and a re-run places exactly what a run without the fault places.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from flows.teacher_secondment import teacher_secondment
from models.db import engine_for, migrate, session_scope
from models.outbox import OutboxMessage
from models.params.secondment import SecondmentParameters
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from models.secondment import Assignment
from models.settings import get_settings
from tasks.common.district import sync_registry
from tasks.secondment.tasks import propose_task, resolve_rules_task
from tests.factories import seed_roster
from tests.faults.proxy import FlakyProxy
from tests.hardening import Ledger

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("prefect_harness")]

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
OUTAGE = 3.0


@pytest.fixture
def pg_name() -> Iterator[str]:
    """A new empty PostgreSQL database for this test (dropped afterwards), or a visible skip."""
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}: {exc}".strip())
    name = f"ld_fault_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def proxied(
    pg_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FlakyProxy, DistrictProfile]]:
    """The app's settings on that database through a FlakyProxy; migrated, profile loaded."""
    proxy = FlakyProxy((PG_HOST, PG_PORT))
    # no TLS, so the proxy can see the statements it trips on
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{pg_name}?sslmode=disable"
    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LD_DATABASE_URL", url)
    monkeypatch.delenv("LD_APPRISE_CONFIG", raising=False)
    get_settings.cache_clear()
    try:
        migrate()
        profile, text = load_profile()
        with session_scope() as session:
            sync_registry(session, profile=profile, text=text, source="bundled")
        yield proxy, profile
    finally:
        engine_for(url).dispose()
        proxy.close()
        get_settings.cache_clear()


def direct_counts(pg_name: str) -> dict[str, int]:
    """Committed rows, read past the proxy (what anyone else sees)."""
    import psycopg

    url = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{pg_name}"
    with psycopg.connect(url) as connection:
        return {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in ("secondment_round", "assignment", "outbox_message")
        }


def test_database_unreachable_mid_decision_retries_then_completes(
    proxied: tuple[FlakyProxy, DistrictProfile], pg_name: str, hardening: Ledger
) -> None:
    proxy, profile = proxied
    seed_roster(profile, count=120, seed=5)
    during: dict[str, Any] = {}

    def look_during_outage() -> None:
        time.sleep(1.0)  # the server has dropped the broken session by now
        during.update(direct_counts(pg_name))

    proxy.trip_on(b"INSERT INTO assignment", OUTAGE, after_cut=look_during_outage)
    params = SecondmentParameters(year=2026, approval="auto")
    started = time.monotonic()
    result = asyncio.run(teacher_secondment(params))
    took = time.monotonic() - started

    with session_scope() as session:
        assignments = session.exec(select(Assignment)).all()
        messages = session.exec(select(OutboxMessage)).all()
    before_rerun = (len(assignments), len(messages))
    again = asyncio.run(teacher_secondment(params))
    with session_scope() as session:
        after_rerun = (
            len(session.exec(select(Assignment)).all()),
            len(session.exec(select(OutboxMessage)).all()),
        )
    survived = (
        len(proxy.cuts) == 1
        and during == {"secondment_round": 0, "assignment": 0, "outbox_message": 0}
        and result.status == "approved"
        and len({a.staff_id for a in assignments}) == 15 == len(assignments)
        and {m.status for m in messages} == {"delivered"}
        and after_rerun == before_rerun
        and again == result
    )
    hardening.fault("secondment: PostgreSQL unreachable 3 s mid-transaction", survived=survived)

    assert len(proxy.cuts) == 1, "the outage never happened"
    # the broken transaction left nothing behind, not even the round row written before it
    assert during == {"secondment_round": 0, "assignment": 0, "outbox_message": 0}
    assert took > OUTAGE  # the record step waited for the database to come back
    assert result.status == "approved" and len(result.assignments) == 15
    assert len(assignments) == 15 and len({a.staff_id for a in assignments}) == 15
    assert len(messages) > 15 and {m.status for m in messages} == {"delivered"}
    assert direct_counts(pg_name) == {
        "secondment_round": 1,
        "assignment": 15,
        "outbox_message": len(messages),
    }
    assert again == result and after_rerun == before_rerun  # the re-run changes nothing


def test_database_unreachable_in_a_step_without_retries_fails_cleanly_then_rerun(
    proxied: tuple[FlakyProxy, DistrictProfile], pg_name: str, hardening: Ledger
) -> None:
    """The proposal step only reads and has no retries: the run fails with the database's own
    error, nothing is written, and a re-run after the outage places exactly what a run without
    the fault places."""
    proxy, profile = proxied
    seed_roster(profile, count=120, seed=5)
    params = SecondmentParameters(year=2026, approval="auto")
    proxy.trip_on(b"FROM teacher ORDER BY", OUTAGE)  # the roster snapshot of the proposal

    with pytest.raises(OperationalError) as failure:
        asyncio.run(teacher_secondment(params))
    after_failure = direct_counts(pg_name)
    while time.monotonic() < proxy.cuts[0] + OUTAGE + 0.5:
        time.sleep(0.1)  # the database is back
    result = asyncio.run(teacher_secondment(params))
    expected = propose_task.fn(resolve_rules_task.fn(params))  # the same inputs, no fault
    placed = sorted((a.staff_id, a.street) for a in result.assignments)
    survived = (
        after_failure == {"secondment_round": 0, "assignment": 0, "outbox_message": 0}
        and result.status == "approved"
        and placed == sorted((p.staff_id, p.street) for p in expected.placements)
    )
    hardening.fault(
        "secondment: PostgreSQL unreachable in a read step, run fails, re-run", survived=survived
    )

    assert "connection" in str(failure.value).lower()  # the database's own, clear error
    assert after_failure == {"secondment_round": 0, "assignment": 0, "outbox_message": 0}
    assert result.status == "approved" and len(placed) == 15
    assert placed == sorted((p.staff_id, p.street) for p in expected.placements)
    assert direct_counts(pg_name)["assignment"] == 15
