"""`learning-district secondment` and `decline`: the teacher secondment (R10.2) at a terminal."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli.common import YES_HELP, ensure_ready, fail, out
from deployments.cli.views import print_secondment


def _import_teachers(file: Path, year: int | None) -> str:
    from tasks.importing.teachers import import_teachers_file

    summary = import_teachers_file(file, current_year=year, progress=sys.stderr.isatty())
    return (
        f"{file}：{summary.rows} 行（{summary.encoding}），新增 {summary.inserted}，"
        f"更新 {summary.updated}，未变 {summary.unchanged}"
    )


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the secondment commands and the `teachers` import kind to the command line."""
    importers["teachers"] = _import_teachers
    app.command()(secondment)
    app.command()(decline)


def secondment(
    year: int = typer.Option(..., help="The year of the secondment."),
    approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    exclude: list[str] = typer.Option([], help="Staff ids to leave out (repeatable)."),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
) -> None:
    """教师挂职选派 — run the teacher secondment (R10.2) for a year."""
    from pydantic import ValidationError

    from deployments.cli.signoff import run_flow
    from flows.teacher_secondment import teacher_secondment
    from models.params.secondment import SecondmentParameters, SecondmentSignOff
    from models.refusal import refusal_from

    try:
        params = SecondmentParameters(
            year=year, approval="auto" if approve else "manual", exclude=exclude
        )
    except ValidationError as exc:
        raise refusal_from(exc, SecondmentParameters) from None
    ensure_ready()
    result = run_flow(lambda: teacher_secondment(params), form=SecondmentSignOff, yes=yes)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_secondment(result)
    if result.status != "approved":
        raise typer.Exit(code=1)


def decline(
    staff_id: str,
    year: int = typer.Option(..., help="The year of the secondment."),
    reason: str = typer.Option("", help="Why the teacher cannot go."),
    via_event: bool = typer.Option(
        False, "--via-event", help="Emit the decline event for the served deployment (`up`)."
    ),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
) -> None:
    """挂职教师不能到岗 — record a decline and place the next-best teacher."""
    if via_event:
        from prefect.events import emit_event

        from deployments.events import decline_event

        if not os.environ.get("PREFECT_API_URL"):
            raise fail("以事件方式登记需要先启动服务（设置 PREFECT_API_URL）")
        emit_event(**decline_event(year=year, staff_id=staff_id, reason=reason))
        from deployments.runtime.server import flush_to_api

        flush_to_api()  # the event is sent in the background; make sure it left
        out.print(f"已发出 {staff_id}（{year}年度）不能到岗的事件，由服务中的部署递补。")
        return
    from pydantic import ValidationError

    from deployments.cli.signoff import run_flow
    from flows.teacher_secondment import secondment_decline
    from models.params.secondment import DeclineParameters
    from models.refusal import refusal_from

    try:
        params = DeclineParameters(year=year, staff_id=staff_id, reason=reason)
    except ValidationError as exc:
        raise refusal_from(exc, DeclineParameters) from None
    ensure_ready()
    outcome = run_flow(lambda: secondment_decline(params), yes=yes)
    out.print(
        f"{staff_id} 不能到{outcome.street}挂职，由 {outcome.replacement} 递补"
        + ("（此前已登记）" if outcome.already_recorded else "")
    )
