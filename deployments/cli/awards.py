"""`learning-district` commands of the learning awards (R11.2): run, objections, rulings, final."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer

from deployments.cli.signoff import run_with_committee


def _import_nominations(file: Path, year: int | None) -> str:
    from tasks.importing.awards import import_nominations_file

    s = import_nominations_file(file, year=year)
    counts = f"{s.inserted} new, {s.updated} updated, {s.unchanged} unchanged"
    return f"{file}: {s.rows} nominations — {counts}"


def _import_scores(file: Path, year: int | None) -> str:
    from tasks.importing.awards import import_scores_file

    s = import_scores_file(file, year=year)
    return (
        f"{file}: {s.rows} scores — {s.inserted} new, {s.updated} updated, {s.unchanged} unchanged"
    )


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the awards commands and import kinds to the command line."""
    import tasks.importing.awards  # noqa: F401  (registers the nominations/scores template kinds)

    importers["nominations"] = _import_nominations
    importers["scores"] = _import_scores

    @app.command()
    def awards(
        year: int = typer.Option(..., help="The award year."),
        approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        seed: int | None = typer.Option(None, help="Seed of tie-break draws (default: year)."),
        start: str | None = typer.Option(None, help="First day of the 公示 (YYYY-MM-DD)."),
    ) -> None:
        """Run the learning awards (R11.2) up to the 公示."""
        from deployments.cli.common import ensure_ready, fail, out, quiet_prefect
        from deployments.runtime.server import prefect_api
        from flows.learning_awards import learning_awards
        from models.params.awards import AwardsParameters

        ensure_ready()
        try:
            params = AwardsParameters(
                year=year,
                approval="auto" if approve else "manual",
                seed=seed,
                publicity_start=date.fromisoformat(start) if start else None,
            )
        except ValueError as exc:
            raise fail(str(exc)) from None
        quiet_prefect(as_json)
        try:
            with prefect_api():
                result = run_with_committee(
                    lambda: learning_awards(params), run_name=f"awards-{year}", approve=approve
                )
        except ValueError as exc:
            raise fail(str(exc)) from None
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
            return
        for category, entries in result["categories"].items():
            out.print(f"{category}: " + ", ".join(f"{e['rank']}. {e['ref']}" for e in entries))
        out.print(f"flagged: {', '.join(result['flagged']) or '-'}")

    @app.command("award-objection")
    def award_objection(
        year: int = typer.Option(...),
        ref: str = typer.Option(..., help="The nomination objected to."),
        objector: str = typer.Option(..., help="Real name of the objector (实名)."),
        content: str = typer.Option(..., help="What is objected to."),
        phone: str = typer.Option("", help="Objector's phone (kept private)."),
        today: str | None = typer.Option(None, help="Date of filing (default: today)."),
    ) -> None:
        """File a real-name objection during the 公示."""
        _run_records(
            "file_objection",
            year=year,
            ref=ref,
            objector=objector,
            content=content,
            phone=phone,
            today=_day(today),
        )

    @app.command("award-ruling")
    def award_ruling(
        objection: int = typer.Option(..., help="Objection id."),
        decision: str = typer.Option(..., help="uphold or dismiss"),
        ruling: str = typer.Option(..., help="The written ruling."),
        operator: str = typer.Option("", help="Who rules."),
        today: str | None = typer.Option(None, help="Date of the ruling (default: today)."),
    ) -> None:
        """Rule on an objection: uphold (withdraw, promote next) or dismiss."""
        _run_records(
            "rule_objection",
            objection_id=objection,
            decision=decision,
            ruling=ruling,
            operator=operator,
            today=_day(today),
        )

    @app.command("awards-finalise")
    def awards_finalise(
        year: int = typer.Option(...),
        today: str | None = typer.Option(None, help="The day of finalising (default: today)."),
    ) -> None:
        """Make the list final once every 公示 has ended with no open objection."""
        _run_records("finalise", year=year, today=_day(today))


def _day(text: str | None) -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from deployments.cli.common import fail

    if text is None:
        return datetime.now(ZoneInfo("Asia/Shanghai")).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--today {text!r} is not a date YYYY-MM-DD") from None


def _run_records(name: str, **kwargs: Any) -> None:
    """Call one awards record function, deliver what it staged, print its JSON outcome."""
    from deployments.cli.common import ensure_ready, fail
    from tasks.awards import records as awards_records
    from tasks.notify.delivery import deliver_pending

    ensure_ready()
    try:
        outcome = getattr(awards_records, name)(**kwargs)
    except ValueError as exc:
        raise fail(str(exc)) from None
    deliver_pending()
    typer.echo(json.dumps(outcome, ensure_ascii=False, indent=2))
