"""The scale-out pieces that need no running topology: roles, settings, entrypoints, outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from deployments.runtime.topology import (
    DEFAULT_QUEUE,
    EVENTS_QUEUE,
    module_entrypoint,
    role_command,
    role_env,
    server_env,
)
from models.db import session_scope
from models.ideas import Idea
from models.settings import ScaleOutSettings
from tasks.samples.outcome import outcome_differences, outcome_digest, year_outcome
from tasks.samples.year import seed_sample_year


@pytest.fixture
def scale(tmp_path: Path) -> ScaleOutSettings:
    return ScaleOutSettings(
        prefect_database_url="postgresql+asyncpg://prefect:pw@db:5432/prefect",  # type: ignore[arg-type]
        redis_url="redis://cache:6379/0",  # type: ignore[arg-type]
        storage_path=tmp_path / "shared",
    )


def test_module_entrypoint_is_independent_of_the_working_directory() -> None:
    assert module_entrypoint("flows/annual_cycle.py:annual_cycle") == (
        "flows.annual_cycle.annual_cycle"
    )
    assert module_entrypoint("flows.annual_cycle.annual_cycle") == (
        "flows.annual_cycle.annual_cycle"
    )


def test_server_roles_get_postgres_redis_and_no_migration_race(scale: ScaleOutSettings) -> None:
    env = server_env(scale)
    assert env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert env["PREFECT_API_DATABASE_MIGRATE_ON_START"] == "false"
    assert env["PREFECT_MESSAGING_BROKER"] == "prefect_redis.messaging"
    assert env["PREFECT_SERVER_DOCKET_URL"] == "redis://cache:6379/0"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert role_env("api", scale=scale) == env == role_env("services", scale=scale)


def test_client_roles_need_an_api_address(scale: ScaleOutSettings) -> None:
    with pytest.raises(ValueError, match="PREFECT_API_URL"):
        role_env("worker", scale=scale)
    env = role_env("task-worker", scale=scale, api_url="http://api-b:4200/api")
    assert env["PREFECT_API_URL"] == "http://api-b:4200/api"
    assert env["PREFECT_LOCAL_STORAGE_PATH"] == str(scale.storage_path)
    assert "PREFECT_API_DATABASE_CONNECTION_URL" not in env  # workers never see that password


def test_role_commands(scale: ScaleOutSettings) -> None:
    api = role_command("api", scale=scale, host="0.0.0.0", port=4300)
    assert "--no-services" in api and api[-4:] == ["--host", "0.0.0.0", "--port", "4300"]
    assert role_command("services", scale=scale)[-3:] == ["server", "services", "start"]
    worker = role_command(
        "worker", scale=scale, queues=[DEFAULT_QUEUE, EVENTS_QUEUE], name="machine-2"
    )
    assert worker[worker.index("--pool") + 1] == "district"
    assert worker.count("--work-queue") == 2 and worker[-2:] == ["--name", "machine-2"]
    assert role_command("task-worker", scale=scale)[-2:] == ["ideas", "worker"]
    with pytest.raises(ValueError, match="unknown role"):
        role_command("scheduler", scale=scale)


def test_cli_names_the_missing_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LD_SCALE_PREFECT_DATABASE_URL", raising=False)
    monkeypatch.setenv("LD_SCALE_REDIS_URL", "")
    result = CliRunner().invoke(app, ["scale-out", "run", "api"])
    assert result.exit_code == 1
    assert "LD_SCALE_PREFECT_DATABASE_URL" in result.output
    assert "LD_SCALE_REDIS_URL" in result.output


def test_cli_refuses_an_unknown_role() -> None:
    result = CliRunner().invoke(app, ["scale-out", "run", "scheduler"])
    assert result.exit_code == 1
    assert "unknown role" in result.output


def test_outcome_is_reproducible_and_notices_a_changed_decision(db: Path) -> None:
    first = seed_sample_year(2026, seed=3, teachers=20, ideas=15, nominations_per_category=2)
    assert first.teachers == 20 and first.ideas > 0 and first.nominations > 0
    again = seed_sample_year(2026, seed=3, teachers=20, ideas=15, nominations_per_category=2)
    assert again.teachers == again.ideas == again.nominations == again.scores == 0

    before = year_outcome(2026)
    assert before["idea"] and outcome_differences(before, year_outcome(2026)) == []
    with session_scope() as session:
        idea = session.exec(select(Idea).where(Idea.year == 2026)).first()
        assert idea is not None
        idea.title = idea.title + "（改）"
        session.add(idea)
    after = year_outcome(2026)
    differences = outcome_differences(before, after)
    assert len(differences) == 1 and differences[0].startswith("idea: ")
    assert outcome_digest(before) != outcome_digest(after)
