"""Settings: `LD_*` environment variables and `.env`, read lazily once per process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from models.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET_URL = "postgresql+psycopg://clerk:hunter2@db.example/district"


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No `LD_*` variables, the working directory an empty tmp_path, no cached settings."""
    for name in list(os.environ):
        if name.upper().startswith("LD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_defaults_put_everything_under_the_data_dir(clean_env: Path) -> None:
    settings = Settings()

    assert settings.data_dir == Path(".learning-district")
    assert settings.database_url is None
    assert settings.profile is None
    assert settings.apprise_config is None
    assert "timezone" not in Settings.model_fields  # the profile names the district's zone
    database = (clean_env / ".learning-district" / "learning-district.db").resolve()
    assert settings.sqlalchemy_url == f"sqlite:///{database}"
    assert settings.outbox_file == Path(".learning-district/outbox.jsonl")
    assert settings.reports_dir == Path(".learning-district/reports")


def test_env_vars_with_the_ld_prefix_are_read(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LD_DATA_DIR", str(clean_env / "elsewhere"))
    monkeypatch.setenv("LD_APPRISE_CONFIG", "apprise.yaml")
    monkeypatch.setenv("LD_PROFILE", "district.yaml")
    monkeypatch.setenv("DATA_DIR", "/not/without/the/prefix")

    settings = Settings()

    assert settings.data_dir == clean_env / "elsewhere"
    assert settings.apprise_config == Path("apprise.yaml")
    assert settings.profile == Path("district.yaml")
    database = (clean_env / "elsewhere" / "learning-district.db").resolve()
    assert settings.sqlalchemy_url == f"sqlite:///{database}"
    assert settings.outbox_file == clean_env / "elsewhere" / "outbox.jsonl"


def test_dotenv_file_in_the_working_directory_is_read(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text(
        f"LD_DATA_DIR=from-dotenv\nLD_DATABASE_URL={SECRET_URL}\nUNRELATED=1\n", encoding="utf-8"
    )

    settings = Settings()

    assert settings.data_dir == Path("from-dotenv")
    assert settings.sqlalchemy_url == SECRET_URL

    # The environment wins over .env.
    monkeypatch.setenv("LD_DATA_DIR", "from-env")
    assert Settings().data_dir == Path("from-env")


def test_database_url_overrides_the_sqlite_default(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LD_DATABASE_URL", SECRET_URL)
    assert Settings().sqlalchemy_url == SECRET_URL


def test_database_url_is_secret_and_never_shown(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LD_DATABASE_URL", SECRET_URL)

    settings = Settings()

    assert isinstance(settings.database_url, SecretStr)
    assert settings.database_url.get_secret_value() == SECRET_URL
    for shown in (repr(settings), str(settings), repr(settings.database_url)):
        assert "hunter2" not in shown
        assert "db.example" not in shown
    assert "hunter2" not in settings.model_dump_json()


def test_get_settings_is_lazy_and_cached(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_DATA_DIR", "first")
    first = get_settings()

    monkeypatch.setenv("LD_DATA_DIR", "second")
    assert get_settings() is first, "read once, on first use"
    assert get_settings().data_dir == Path("first")

    get_settings.cache_clear()
    assert get_settings().data_dir == Path("second")


def test_importing_the_modules_reads_no_settings(clean_env: Path) -> None:
    # Prefect imports modules at deploy time: settings must be read on first use, not at import.
    # A fresh interpreter, because this one has long since used them.
    modules = [
        "models.tables",
        "models.db",
        "tasks.common.district",
        "tasks.importing.kinds",
        "deployments.cli.app",
    ]
    code = (
        f"import {', '.join(modules)}\n"
        "from models.settings import get_settings\n"
        "assert get_settings.cache_info().misses == 0, get_settings.cache_info()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LD_DATA_DIR": "/nonexistent/never-read"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=clean_env, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert not Path("/nonexistent/never-read").exists()
