"""`learning-district audit --year Y [--json]`: re-derive every automated decision of a year.

Each decision is re-derived from the inputs, seed and rule version recorded with it and
compared with its record; every difference is printed in Chinese for the clerk. Exit status 1
when something differs, 0 when all agree. Nothing is written or sent (the weekly deployment
`decision-audit/weekly` tells the operator).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `audit` command."""
    del importers  # the audit imports nothing

    @app.command("audit")
    def audit(
        year: int = typer.Option(
            ..., min=2000, max=2100, help="The year whose decisions to check."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """决定复核 — re-derive each automated decision from its recorded inputs and compare."""
        from deployments.cli.common import ensure_ready, out
        from tasks.audit.records import audit_year
        from tasks.audit.reports import as_json as to_json
        from tasks.audit.reports import lines, summary

        ensure_ready()
        result = audit_year(year)
        if as_json:
            out.print_json(json.dumps(to_json(result), ensure_ascii=False))
        else:
            out.print(summary(result), highlight=False)
            for line in lines(result):
                out.print(f"- {line}", highlight=False, soft_wrap=True)
        if not result.ok:
            raise typer.Exit(code=1)
