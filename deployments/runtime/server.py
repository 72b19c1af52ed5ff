"""A local Prefect server for the command line: reuse PREFECT_API_URL, or start one quietly.

Prefect's temporary in-process server starts slowly and prints tracebacks at shutdown; a real
`prefect server start` in a child process is quicker to serve and stops cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from models.settings import get_settings

logger = logging.getLogger(__name__)

# Settings every server we start gets (no internet; keep up with many task runs).
SERVER_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "50",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_UI_ENABLED": "true",
}
# Addresses meaning "every interface": listened on, but not connected to.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    api_url: str,
    *,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
    log_file: Path | None = None,
) -> None:
    """Wait until the API answers its health check; explain clearly when it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log_file.read_text(errors="replace")[-2000:] if log_file else ""
            raise RuntimeError(f"the Prefect server exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the Prefect server at {api_url} did not answer within {timeout:g} s")


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 20) -> None:
    """Stop a child process group with SIGINT (clean shutdown), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=grace)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start_server(
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    home: Path | None = None,
    auth_string: str | None = None,
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start `prefect server start` in its own process group; return it, its API URL, its log.

    With `auth_string` ("user:password") the server requires HTTP basic auth on every API
    call but its health check (PREFECT_SERVER_API_AUTH_STRING); clients need the same string
    as PREFECT_API_AUTH_STRING. A wildcard `host` (0.0.0.0, ::) is reached locally through
    127.0.0.1 and by browsers through this machine's host name.
    """
    settings = get_settings()
    port = port or free_port()
    home = home or (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    log_file = home / "server.log"
    env = {**os.environ, **SERVER_ENV, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    if auth_string is not None:
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth_string
    wildcard = host in WILDCARD_HOSTS
    local_host = "127.0.0.1" if wildcard else host
    # The UI calls the API at this address; by default it would assume port 4200.
    env["PREFECT_UI_API_URL"] = f"http://{socket.gethostname() if wildcard else host}:{port}/api"
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                host,
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    return process, f"http://{local_host}:{port}/api", log_file


@contextmanager
def prefect_api(
    *, timeout: float = 120, host: str = "127.0.0.1", auth_string: str | None = None
) -> Iterator[str]:
    """Yield a Prefect API URL for this process: PREFECT_API_URL if set, else a local server.

    A server started here listens on `host`; with `auth_string` it requires basic auth, and
    this process and its children (served flow runs) authenticate with it.
    """
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    existing = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    if existing:
        yield existing
        return
    # A server started with the operator's PREFECT_SERVER_API_AUTH_STRING needs its clients too.
    auth_string = auth_string or os.environ.get("PREFECT_SERVER_API_AUTH_STRING") or None
    process, api_url, log_file = start_server(host=host, auth_string=auth_string)
    client_env = {"PREFECT_API_URL": api_url}
    if auth_string is not None:
        client_env["PREFECT_API_AUTH_STRING"] = auth_string
    try:
        wait_healthy(api_url, timeout=timeout, process=process, log_file=log_file)
        os.environ.update(client_env)
        updates: dict[Any, Any] = {PREFECT_API_URL: api_url}
        if auth_string is not None:
            updates[PREFECT_API_AUTH_STRING] = auth_string
        with temporary_settings(updates=updates):
            yield api_url
    finally:
        flush_to_api()
        for name in client_env:
            os.environ.pop(name, None)
        stop_process(process)


def flush_to_api() -> None:
    """Send buffered run logs and events before the server goes away (no errors at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    EventsWorker.drain_all(timeout=10)
