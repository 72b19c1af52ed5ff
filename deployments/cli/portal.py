"""`learning-district portal` (the participant portal served alone) and `responses` (who has
answered through their personal link, who has not; revoking a link)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli.common import ensure_ready, fail, out

responses_app = typer.Typer(
    help="回复情况：answers through personal links (who answered, who has not).",
    invoke_without_command=True,
)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the portal command and the `responses` group (no import kinds)."""
    del importers
    app.command()(portal)
    app.add_typer(responses_app, name="responses")


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


@responses_app.callback()
def responses(
    ctx: typer.Context,
    year: int | None = typer.Option(None, min=2000, max=2100, help="The year (default: this one)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """回复情况：every request of the year, answered or not (as the UI's table artifact)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from tasks.common import clock
    from tasks.responses.reports import status_markdown, status_table
    from tasks.responses.status import status_rows

    ensure_ready()
    year = year or clock.today().year
    rows = status_rows(year)
    if as_json:
        rows_json = [row.model_dump(mode="json") for row in rows]
        typer.echo(json.dumps(rows_json, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{year}年度需回复事项")
    shown = status_table(rows)
    for column in shown[0] if shown else ("事项", "内容", "对象", "状态"):
        table.add_column(column, overflow="fold")
    for row in shown:
        table.add_row(*(str(value) for value in row.values()))
    out.print(table)
    out.print(status_markdown(year, rows).replace("## ", ""), highlight=False)


@responses_app.command("revoke")
def revoke(
    purpose: str = typer.Argument(..., help="secondment, meeting or distribution"),
    recipient: str = typer.Argument(..., help="The staff id, audience key or community."),
    year: int = typer.Option(..., min=2000, max=2100, help="The year of the request."),
) -> None:
    """停用专属链接：revoke every link of RECIPIENT for PURPOSE in YEAR (they open nothing)."""
    from tasks.responses.records import revoke_links
    from tasks.responses.rules import PURPOSE_NAMES

    if purpose not in PURPOSE_NAMES:
        raise fail(f"事项“{purpose}”不存在，可选：{'、'.join(PURPOSE_NAMES)}")
    ensure_ready()
    count = revoke_links(purpose=purpose, year=year, recipient=recipient)  # type: ignore[arg-type]
    if count == 0:
        raise fail(f"{year}年度没有发给“{recipient}”的有效{PURPOSE_NAMES[purpose]}链接")
    out.print(f"已停用{count}个链接")
