"""`learning-district secondment` and `decline`: the teacher secondment (R10.2) at a terminal."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from deployments.cli.common import ensure_ready, fail, out, quiet_prefect
from deployments.cli.signoff import run_flow_with_operator
from deployments.cli.views import print_secondment


def _import_teachers(file: Path, year: int | None) -> str:
    from tasks.importing.core import import_teachers_file

    summary = import_teachers_file(file, current_year=year, progress=sys.stderr.isatty())
    return (
        f"{file}: {summary.rows} rows ({summary.encoding}) — {summary.inserted} new, "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
    )


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the secondment commands and the `teachers` import kind to the command line."""
    importers["teachers"] = _import_teachers
    app.command()(secondment)
    app.command()(decline)


def secondment(
    year: int = typer.Option(..., min=2000, max=2100, help="The year of the secondment."),
    approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    exclude: list[str] = typer.Option([], help="Staff ids to leave out (repeatable)."),
) -> None:
    """Run the teacher secondment (R10.2) for a year."""
    from deployments.runtime.server import prefect_api
    from flows.teacher_secondment import teacher_secondment
    from models.params.secondment import SecondmentParameters
    from tasks.secondment.rules import InfeasibleSecondment

    ensure_ready()
    params = SecondmentParameters(
        year=year, approval="auto" if approve else "manual", exclude=exclude
    )
    quiet_prefect(as_json)
    try:
        with prefect_api():
            result = run_flow_with_operator(
                lambda: teacher_secondment(params), run_name=f"secondment-{year}", approve=approve
            )
    except InfeasibleSecondment as exc:
        raise fail("no feasible secondment: " + "; ".join(exc.reasons)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(_public(result), ensure_ascii=False, indent=2))
    else:
        print_secondment(result)
    if result["status"] != "approved":
        raise typer.Exit(code=1)


def _public(result: dict[str, Any]) -> dict[str, Any]:
    """The docs/spec.md shape of `secondment --json` (reasons kept as an extra field)."""
    return {
        "year": result["year"],
        "status": result["status"],
        "assignments": result["assignments"],
        "total_score": result["total_score"],
        "ineligible": [
            {"staff_id": i["staff_id"], "reasons": i["reasons"]} for i in result["ineligible"]
        ],
        **({"declined": result["declined"]} if result.get("declined") else {}),
    }


def decline(
    staff_id: str,
    year: int = typer.Option(..., help="The year of the secondment."),
    reason: str = typer.Option("", help="Why the teacher cannot go."),
    via_event: bool = typer.Option(
        False, "--via-event", help="Emit the decline event for the served deployment (`up`)."
    ),
) -> None:
    """Record that a seconded teacher declines, and place the next-best teacher."""
    from deployments.runtime.server import prefect_api

    if via_event:
        from prefect.events import emit_event

        from deployments.events import decline_event

        if not os.environ.get("PREFECT_API_URL"):
            raise fail("--via-event needs PREFECT_API_URL (the server `up` prints)")
        emit_event(**decline_event(year=year, staff_id=staff_id, reason=reason))
        from deployments.runtime.server import flush_to_api

        flush_to_api()  # the event is sent in the background; make sure it left
        out.print(f"decline event sent for {staff_id} ({year}); the served deployment replaces")
        return
    from flows.teacher_secondment import secondment_decline
    from tasks.secondment.records import DeclineError
    from tasks.secondment.rules import InfeasibleSecondment

    ensure_ready()
    try:
        with prefect_api():
            outcome = asyncio.run(secondment_decline(year=year, staff_id=staff_id, reason=reason))
    except (DeclineError, InfeasibleSecondment) as exc:
        raise fail(str(exc)) from None
    out.print(
        f"{staff_id} declined {outcome['street']}; replaced by {outcome['replacement']}"
        + (" (already recorded)" if outcome["already_recorded"] else "")
    )
