"""`learning-district` commands of scoring on the portal: judges in, a year's round opened,
progress shown; the import kind `judges`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer

from deployments.cli.common import YES_HELP

scoring_app = typer.Typer(
    help="评分：judges and reviewers score on the portal (assignments, progress, deadline).",
    invoke_without_command=True,
)


def _import_judges(file: Path, year: int | None) -> str:
    from tasks.importing.judges import import_judges_file

    del year  # a judge is not of one year
    s = import_judges_file(file)
    return f"{file}：评委 {s.rows} 人，新增 {s.inserted}，更新 {s.updated}，未变 {s.unchanged}"


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `judges` import kind and the `scoring` command group."""
    importers["judges"] = _import_judges
    app.add_typer(scoring_app, name="scoring")


PROCESS_HELP = "awards (评委 score nominations) or ideas (评审 score golden ideas)."


@scoring_app.callback()
def scoring(
    ctx: typer.Context,
    year: int | None = typer.Option(None, min=2000, max=2100, help="The year."),
    process: str = typer.Option("awards", help=PROCESS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the progress as JSON."),
) -> None:
    """评分进度 — assigned, scored, late and conflicts declared, per judge and per category."""
    if ctx.invoked_subcommand is not None:
        return
    from deployments.cli.common import ensure_ready, fail, out
    from tasks.judging.progress import progress
    from tasks.judging.reports import print_progress

    if year is None:
        raise fail("缺少 --year（例如 scoring --year 2026 --json）")
    ensure_ready()
    result = progress(year, process=process)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print_progress(out, result)


@scoring_app.command("open")
def open_scoring(
    year: int = typer.Option(..., min=2000, max=2100, help="The year."),
    deadline: str = typer.Option(..., help="Last day scores are taken (YYYY-MM-DD)."),
    process: str = typer.Option("awards", help=PROCESS_HELP),
    today: str | None = typer.Option(None, help="Today (YYYY-MM-DD; default: today)."),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
) -> None:
    """开始评分 — assign the nominations (or the golden ideas) to the judges (or reviewers) and
    send each their link."""
    from deployments.cli.awards import _day, _run_records
    from tasks.judging.records import open_round

    _run_records(
        open_round,
        yes=yes,
        year=year,
        deadline=_day(deadline, "--deadline"),
        today=_day(today),
        process=process,
    )
