"""`up` beyond loopback: the Prefect API requires basic auth, served runs authenticate."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from deployments.runtime.up import AUTH_FILE, UpError, api_auth_string, is_loopback


def test_loopback_hosts_are_recognised() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    assert not is_loopback("district-server")  # a name may resolve to a public interface


def test_no_auth_on_loopback_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    assert api_auth_string(host="127.0.0.1", data_dir=tmp_path) == (None, "")
    assert not (tmp_path / AUTH_FILE).exists()
    monkeypatch.setenv("PREFECT_SERVER_API_AUTH_STRING", "ops:from-env")
    assert api_auth_string(host="127.0.0.1", data_dir=tmp_path) == (
        "ops:from-env",
        "from PREFECT_SERVER_API_AUTH_STRING",
    )


def test_generated_auth_string_is_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    value, where = api_auth_string(host="0.0.0.0", data_dir=tmp_path / "data")
    path = tmp_path / "data" / AUTH_FILE
    assert value is not None and value.startswith("operator:") and len(value) > 30
    assert value not in where and str(path.resolve()) in where  # where, never what
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the next start uses the same string, so clients keep working
    assert api_auth_string(host="0.0.0.0", data_dir=tmp_path / "data")[0] == value


def test_an_auth_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    path = tmp_path / AUTH_FILE
    path.write_text("operator:secret\n")
    path.chmod(0o644)
    with pytest.raises(UpError, match="readable by others.*chmod 600"):
        api_auth_string(host="0.0.0.0", data_dir=tmp_path)
    path.chmod(0o600)
    path.write_text("no-colon\n")
    with pytest.raises(UpError, match="user:password"):
        api_auth_string(host="0.0.0.0", data_dir=tmp_path)


def _wait_for_line(log: Path, prefix: str, process: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith(prefix):
                return line
        assert process.poll() is None, log.read_text()
        time.sleep(0.5)
    raise AssertionError(f"no line starting {prefix!r} within {timeout} s:\n{log.read_text()}")


def wait_for_deployment(client: SyncPrefectClient, name: str, timeout: float) -> UUID:
    """The id of a deployment once `up` has registered it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.read_deployment_by_name(name).id
        except ObjectNotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def wait_run_final(client: SyncPrefectClient, run_id: UUID, timeout: float) -> StateType | None:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        run_state = client.read_flow_run(run_id).state
        state = run_state.type if run_state else None
        if run_state is not None and run_state.is_final():
            return state
        time.sleep(1)
    return state


def test_up_beyond_loopback_requires_basic_auth(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LD_"))}
    env["LD_DATA_DIR"] = str(tmp_path / "data")
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "2"  # pick the test's run up quickly
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]
    log = tmp_path / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "up", "--host", "0.0.0.0"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        line = _wait_for_line(log, "Prefect UI: ", process, timeout=180)
        api = line.split()[2] + "/api"
        auth_file = tmp_path / "data" / AUTH_FILE
        assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
        user, password = auth_file.read_text().strip().split(":", 1)

        # health stays open for probes; everything else needs the credentials
        assert httpx.get(f"{api}/health", timeout=10).status_code == 200
        assert httpx.post(f"{api}/flows/filter", json={}, timeout=10).status_code == 401
        wrong = httpx.post(f"{api}/flows/filter", json={}, auth=(user, "guess"), timeout=10)
        assert wrong.status_code == 401

        # A Prefect client with PREFECT_API_AUTH_STRING works (and retries the API's
        # transient 503s on a loaded machine, which a bare request would not).
        settings = {PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: f"{user}:{password}"}
        with temporary_settings(updates=settings), get_client(sync_client=True) as client:
            sweeper = wait_for_deployment(client, "deliver-outbox/sweeper", timeout=120)
            # a run of a served deployment executes in a child process that reports its state
            # through the same API: it completes only if the auth string reached it
            run = client.create_flow_run_from_deployment(sweeper)
            final = wait_run_final(client, run.id, timeout=180)
        assert final == StateType.COMPLETED, log.read_text()
        # and so does a bare request with the credentials, once the API is idle
        ok = httpx.post(f"{api}/flows/filter", json={}, auth=(user, password), timeout=10)
        assert ok.status_code == 200 and any(f["name"] == "deliver-outbox" for f in ok.json())

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    output = log.read_text()
    assert "basic auth on (generated in" in output, output
    assert password not in output  # where to find it is printed, never the value
    assert "Traceback" not in output, output
