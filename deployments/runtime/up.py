"""`learning-district up`: a local Prefect server, every deployment served and the participant
portal beside them (one process: the portal announces to this server), until Ctrl-C."""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console

HEALTH_EVERY = 60.0  # seconds between health lines
AUTH_FILE = "prefect-api-auth"  # in the data dir: the generated "user:password", mode 0600
AUTH_USER = "operator"


class UpError(Exception):
    """`up` cannot start as asked; the message says what to change."""


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses; any other name counts as reachable."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to a public interface: require auth


def api_auth_string(*, host: str, data_dir: Path) -> tuple[str | None, str]:
    """The basic-auth string for a server on `host`, and where it comes from (never the value).

    PREFECT_SERVER_API_AUTH_STRING from the environment wins on any host. Beyond loopback
    without it, the string is read from (or generated into) `<data dir>/prefect-api-auth`,
    which only its owner may read; a file others can read is refused.
    """
    from_env = os.environ.get("PREFECT_SERVER_API_AUTH_STRING", "").strip()
    if from_env:
        return from_env, "from PREFECT_SERVER_API_AUTH_STRING"
    if is_loopback(host):
        return None, ""
    path = (data_dir / AUTH_FILE).resolve()
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise UpError(
                f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}` "
                "or delete it to generate a new one"
            )
        value = path.read_text(encoding="utf-8").strip()
        if ":" not in value:
            raise UpError(f"{path} must hold one line 'user:password'; delete it to regenerate")
        return value, f"in {path}"
    data_dir.mkdir(parents=True, exist_ok=True)
    value = f"{AUTH_USER}:{secrets.token_urlsafe(24)}"
    # O_EXCL: never follow or overwrite a file someone put there; 0600 from the first byte.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value, f"generated in {path}"


def health_line(api_url: str) -> str:
    """One line on the state of the server and the outbox, for the operator's terminal."""
    from sqlalchemy import func
    from sqlmodel import select

    from models.db import session_scope
    from models.outbox import OutboxMessage

    try:
        api = "ok" if httpx.get(f"{api_url}/health", timeout=5).status_code == 200 else "failing"
    except httpx.HTTPError as exc:
        api = f"unreachable ({type(exc).__name__})"
    with session_scope() as session:
        counts = dict(
            session.exec(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    waiting = counts.get("pending", 0) + counts.get("failed", 0)
    return f"{time.strftime('%H:%M:%S')} health: API {api}; outbox {waiting} waiting, " + (
        f"{counts.get('no_target', 0)} without target, {counts.get('delivered', 0)} delivered"
    )


def _report_health(api_url: str, console: Console, stop: threading.Event) -> None:
    while not stop.wait(HEALTH_EVERY):
        console.print(health_line(api_url), highlight=False)


def run_up(*, console: Console, host: str = "127.0.0.1", portal_port: int = 8765) -> None:
    """Start (or reuse) the Prefect API, serve every deployment and the portal (on `host`,
    `portal_port`), stop cleanly on Ctrl-C.

    A server listening beyond loopback requires basic auth (`api_auth_string`); the string is
    never printed, only where it is kept.
    """
    from prefect import serve

    from deployments.catalog import build_deployments
    from deployments.portal.serve import PortalNotStarted, portal_thread
    from deployments.runtime.server import prefect_api
    from models.db import session_scope
    from models.settings import get_settings
    from tasks.common.district import active_profile
    from tasks.common.events import PrefectApi

    with session_scope() as session:
        profile = active_profile(session)
    deployments = build_deployments(profile)
    if os.environ.get("PREFECT_API_URL"):
        console.print(
            "using the Prefect API at PREFECT_API_URL (--host applies to a server up starts)"
        )
        auth: str | None = None
    else:
        auth, where = api_auth_string(host=host, data_dir=get_settings().data_dir)
        if auth is not None:
            console.print(
                f"Prefect API basic auth on ({where}); give clients that value as "
                "PREFECT_API_AUTH_STRING, the UI asks for it at login",
                highlight=False,
            )
    try:
        with (
            prefect_api(host=host, auth_string=auth) as api_url,
            portal_thread(
                host=host, port=portal_port, prefect=PrefectApi.current() or PrefectApi(url=api_url)
            ) as portal_url,
        ):
            console.print(f"Prefect UI: {api_url.removesuffix('/api')}  (Ctrl-C stops everything)")
            console.print(
                f"Portal: {portal_url}  (links in messages: {get_settings().public_url}/r/…)",
                highlight=False,
            )
            for d in deployments:
                console.print(f"  serving {d.flow_name}/{d.name}")
            console.print(health_line(api_url), highlight=False)
            stop = threading.Event()
            reporter = threading.Thread(
                target=_report_health, args=(api_url, console, stop), daemon=True
            )
            reporter.start()
            try:
                serve(*deployments, print_starting_message=False)
            except KeyboardInterrupt:
                pass
            finally:
                stop.set()
    except PortalNotStarted as exc:
        raise UpError(
            f"参与平台无法在 {exc} 上启动（端口可能已被占用），请用 --portal-port 指定其他端口"
        ) from None
    console.print("stopped")
