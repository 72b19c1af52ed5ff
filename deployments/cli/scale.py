"""`learning-district scale-out …`: run one role of the multi-machine topology, or all locally.

Every machine gets the same `LD_SCALE_*` and `LD_DATABASE_URL` settings (models/settings.py)
and runs one role; README "Scale-out" says which machine runs what.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import typer

from models.settings import ScaleOutSettings

scale_app = typer.Typer(
    help="Scale-out topology: Prefect on PostgreSQL + Redis, API replicas, process workers."
)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `scale-out` command group (it has no import kinds)."""
    del importers
    app.add_typer(scale_app, name="scale-out")


def _settings() -> ScaleOutSettings:
    """The scale-out settings, or a clear error naming the missing variables."""
    from pydantic import ValidationError

    from deployments.cli.common import fail

    try:
        return ScaleOutSettings()
    except ValidationError as exc:
        missing = ", ".join(
            f"LD_SCALE_{str(e['loc'][0]).upper()}" for e in exc.errors() if e.get("loc")
        )
        raise fail(f"scale-out needs {missing} (see README, Scale-out)") from None


@scale_app.command("upgrade")
def upgrade_cmd() -> None:
    """Create or migrate the Prefect server's PostgreSQL database (once per Prefect release)."""
    from deployments.cli.common import ensure_ready, fail, out
    from deployments.runtime.topology import upgrade_database

    scale = _settings()
    try:
        upgrade_database(scale)
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    ensure_ready()  # and the application database
    out.print("Prefect and application databases are up to date")


@scale_app.command("register")
def register_cmd(
    schedules: bool = typer.Option(True, help="Register the yearly/daily schedules too."),
) -> None:
    """Register every deployment on the process work pool (needs PREFECT_API_URL)."""
    from deployments.cli.common import ensure_ready, fail, out
    from deployments.runtime.topology import register_deployments
    from models.db import session_scope
    from tasks.common.district import active_profile

    scale = _settings()
    if not os.environ.get("PREFECT_API_URL"):
        raise fail("register needs PREFECT_API_URL: the address of one API process")
    ensure_ready()
    with session_scope() as session:
        profile = active_profile(session)
    names = register_deployments(profile, work_pool=scale.work_pool, schedules=schedules)
    out.print(f"{len(names)} deployments on work pool {scale.work_pool}: {', '.join(names)}")


@scale_app.command("run")
def run_cmd(
    role: str = typer.Argument(..., help="api | services | worker | task-worker"),
    host: str = typer.Option("127.0.0.1", help="api: the address to listen on."),
    port: int = typer.Option(4200, help="api: the port to listen on."),
    queue: list[str] = typer.Option(
        [], help="worker: work queues to poll (repeat); default every queue of the pool."
    ),
    name: str = typer.Option("", help="worker: a name shown in the UI."),
) -> None:
    """Run one role in the foreground with its settings (Ctrl-C stops it)."""
    from deployments.cli.common import fail
    from deployments.runtime.topology import ROLES, role_command, role_env

    if role not in ROLES:
        raise fail(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    scale = _settings()
    api_url = os.environ.get("PREFECT_API_URL", "")
    try:
        env = {**os.environ, **role_env(role, scale=scale, api_url=api_url)}
    except ValueError as exc:
        raise fail(str(exc)) from None
    command = role_command(role, scale=scale, host=host, port=port, queues=queue, name=name)
    os.execvpe(command[0], command, env)


@scale_app.command("local")
def local_cmd(
    sample_year: int = typer.Option(
        0, help="Also store a generated rehearsal year's inputs (0: none)."
    ),
    seed: int = typer.Option(2026, help="Seed of the rehearsal year."),
) -> None:
    """Start the whole topology on this machine: two API processes, services, two workers,
    a task worker per API process. Ctrl-C stops everything."""
    from deployments.cli.common import ensure_ready, out
    from deployments.runtime.server import stop_on_signals
    from deployments.runtime.topology import local_topology
    from models.db import session_scope
    from tasks.common.district import active_profile
    from tasks.samples.year import seed_sample_year

    scale = _settings()
    ensure_ready()
    if sample_year:
        stored = seed_sample_year(sample_year, seed=seed)
        out.print(f"rehearsal year {sample_year} (seed {seed}): {stored}")
    with session_scope() as session:
        profile = active_profile(session)
    out.print("starting the topology (Prefect database upgrade first) …")
    try:
        with stop_on_signals(), local_topology(profile, scale=scale) as (topology, api_a, api_b):
            out.print(f"API A: {api_a}  (UI {api_a.removesuffix('/api')})")
            out.print(f"API B: {api_b}  (UI {api_b.removesuffix('/api')})")
            out.print(f"logs: {topology.home}; Ctrl-C stops everything")
            while not (exited := topology.exited()):
                time.sleep(2)
            out.print(f"[red]stopped unexpectedly:[/red] {', '.join(exited)}")
    except KeyboardInterrupt:
        out.print("stopping …")
