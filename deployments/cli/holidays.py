"""`learning-district holidays …` and the `holidays` import kind: the State Council's notice.

`import holidays FILE` enters a year's holidays and make-up working days (日期, 类型, 名称) and
says at once what changes in that year's plans; `holidays show --year Y` prints the calendar a
year is counted on and where it comes from; `holidays recheck --year Y [--accept]` lists the
planned dates the calendar in force moves, and records that the operator has seen them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer


def _recheck_lines(year: int) -> list[str]:
    from tasks.calendar.recheck import recheck

    report = recheck(year)
    if not report.needed:
        return []
    return [report.note() + "：", *(f"  {line}" for line in report.lines())]


def _import_holidays(file: Path, year: int | None) -> str:
    from tasks.importing.holidays import import_holidays_file

    entered = import_holidays_file(file, year=year)
    lines = [f"{file.name}：已录入国务院办公厅节假日安排，共{entered.rows}条"]
    for notice_year, (off, on) in entered.years.items():
        again = "（替换此前录入的安排）" if notice_year in entered.replaced else ""
        lines.append(f"{notice_year}年：放假{off}个工作日，调休上班{on}天{again}")
    lines += [f"注意：{warning}" for warning in entered.warnings]
    for planned in sorted({y for n in entered.years for y in (n - 1, n)}):
        lines += _recheck_lines(planned)
    return "\n".join(lines)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `holidays` import kind and the `holidays` command group."""
    importers["holidays"] = _import_holidays
    group = typer.Typer(help="节假日安排 — the State Council's holidays and make-up working days.")
    app.add_typer(group, name="holidays")

    @group.command("show")
    def show(
        year: int = typer.Option(..., min=2000, max=2100, help="The year to show."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """节假日 — the working-day calendar of a year and where it comes from."""
        from deployments.cli.common import ensure_ready, out
        from tasks.common.holidays import current_work_calendar
        from tasks.common.workdays import day_zh

        ensure_ready()
        workdays = current_work_calendar()
        rows = workdays.holidays_table(year)
        if as_json:
            payload = {
                "year": year,
                "source": workdays.source(year),
                "notes": workdays.notes_for([date(year, 1, 1)]),
                "days": rows,
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        for note in workdays.notes_for([date(year, 1, 1)]):
            out.print(note, highlight=False)
        for row in rows:
            day = day_zh(date.fromisoformat(row["date"]))
            mark = "（推算）" if row["estimated"] else ""
            out.print(f"{day}  {row['type']}  {row['name']}{mark}", highlight=False)

    @group.command("recheck")
    def recheck_command(
        year: int = typer.Option(..., min=2000, max=2100, help="The plans' year."),
        accept: bool = typer.Option(
            False, "--accept", help="Record that the changes were seen (the new basis)."
        ),
        operator: str = typer.Option("", help="Who re-checked."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """复核 — planned dates that the calendar in force moves (meetings, reminders, 公示)."""
        from deployments.cli.common import ensure_ready, out
        from tasks.calendar.recheck import accept_recheck, recheck

        ensure_ready()
        report = accept_recheck(year=year, operator=operator) if accept else recheck(year)
        if as_json:
            typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        if not report.needed:
            out.print(f"{year}年的计划日期与现行节假日安排一致，无须复核", highlight=False)
            return
        out.print(report.note() + "：", highlight=False)
        for line in report.lines():
            out.print(f"  {line}", highlight=False)
        if accept:
            out.print("已记录复核；此后按现行节假日安排核对", highlight=False)
