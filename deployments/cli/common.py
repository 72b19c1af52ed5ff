"""What every command group shares: the consoles, a clean failure, a ready database."""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    from rich.markup import escape

    # the message quotes file contents (cells, headers): "[/x]" there is text, not rich markup
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(code=1)


def ensure_ready() -> None:
    """Create or migrate the database and load the bundled profile if none is loaded yet."""
    from sqlmodel import select

    from models.db import migrate, session_scope
    from models.registry import StoredProfile
    from tasks.common.district import init_registry

    migrate()
    with session_scope() as session:
        loaded = session.exec(select(StoredProfile)).first() is not None
    if not loaded:
        init_registry(None)


def quiet_prefect(silent: bool) -> None:
    """Keep Prefect's own console logging to warnings when a command prints its own output."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING" if silent else "INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)
