"""Secrets (Apprise tokens and passwords, the database password) never reach logs, artifacts,
stored errors, reports or command output — also when delivery fails and debug logging is on."""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import select
from typer.testing import CliRunner, Result

from deployments.cli.app import app
from flows.teacher_secondment import teacher_secondment
from models.db import engine_for, migrate, session_scope
from models.outbox import DeliveryAttempt
from models.params.secondment import SecondmentParameters
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from models.settings import get_settings
from tasks.common.district import sync_registry
from tasks.common.redaction import REDACTED
from tests.factories import seed_roster
from tests.hardening import Ledger
from tests.security.scan import Item, everything_in_prefect, outbox_items, report_files

JSON_PASSWORD = "jsonPw-7Q2zK9x"
TEMPLATE_TOKEN = "tmplTok5a8c3e1f9b"  # from APPRISE_TEMPLATE_DINGTALK_TOKEN
LITERAL_TOKEN = "litTok0d4f7a2c6e"  # written into the config file itself
DB_PASSWORD = "dbPw-Hq83nZr"
BUNDLED_PROFILE = Path(__file__).parents[2] / "models" / "profile" / "default_profile.yaml"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def closed_port() -> int:
    """A local port nobody listens on (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_apprise_config(path: Path) -> Path:
    """Three failing targets: a json:// sink with a password (every message), and for one
    street's messages a DingTalk robot whose token is a template variable and one whose token
    is written in the file. (Apprise waits 5.5 s between two sends to one DingTalk robot:
    a few messages keep the test quick.)"""
    path.write_text(
        f"""\
version: 1
template:
  - dingtalk_token
urls:
  - json://ld-user:{JSON_PASSWORD}@127.0.0.1:{closed_port()}/hook:
      tag: sink-json, fallback
  - dingtalk://${{dingtalk_token}}/:
      tag: dingtalk-template, street-嘉兴路街道
  - dingtalk://{LITERAL_TOKEN}/:
      tag: dingtalk-literal, street-嘉兴路街道
""",
        encoding="utf-8",
    )
    return path


def cli(*args: str) -> Item:
    """Run a command in this process; its output and any exception with its traceback."""
    result: Result = CliRunner().invoke(app, list(args))
    text = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += "".join(traceback.format_exception(result.exception))
    return Item(f"`learning-district {' '.join(args)}` (exit {result.exit_code})", text)


def everything(data_dir: Path, caplog: pytest.LogCaptureFixture, *extra: Item) -> list[Item]:
    with get_client(sync_client=True) as client:
        items = everything_in_prefect(client)
    items += outbox_items()
    items += report_files(data_dir)
    items += [Item(f"log record {r.name}", r.getMessage()) for r in caplog.records]
    return [*items, *extra]


def debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    """Debug level on the loggers that print request URLs (the whole tree would crawl)."""
    for name in ("apprise", "urllib3", "alembic", "deployments", "tasks", "flows"):
        caplog.set_level(logging.DEBUG, logger=name)


def run_secondment() -> None:
    state = asyncio.run(
        teacher_secondment(SecondmentParameters(year=2026, approval="auto"), return_state=True)
    )
    assert state.is_completed(), state.message


@pytest.mark.usefixtures("prefect_harness")
def test_apprise_secrets_stay_out_of_logs_errors_and_output(
    registry: DistrictProfile,
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    hardening: Ledger,
) -> None:
    monkeypatch.setenv("LD_APPRISE_CONFIG", str(write_apprise_config(tmp_path / "apprise.yml")))
    monkeypatch.setenv("APPRISE_TEMPLATE_DINGTALK_TOKEN", TEMPLATE_TOKEN)
    get_settings.cache_clear()
    seed_roster(registry, count=60, seed=5)
    # An operator chasing a failed delivery turns debug logging on: Apprise then logs request
    # URLs (DingTalk's access_token) and urllib3 the request lines.
    debug_logging(caplog)

    run_secondment()
    deliver = cli("notify", "deliver")  # the retry an operator runs; fails again
    outputs = [
        deliver,
        cli("notify", "status"),
        cli("profile-check", str(BUNDLED_PROFILE)),
        cli("profile-check", str(tmp_path / "apprise.yml")),  # a wrong file: an error message
    ]
    captured = capfd.readouterr()
    outputs.append(Item("stdout and stderr", captured.out + captured.err))

    with session_scope() as session:
        errors = [a.error for a in session.exec(select(DeliveryAttempt)) if not a.ok]
    assert len(errors) >= 3 and all(errors)  # every target failed, with a stored reason
    assert {e.split(":")[0] for e in errors} == {
        "sink-json",
        "dingtalk-template",
        "dingtalk-literal",
    }
    assert "exit 1" in deliver.source and "sink-json" in deliver.text
    # The debug records were there and were redacted, not absent: the scan below can fail.
    debug_text = "\n".join(r.getMessage() for r in caplog.records if r.name == "apprise")
    assert f"access_token={REDACTED}" in debug_text

    items = everything(db, caplog, *outputs)
    secrets = (JSON_PASSWORD, TEMPLATE_TOKEN, LITERAL_TOKEN)
    leaks = [(item.source, s) for item in items for s in secrets if s in item.text]
    hardening.leaks(
        "secrets: Apprise tokens/password, failing delivery", scanned=len(items), found=len(leaks)
    )
    assert len(items) > 100
    assert leaks == []


def test_database_password_stays_out_of_connection_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hardening: Ledger
) -> None:
    # Nothing listens on this port: every command fails connecting, and says so.
    url = f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:{closed_port()}/ld"
    monkeypatch.setenv("LD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LD_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        outputs = [cli("notify", "status"), cli("init"), cli("import", "teachers", "x.csv")]
    finally:
        get_settings.cache_clear()
    assert all("exit 0" not in item.source for item in outputs)
    assert any("127.0.0.1" in item.text for item in outputs)  # the error says where it failed
    leaks = [item.source for item in outputs if DB_PASSWORD in item.text]
    hardening.leaks(
        "secrets: database password, connection errors", scanned=len(outputs), found=len(leaks)
    )
    assert leaks == []


@pytest.fixture
def pg_password_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh PostgreSQL database reached through a URL with a password (trust auth ignores
    it); the data dir under tmp_path. Skips, saying why, when PostgreSQL is not reachable."""
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}".strip())
    name = f"ld_secrets_{tmp_path.name.lower().replace('-', '_')}"[:60]
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres:{DB_PASSWORD}@127.0.0.1:5432/{name}"
    data_dir = tmp_path / "data"
    monkeypatch.setenv("LD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("LD_DATABASE_URL", url)
    monkeypatch.delenv("LD_APPRISE_CONFIG", raising=False)
    get_settings.cache_clear()
    try:
        migrate()
        yield data_dir
    finally:
        get_settings.cache_clear()
        engine_for(url).dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.usefixtures("prefect_harness")
def test_database_password_stays_out_of_a_run(
    pg_password_db: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    hardening: Ledger,
) -> None:
    profile, text = load_profile()
    with session_scope() as session:
        sync_registry(session, profile=profile, text=text, source="bundled")
    seed_roster(profile, count=60, seed=6)
    debug_logging(caplog)

    run_secondment()
    outputs = [cli("notify", "status"), cli("notify", "deliver")]
    captured = capfd.readouterr()
    outputs.append(Item("stdout and stderr", captured.out + captured.err))

    assert "delivered" in outputs[0].text  # the run wrote to this database and delivered
    items = everything(pg_password_db, caplog, *outputs)
    leaks = [item.source for item in items if DB_PASSWORD in item.text]
    hardening.leaks(
        "secrets: database password, PostgreSQL run", scanned=len(items), found=len(leaks)
    )
    assert len(items) > 100
    assert leaks == []
