"""`learning-district network …` and the import kinds `bases`, `team`, `community_schools`.

`network report --year Y` writes the registry report (R2-R6); `network rollout --year Y` shows
the community-school plan (R8.3) and, with `--check`, runs the yearly check: it opens the tasks
of the streets due and sends their reminders.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer


def _import_bases(file: Path, year: int | None) -> str:
    del year  # the register of bases is not per year
    from tasks.importing.network import import_bases_file

    s = import_bases_file(file)
    return (
        f"{file.name}：教育基地{s.groups}个、场地{s.rows}处 — 新增{s.inserted}，更新{s.updated}，"
        f"未变{s.unchanged}，移除{s.removed}"
    )


def _import_team(file: Path, year: int | None) -> str:
    from tasks.importing.network import import_team_file

    s = import_team_file(file, year=year)
    return f"{file.name}：队伍成员{s.rows}人 — 新增{s.inserted}，更新{s.updated}，未变{s.unchanged}"


def _import_community_schools(file: Path, year: int | None) -> str:
    del year  # a community school stays registered from the day it opens
    from tasks.importing.community_schools import import_community_schools_file

    s = import_community_schools_file(file)
    return (
        f"{file.name}：街道社区学校{s.rows}所 — 新增{s.inserted}，更新{s.updated}，"
        f"未变{s.unchanged}"
    )


def _today(text: str | None) -> date:
    from deployments.cli.common import fail
    from tasks.common import clock

    if text is None:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--today “{text}”不是日期，应写作2026-01-15") from None


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the network's import kinds and the `network` command group."""
    import tasks.importing.network  # noqa: F401

    importers["bases"] = _import_bases
    importers["team"] = _import_team
    importers["community_schools"] = _import_community_schools
    group = typer.Typer(help="社区教育网络 — the network, bases, teams, community schools.")
    app.add_typer(group, name="network")

    @group.command("report")
    def report(
        year: int = typer.Option(..., min=2000, max=2100, help="The year of the teams."),
        as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    ) -> None:
        """登记表 — the registry report (Markdown and XLSX under the reports folder)."""
        from deployments.cli.common import ensure_ready, out
        from tasks.common.documents import year_dir
        from tasks.network.tasks import network_report_task

        ensure_ready()
        result = network_report_task.fn(year, str(year_dir(year)))
        if as_json:
            typer.echo(json.dumps(result["report"], ensure_ascii=False, indent=2))
            return
        out.print(result["markdown"], highlight=False, markup=False)
        out.print("文件：" + "、".join(result["files"]), highlight=False, markup=False)

    @group.command("rollout")
    def rollout(
        year: int = typer.Option(..., min=2000, max=2100, help="The year checked."),
        today: str | None = typer.Option(None, help="Business day (YYYY-MM-DD; default today)."),
        check: bool = typer.Option(
            False, "--check", help="Run the yearly check: open tasks, send reminders."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """社区学校推广 — the plan per street; --check opens the tasks due and reminds."""
        from deployments.cli.common import ensure_ready, out
        from tasks.network.records import pending_message_ids, rollout_check, rollout_plan
        from tasks.network.reports import rollout_rows
        from tasks.notify.delivery import deliver_pending

        ensure_ready()
        day = _today(today)
        report = (
            rollout_check(year=year, today=day) if check else rollout_plan(year=year, today=day)
        )
        if check:
            ids = pending_message_ids(year)
            if ids:
                deliver_pending(message_ids=ids)
        if as_json:
            typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        for row in rollout_rows(report):
            out.print("  ".join(str(v) for v in row.values()), highlight=False, markup=False)
        out.print(
            f"{year}年底前计划设立{report.due_by_year_end}所，已登记开办{report.open_by_year_end}所",
            highlight=False,
        )
        for action in report.actions:
            out.print(action.reason, highlight=False, markup=False)
        if check:
            out.print(f"本次检查：{len(report.actions)}项处理，发出通知{report.messages}条")
