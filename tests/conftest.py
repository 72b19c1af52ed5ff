"""Shared fixtures: a fresh data directory and database per test, one Prefect test server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.db import migrate, session_scope
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from models.settings import get_settings
from tasks.common.district import sync_registry
from tests.hardening import LEDGER, Ledger


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """Undo what a test left in os.environ: CLI commands run in-process (CliRunner) set e.g.
    PREFECT_LOGGING_LEVEL=WARNING, which would silence the child processes of later tests."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the settings at `tmp_path` (data dir + SQLite file), migrate; yield the data dir."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("LD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LD_DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    monkeypatch.delenv("LD_APPRISE_CONFIG", raising=False)
    get_settings.cache_clear()
    migrate()
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
def registry(db: Path) -> Iterator[DistrictProfile]:
    """The `db` fixture plus the streets, communities and schools of the bundled profile."""
    profile, text = load_profile()
    with session_scope() as session:
        sync_registry(session, profile=profile, text=text, source="bundled")
    yield profile


@pytest.fixture
def hardening() -> Ledger:
    """The run's hardening ledger (tests/hardening.py): record faults, bad inputs, load, leaks."""
    return LEDGER


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the hardening summary table when any test recorded into it."""
    if LEDGER.empty():
        return
    terminalreporter.section("hardening summary")
    for line in LEDGER.summary_lines():
        terminalreporter.write_line(line)
