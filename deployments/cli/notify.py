"""`learning-district notify …`: deliver the outbox and count it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli.common import ensure_ready, fail, out

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


@notify_app.command("targets")
def notify_targets() -> None:
    """Targets that are paced, throttled or held, and why a held one is held."""
    from tasks.notify.targets import stored_targets

    ensure_ready()
    rows = stored_targets()
    if not rows:
        out.print("没有被限流或暂停的通知渠道。")
        return
    for row in rows:
        if row.held_reason:
            state = f"已暂停：{row.held_reason}"
        elif row.blocked_until is not None:
            state = f"限流至 {row.blocked_until:%Y-%m-%d %H:%M:%S} UTC"
        else:
            state = f"正常（近期发送 {len(row.recent_sends or [])} 条）"
        out.print(f"{row.name}：{state}", highlight=False)


@notify_app.command("resume")
def notify_resume(
    target: str = typer.Argument(..., help="The target's name (its own tag in the Apprise config)"),
) -> None:
    """Resume a held target once its settings were fixed at the vendor (keyword, IP list)."""
    from tasks.notify.targets import resume

    ensure_ready()
    if not resume(target):
        raise fail(f"通知渠道“{target}”没有被暂停或限流，无需恢复。")
    out.print(f"通知渠道“{target}”已恢复，下次发送时重新尝试。")
