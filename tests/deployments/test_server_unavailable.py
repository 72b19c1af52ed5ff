"""A local Prefect server that does not come up ends the command with a Chinese refusal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli.app import app
from deployments.runtime import server
from deployments.runtime.server import ServerUnavailable, free_port, prefect_api


@pytest.fixture
def silent_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """`start_server` replaced by a process that listens nowhere: the health check never answers."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**_: object) -> tuple[subprocess.Popen[bytes], str, Path]:
        process = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
        )
        started.append(process)
        return process, f"http://127.0.0.1:{free_port()}/api", tmp_path / "server.log"

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(server, "start_server", start)
    monkeypatch.setattr("prefect.settings.PREFECT_API_URL.value", lambda: None)
    return started


def test_a_server_that_never_answers_is_a_refusal_and_is_stopped(
    silent_server: list[subprocess.Popen[bytes]],
) -> None:
    with pytest.raises(ServerUnavailable) as exc, prefect_api(timeout=1):
        pytest.fail("the block must not run without a server")

    assert "流程服务在1秒内未能启动" in str(exc.value)
    assert "未办理任何事项" in str(exc.value)
    (process,) = silent_server
    assert process.poll() is not None, "the server that did not answer is stopped"


def test_the_command_line_says_so_in_chinese(
    db: Path, silent_server: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = server.wait_healthy

    def impatient(api_url: str, **kwargs: object) -> None:
        real(api_url, **{**kwargs, "timeout": 1})  # type: ignore[arg-type]

    monkeypatch.setattr(server, "wait_healthy", impatient)
    result = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"}).invoke(app, ["portal"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "未办理：本机的流程服务在120秒内未能启动" in result.stderr
    assert silent_server and all(p.poll() is not None for p in silent_server)
