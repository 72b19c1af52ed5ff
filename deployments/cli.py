"""The `learning-district` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="learning-district: a district's community-education policy as Prefect workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
notify_app = typer.Typer(help="Notification outbox: deliver and inspect.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")
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
    from tasks.registry import init_registry

    migrate()
    with session_scope() as session:
        loaded = session.exec(select(StoredProfile)).first() is not None
    if not loaded:
        init_registry(None)


@app.command()
def init(
    profile: Path | None = typer.Option(None, help="District profile YAML (default: bundled)."),
) -> None:
    """Create or migrate the database and load the district profile."""
    from models.db import migrate
    from models.profile import ProfileError
    from models.settings import get_settings
    from tasks.registry import init_registry

    migrate()
    warnings: list[str] = []
    try:
        loaded, changed = init_registry(profile or get_settings().profile, warnings=warnings)
    except ProfileError as exc:
        raise fail(str(exc)) from None
    for warning in warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    out.print(
        f"database ready; profile {loaded.district}: {len(loaded.streets)} streets "
        f"({sum(s.pilot for s in loaded.streets)} pilot), {len(loaded.schools)} schools"
        + ("" if changed else " (unchanged)")
    )


@app.command("profile-check")
def profile_check(file: Path) -> None:
    """Validate a district profile file without loading it."""
    from models.profile import ProfileError, load_profile

    warnings: list[str] = []
    try:
        loaded, _ = load_profile(file, warnings=warnings)
    except ProfileError as exc:
        raise fail(str(exc)) from None
    for warning in warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    out.print(f"{file}: valid ({loaded.district}, {len(loaded.streets)} streets)")


def _import_teachers(file: Path, year: int | None) -> str:
    from tasks.importing import import_teachers_file

    summary = import_teachers_file(file, current_year=year, progress=sys.stderr.isatty())
    return (
        f"{file}: {summary.rows} rows ({summary.encoding}) — {summary.inserted} new, "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
    )


# KIND -> function(file, year) that validates the whole file, writes it and returns a summary.
# Each process's command module adds its kinds in its `register`.
IMPORTERS: dict[str, Callable[[Path, int | None], str]] = {"teachers": _import_teachers}


@app.command("import")
def import_file(
    kind: str = typer.Argument(..., help="teachers, ideas, nominations, scores, …"),
    file: Path = typer.Argument(..., exists=False),
    year: int | None = typer.Option(None, help="The year the data belongs to."),
) -> None:
    """Validate a CSV/XLSX file whole, then upsert it; a bad file writes nothing."""
    from tasks.importing import ImportRejected

    importer = IMPORTERS.get(kind)
    if importer is None:
        raise fail(f"cannot import '{kind}'; known kinds: {', '.join(sorted(IMPORTERS))}")
    ensure_ready()
    try:
        out.print(importer(file, year))
    except ImportRejected as exc:
        raise fail(str(exc)) from None


@app.command()
def template(
    kind: str = typer.Argument(..., help="teachers"),
    out_file: Path | None = typer.Option(None, "--out", help="Where to write the XLSX."),
) -> None:
    """Write an empty XLSX with the headers of KIND."""
    from tasks.importing import write_template

    target = out_file or Path(f"{kind}-template.xlsx")
    try:
        written = write_template(kind, target)
    except ValueError as exc:
        raise fail(str(exc)) from None
    out.print(f"wrote {written}")


def _run_flow_with_operator(coro_factory: Any, *, run_name: str, approve: bool) -> Any:
    """Run an async flow; if it pauses for sign-off, ask the operator in the terminal."""
    from deployments.operator import find_paused_run, sign_off

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = asyncio.run(coro_factory())
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    if not approve:
        run_id = find_paused_run(run_name, timeout=600, stop=lambda: not worker.is_alive())
        if run_id is not None:
            _ask_operator(run_id, sign_off)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _ask_operator(run_id: Any, sign_off: Any) -> None:
    from prefect.settings import PREFECT_API_URL

    ui = str(PREFECT_API_URL.value() or "").removesuffix("/api")
    err.print(f"\nThe proposal waits for sign-off: {ui}/runs/flow-run/{run_id}")
    if not sys.stdin.isatty():
        err.print("No terminal to ask in: sign off in the Prefect UI (or re-run with --approve).")
        return
    choice = typer.prompt("approve / reject / exclude", default="approve")
    while choice not in ("approve", "reject", "exclude"):
        choice = typer.prompt("please answer approve, reject or exclude", default="approve")
    operator = typer.prompt("your name", default="")
    comment = typer.prompt("comment", default="")
    ids: list[str] = []
    if choice == "exclude":
        ids = [s.strip() for s in typer.prompt("staff_ids to exclude (comma separated)").split(",")]
    sign_off(
        run_id,
        decision=choice,
        operator=operator,
        comment=comment,
        exclude_staff_ids=[i for i in ids if i],
    )
    if choice == "exclude":
        from deployments.operator import wait_next_pause

        if wait_next_pause(run_id, timeout=600):
            _ask_operator(run_id, sign_off)


def print_secondment(result: dict[str, Any]) -> None:
    table = Table(title=f"{result['year']}年度教师挂职选派（{result['status']}）")
    for column in ("街道", "工号", "得分", "理由"):
        table.add_column(column)
    for a in result["assignments"]:
        table.add_row(a["street"], a["staff_id"], f"{a['score']:.2f}", a.get("reason", ""))
    out.print(table)
    out.print(f"total score {result['total_score']:.3f}; {len(result['ineligible'])} ineligible")


@app.command()
def secondment(
    year: int = typer.Option(..., min=2000, max=2100, help="The year of the secondment."),
    approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    exclude: list[str] = typer.Option([], help="Staff ids to leave out (repeatable)."),
) -> None:
    """Run the teacher secondment (R10.2) for a year."""
    from deployments.server import prefect_api
    from flows.teacher_secondment import teacher_secondment
    from models.secondment_params import SecondmentParameters
    from tasks.secondment import InfeasibleSecondment

    ensure_ready()
    params = SecondmentParameters(
        year=year, approval="auto" if approve else "manual", exclude=exclude
    )
    _quiet_prefect(as_json)
    try:
        with prefect_api():
            result = _run_flow_with_operator(
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
    """The SPEC.md shape of `secondment --json` (reasons kept as an extra field)."""
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


@app.command()
def decline(
    staff_id: str,
    year: int = typer.Option(..., help="The year of the secondment."),
    reason: str = typer.Option("", help="Why the teacher cannot go."),
    via_event: bool = typer.Option(
        False, "--via-event", help="Emit the decline event for the served deployment (`up`)."
    ),
) -> None:
    """Record that a seconded teacher declines, and place the next-best teacher."""
    from deployments.server import prefect_api

    if via_event:
        import os

        from prefect.events import emit_event

        from deployments.catalog import decline_event

        if not os.environ.get("PREFECT_API_URL"):
            raise fail("--via-event needs PREFECT_API_URL (the server `up` prints)")
        emit_event(**decline_event(year=year, staff_id=staff_id, reason=reason))
        from deployments.server import flush_to_api

        flush_to_api()  # the event is sent in the background; make sure it left
        out.print(f"decline event sent for {staff_id} ({year}); the served deployment replaces")
        return
    from flows.teacher_secondment import secondment_decline
    from tasks.secondment import InfeasibleSecondment
    from tasks.secondment_records import DeclineError

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


@notify_app.command("deliver")
def notify_deliver() -> None:
    """Deliver every pending or failed message (only failed targets are retried)."""
    from tasks.notify import deliver_pending

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


@app.command()
def up(
    host: str = typer.Option(
        "127.0.0.1",
        help="Address the Prefect server listens on; beyond loopback it requires basic auth.",
    ),
) -> None:
    """Local Prefect server + every deployment served (schedules, triggers); Ctrl-C stops."""
    from deployments.up import UpError, run_up

    ensure_ready()
    try:
        run_up(console=out, host=host)
    except UpError as exc:
        raise fail(str(exc)) from None


@app.command()
def demo(
    teachers: int = typer.Option(300, help="Size of the generated roster."),
    seed: int = typer.Option(2026, help="Seed of the generated data."),
    year: int = typer.Option(2026, help="The pilot year."),
    secondment_only: bool = typer.Option(
        False, "--secondment-only", help="Stop after the teacher secondment."
    ),
) -> None:
    """The pilot year on embedded defaults: secondment, calendar, ideas, awards, KPI report."""
    from deployments.demo import run_demo

    run_demo(teachers=teachers, seed=seed, year=year, console=out, secondment_only=secondment_only)


def _quiet_prefect(silent: bool) -> None:
    """Keep Prefect's own console logging to warnings when a command prints its own output."""
    import os

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING" if silent else "INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _register_processes() -> None:
    """Each business process adds its own commands and import kinds (deployments/cli_*.py)."""
    from deployments.cli_awards import register as register_awards
    from deployments.cli_calendar import register as register_calendar
    from deployments.cli_ideas import register as register_ideas
    from deployments.cli_scale import register as register_scale
    from deployments.cli_volunteers import register as register_volunteers

    register_awards(app, IMPORTERS)
    register_calendar(app, IMPORTERS)
    register_ideas(app, IMPORTERS)
    register_scale(app, IMPORTERS)
    register_volunteers(app, IMPORTERS)


_register_processes()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
