"""`learning-district up`: a local Prefect server and every deployment served, until Ctrl-C."""

from __future__ import annotations

import threading
import time

import httpx
from rich.console import Console

HEALTH_EVERY = 60.0  # seconds between health lines


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


def run_up(*, console: Console) -> None:
    """Start (or reuse) the Prefect API, serve every deployment, stop cleanly on Ctrl-C."""
    from prefect import serve

    from deployments.catalog import build_deployments
    from deployments.server import prefect_api
    from models.db import session_scope
    from tasks.registry import active_profile

    with session_scope() as session:
        profile = active_profile(session)
    deployments = build_deployments(profile)
    with prefect_api() as api_url:
        console.print(f"Prefect UI: {api_url.removesuffix('/api')}  (Ctrl-C stops everything)")
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
    console.print("stopped")
