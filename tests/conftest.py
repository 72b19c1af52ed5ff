"""Shared fixtures: a fresh data directory and database per test, one Prefect test server."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from models.db import engine_for, migrate
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from models.settings import get_settings
from tasks.common.district import sync_registry
from tests.classify import classify
from tests.demo_year import DemoYear, shared_demo_year
from tests.hardening import LEDGER, Ledger
from tests.models.test_db import (  # noqa: F401 (PostgreSQL fixtures for every test)
    pg_db,
    pg_server,
    pg_template,
    pg_url,
)


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """Undo what a test left in os.environ: CLI commands run in-process (CliRunner) set e.g.
    PREFECT_LOGGING_LEVEL=WARNING, which would silence the child processes of later tests.
    The cached settings go with it: they were read from the environment the test changed."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
    get_settings.cache_clear()


@dataclass(frozen=True)
class Templates:
    """SQLite files made once per session (per worker), copied into each test's `tmp_path`."""

    migrated: Path  # the newest schema, no rows
    registry: Path  # the same plus the bundled profile's streets, communities and schools


def _settle(path: Path) -> None:
    """Write the WAL back into the file and drop it, so that copying the file copies it all."""
    engine_for(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """Migrate once per session: every `db` is a copy of this file (a copy takes milliseconds,
    running the migrations takes a second)."""
    root = tmp_path_factory.mktemp("templates")
    migrated, registry = root / "migrated.db", root / "registry.db"
    migrate(f"sqlite:///{migrated}")
    _settle(migrated)
    shutil.copyfile(migrated, registry)
    profile, text = load_profile()
    with Session(engine_for(f"sqlite:///{registry}")) as session:
        sync_registry(session, profile=profile, text=text, source="bundled")
        session.commit()
    _settle(registry)
    return Templates(migrated=migrated, registry=registry)


@pytest.fixture
def db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_templates: Templates
) -> Iterator[Path]:
    """Point the settings at `tmp_path` (data dir + SQLite file) holding a migrated database
    (a copy of the session's template); yield the data dir."""
    data_dir = tmp_path / "data"
    database = tmp_path / "test.db"
    shutil.copyfile(database_templates.migrated, database)
    monkeypatch.setenv("LD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LD_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.delenv("LD_APPRISE_CONFIG", raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        # No internet here: the server must not try to send analytics.
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        # A loaded 2-core machine can take over 20 s to start it; the default limit is 30 s.
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def registry(db: Path, database_templates: Templates) -> DistrictProfile:
    """The `db` fixture plus the streets, communities and schools of the bundled profile."""
    # `db` copied the empty schema and nothing has opened it yet: the registry's copy replaces it
    shutil.copyfile(database_templates.registry, db.parent / "test.db")
    profile, _ = load_profile()
    return profile


@pytest.fixture
def hardening() -> Ledger:
    """The run's hardening ledger (tests/hardening.py): record faults, bad inputs, load, leaks."""
    return LEDGER


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need a Prefect server, a child process or PostgreSQL from what
    their code and fixtures use (tests/classify.py): `make unit` leaves them out."""
    classify(items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand the hardening records to the controller, which prints."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["hardening"] = LEDGER.as_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the pytest-xdist controller: gather what a worker recorded into the ledger."""
    LEDGER.merge(getattr(node, "workeroutput", {}).get("hardening", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the hardening summary table when any test recorded into it."""
    if LEDGER.empty():
        return
    terminalreporter.section("hardening summary")
    for line in LEDGER.summary_lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def demo_year(tmp_path_factory: pytest.TempPathFactory) -> DemoYear:
    """The pilot year run once (`learning-district demo`), read by the demo, document and
    privacy tests (tests/demo_year.py). Read it only; copy what a test would change."""
    base = tmp_path_factory.getbasetemp()
    # pytest-xdist gives each worker a folder of the run's; the run's folder is shared
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return shared_demo_year(shared / "shared")
