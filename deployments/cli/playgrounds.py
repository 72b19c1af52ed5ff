"""`learning-district playgrounds …` and the import kind `playgrounds` (R8.2).

`playgrounds week --start DATE` shows a week's hours per street (`--send` sends them to the
communities); `playgrounds closures --year Y` lists the year's closed days; `playgrounds due`
sends the closure notices that fall due on a day (what the daily run does).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer


def _import_playgrounds(file: Path, year: int | None) -> str:
    del year  # opening hours hold until a new file replaces them
    from tasks.importing.playgrounds import import_playgrounds_file

    s = import_playgrounds_file(file)
    return (
        f"{file.name}：操场开放时间{s.rows}条 — 新增{s.inserted}，更新{s.updated}，"
        f"未变{s.unchanged}"
    )


def _day(text: str | None, option: str) -> date:
    from deployments.cli.common import fail
    from tasks.common import clock

    if text is None:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} “{text}”不是日期，应写作2026-06-01") from None


def _deliver(years: list[int]) -> int:
    from tasks.notify.delivery import deliver_pending
    from tasks.playgrounds.records import pending_message_ids

    ids = pending_message_ids(years)
    if ids:
        deliver_pending(message_ids=ids)
    return len(ids)


def _print(rows: list[dict[str, object]]) -> None:
    from deployments.cli.common import out

    for row in rows:
        out.print("  ".join(str(v) for v in row.values()), highlight=False, markup=False)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `playgrounds` import kind and command group."""
    importers["playgrounds"] = _import_playgrounds
    group = typer.Typer(
        help="学校操场开放 — primary-school playgrounds open mornings and evenings."
    )
    app.add_typer(group, name="playgrounds")

    @group.command("week")
    def week(
        start: str | None = typer.Option(
            None, help="A day of the week before (YYYY-MM-DD; default today): shows the next."
        ),
        send: bool = typer.Option(False, "--send", help="Send it to the communities."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """下周开放安排 — next week's hours per street and school."""
        from deployments.cli.common import ensure_ready, out
        from tasks.playgrounds.records import publish_week, week_plan
        from tasks.playgrounds.reports import week_rows
        from tasks.playgrounds.rules import week_of

        ensure_ready()
        today = _day(start, "--start")
        monday, _ = week_of(today)
        plan = publish_week(monday) if send else week_plan(monday)
        sent = _deliver([monday.year]) if send else 0
        if as_json:
            typer.echo(json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        _print(week_rows(plan))
        if not plan.streets:
            out.print("尚未登记任何学校的操场开放时间（导入类型 playgrounds）", highlight=False)
        if send:
            out.print(f"已发送到各社区，投递{sent}条", highlight=False)

    @group.command("closures")
    def closures(
        year: int = typer.Option(..., min=2000, max=2100, help="The year."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """暂停开放 — the year's closed days per street, with their notice days."""
        from deployments.cli.common import ensure_ready
        from tasks.playgrounds.records import year_closures
        from tasks.playgrounds.reports import closure_rows

        ensure_ready()
        found = year_closures(year)
        if as_json:
            typer.echo(
                json.dumps([c.model_dump(mode="json") for c in found], ensure_ascii=False, indent=2)
            )
            return
        _print(closure_rows(found))

    @group.command("due")
    def due(
        today: str | None = typer.Option(None, help="Business day (YYYY-MM-DD; default today)."),
    ) -> None:
        """到期通知 — send the closure notices due on this day (the working day before)."""
        from deployments.cli.common import ensure_ready, out
        from tasks.playgrounds.records import stage_closure_notices

        ensure_ready()
        day = _day(today, "--today")
        staged = stage_closure_notices(day)
        sent = _deliver([c.first.year for c in staged])
        out.print(f"{day}：暂停开放通知{len(staged)}项，投递{sent}条", highlight=False)
