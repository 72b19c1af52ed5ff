"""`learning-district units …` and the import kind `pledges` (R7.6).

`import pledges FILE` registers what community units pledge (ideas, money, effort);
`units confirm REF --year Y --by NAME` records that a pledge was given and thanks the unit;
`units list --year Y` shows the year's pledges and which are confirmed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer


def _import_pledges(file: Path, year: int | None) -> str:
    from tasks.importing.pledges import import_pledges_file

    s = import_pledges_file(file, year=year)
    return (
        f"{file.name}：社区单位支持承诺{s.rows}项 — 新增{s.inserted}，更新{s.updated}，"
        f"未变{s.unchanged}"
    )


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `pledges` import kind and the `units` command group."""
    importers["pledges"] = _import_pledges
    group = typer.Typer(help="社区单位 — community units' pledges of ideas, money and effort.")
    app.add_typer(group, name="units")

    @group.command("confirm")
    def confirm(
        ref: str = typer.Argument(..., help="The pledge's number (编号)."),
        year: int = typer.Option(..., min=2000, max=2100, help="The pledge's year."),
        by: str = typer.Option(..., "--by", help="Who confirms (确认人)."),
        note: str = typer.Option("", help="How it was given (落实情况)."),
        today: str | None = typer.Option(None, help="Day of confirmation (default today)."),
    ) -> None:
        """确认落实 — record that a pledge was given; the unit is thanked by message."""
        from deployments.cli.common import ensure_ready, fail, out
        from tasks.common import clock
        from tasks.common.workdays import date_zh
        from tasks.notify.delivery import deliver_pending
        from tasks.units.records import UnitsError, confirm_pledge, pending_message_ids

        ensure_ready()
        try:
            day = date.fromisoformat(today) if today else clock.today()
        except ValueError:
            raise fail(f"--today “{today}”不是日期，应写作2026-04-01") from None
        try:
            outcome = confirm_pledge(year=year, ref=ref, confirmed_by=by, note=note, today=day)
        except UnitsError as exc:
            raise fail(str(exc)) from None
        ids = pending_message_ids(year)
        if ids:
            deliver_pending(message_ids=ids)
        if outcome.changed:
            out.print(f"{outcome.unit}：承诺{ref}已确认落实，已发送感谢信", highlight=False)
        else:
            out.print(
                f"{outcome.unit}：承诺{ref}已于{date_zh(outcome.confirmed_on)}确认，未重复发送",
                highlight=False,
            )

    @group.command("list")
    def list_pledges(
        year: int = typer.Option(..., min=2000, max=2100, help="The year."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """承诺清单 — the year's pledges and which are confirmed."""
        from deployments.cli.common import ensure_ready, out
        from tasks.units.records import pledge_rows

        ensure_ready()
        rows = pledge_rows(year)
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            out.print("  ".join(str(v) for v in row.values()), highlight=False, markup=False)
        if not rows:
            out.print(f"{year}年度尚未登记社区单位支持承诺（导入类型 pledges）", highlight=False)
