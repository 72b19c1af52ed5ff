"""`learning-district portal`: the participant portal served alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli.common import ensure_ready, out


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the portal command to the command line (no import kinds)."""
    del importers
    app.command()(portal)


def portal(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8765, min=1, max=65535, help="Port to listen on."),
) -> None:
    """参与平台：serve the portal (idea intake, personal reply links) until Ctrl-C.

    Submissions and answers are announced to PREFECT_API_URL, or to the data dir's Prefect
    server, started here when no address is set.
    """
    from deployments.portal.serve import address, serve_foreground
    from deployments.runtime.server import prefect_api
    from models.settings import get_settings
    from tasks.common.events import PrefectApi

    ensure_ready()
    with prefect_api() as api_url:
        api = PrefectApi.current() or PrefectApi(url=api_url)
        out.print(f"Portal: {address(host, port)}  (Prefect API {api.url}; Ctrl-C stops)")
        out.print(f"links in messages start with {get_settings().public_url}", highlight=False)
        serve_foreground(host=host, port=port, prefect=api)
