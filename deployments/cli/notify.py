"""`learning-district notify …`: deliver the outbox and count it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli.common import ensure_ready, out

notify_app = typer.Typer(help="Notification outbox: deliver and inspect.", no_args_is_help=True)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `notify` command group (no import kinds)."""
    del importers
    app.add_typer(notify_app, name="notify")


@notify_app.command("deliver")
def notify_deliver() -> None:
    """Deliver every pending or failed message (only failed targets are retried)."""
    from tasks.notify.delivery import deliver_pending

    ensure_ready()
    report = deliver_pending()
    out.print(report.model_dump_json(indent=2))
    if report.messages_failed or report.no_target:
        raise typer.Exit(code=1)


@notify_app.command("status")
def notify_status() -> None:
    """Count outbox messages by status."""
    from sqlalchemy import func
    from sqlmodel import select

    from models.db import session_scope
    from models.outbox import OutboxMessage

    ensure_ready()
    with session_scope() as session:
        rows = session.exec(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    for status, count in rows:
        out.print(f"{status}: {count}")
