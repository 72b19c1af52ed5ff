"""The one Prefect API of a command: PREFECT_API_URL, or the data dir's server started quietly.

Prefect's temporary in-process server starts slowly and prints tracebacks at shutdown; a real
`prefect server start` in a child process is quicker to serve and stops cleanly. Every thread of
the process sees the same API (a flow run in a worker thread, Prefect's own threads), and a
server started here is stopped however the command ends: normally, Ctrl-C, SIGTERM, SIGHUP.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from deployments.runtime.environment import CONSOLE_LEVEL_VARIABLE, TELEMETRY_OFF
from models.refusal import Refusal
from models.settings import get_settings

logger = logging.getLogger(__name__)

# Settings every server we start gets (no internet; keep up with many task runs).
SERVER_ENV = {
    **TELEMETRY_OFF,
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "50",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_UI_ENABLED": "true",
    # One UI: the one the run addresses printed here lead to, whose forms are tested in Chinese.
    "PREFECT_SERVER_UI_V2_ENABLED": "false",
}
# Addresses meaning "every interface": listened on, but not connected to.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
# Signals that end a command as Ctrl-C does (with its clean-up); SIGHUP: the terminal closed.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """The command was asked to stop by a signal; unwinds like Ctrl-C, cleaning up on the way.

    Not an `Exception`: nothing on the way catches it by accident.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into `Stopped` in the main thread while the block runs.

    Only the first signal interrupts; the clean-up it starts is not interrupted again.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        if not stopping.is_set():
            stopping.set()
            raise Stopped(signum)

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)


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


class ServerUnavailable(Refusal):
    """The local Prefect server did not come up: nothing was run, the command can be retried."""


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 20) -> None:
    """Stop a child process group with SIGINT (clean shutdown), then SIGKILL if it lingers.

    A Ctrl-C while waiting kills the group at once rather than leave it behind.
    """
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=grace)
    except (ProcessLookupError, PermissionError):
        return
    except (subprocess.TimeoutExpired, KeyboardInterrupt, Stopped):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
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
    env.pop(CONSOLE_LEVEL_VARIABLE, None)  # the server's log file keeps everything
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
    """Yield the Prefect API URL of this process: PREFECT_API_URL if set, else a local server.

    A server started here listens on `host`; with `auth_string` it requires basic auth, and
    this process and its children (served flow runs) authenticate with it. Its address is
    given to every thread (the environment and Prefect's global settings), and it is stopped
    when the block ends, also on Ctrl-C, SIGTERM and SIGHUP (`Stopped`).
    """
    from prefect.settings import PREFECT_API_URL

    existing = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    if existing:
        # a URL from a settings context (not the environment) is not seen by a worker thread,
        # which would otherwise run its flow on a temporary server of its own
        with every_thread({"PREFECT_API_URL": existing}):
            yield existing
        return
    # A server started with the operator's PREFECT_SERVER_API_AUTH_STRING needs its clients too.
    auth_string = auth_string or os.environ.get("PREFECT_SERVER_API_AUTH_STRING") or None
    with stop_on_signals():
        process, api_url, log_file = start_server(host=host, auth_string=auth_string)
        client_env = {"PREFECT_API_URL": api_url}
        if auth_string is not None:
            client_env["PREFECT_API_AUTH_STRING"] = auth_string
        try:
            try:
                wait_healthy(api_url, timeout=timeout, process=process, log_file=log_file)
            except (TimeoutError, RuntimeError) as exc:
                logger.error("%s (server log: %s)", exc, log_file)
                raise ServerUnavailable(
                    f"本机的流程服务在{timeout:g}秒内未能启动，本次未办理任何事项。"
                    "请稍后重试；如仍不行，请联系系统管理员查看流程服务日志"
                ) from None
            with every_thread(client_env):
                try:
                    yield api_url
                finally:
                    with contextlib.suppress(Exception):  # the server may be gone already
                        flush_to_api()
        finally:
            stop_process(process)


@contextmanager
def every_thread(env: dict[str, str]) -> Iterator[None]:
    """Prefect settings from `env` for every thread of this process while the block runs.

    A thread without a settings context of its own (a flow run started in a worker thread,
    Prefect's event and log workers) reads Prefect's global settings, computed when Prefect
    was imported: they are rebuilt from the environment on the way in, and the global settings
    that were in force before (perhaps not the environment's) are put back on the way out.
    """
    import prefect.context
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    known = {"PREFECT_API_URL": PREFECT_API_URL, "PREFECT_API_AUTH_STRING": PREFECT_API_AUTH_STRING}
    saved = {name: os.environ.get(name) for name in env}
    prior_global = prefect.context.GLOBAL_SETTINGS_CONTEXT
    os.environ.update(env)
    refresh_global_settings_context()
    updates: dict[Any, Any] = {known[name]: value for name, value in env.items() if name in known}
    try:
        with temporary_settings(updates=updates):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        prefect.context.GLOBAL_SETTINGS_CONTEXT = prior_global


def flush_to_api() -> None:
    """Send buffered run logs and events before the server goes away (no errors at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    EventsWorker.drain_all(timeout=10)
