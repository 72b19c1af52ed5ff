"""`learning-district seminars …`, `learning-district training …` and the import kind
`attendance`: the research group's seminar series (R10.5) and who attended the cadre trainings
(R7.1). RSVPs, moves and cancellations of a seminar go through `calendar` like any meeting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer


def _import_attendance(file: Path, year: int | None) -> str:
    from tasks.importing.attendance import import_attendance_file

    s = import_attendance_file(file, year=year)
    lines = [
        f"{file.name}：签到{s.rows}人次" + (f"（替换此前的{s.replaced}人次）" if s.replaced else "")
    ]
    lines += [f"{title}：{count}人" for title, count in s.meetings.items()]
    return "\n".join(lines)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `attendance` import kind and the `seminars` and `training` command groups."""
    importers["attendance"] = _import_attendance
    seminars = typer.Typer(help="理论研究组专题研讨 — the research group's seminars (R10.5).")
    training = typer.Typer(help="干部培训 — who was invited, answered and attended (R7.1).")
    app.add_typer(seminars, name="seminars")
    app.add_typer(training, name="training")

    @seminars.command("plan")
    def plan(
        year: int = typer.Option(..., min=2000, max=2100, help="The planned calendar's year."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """安排 — place the year's seminars around its meetings and invite the group."""
        from deployments.cli.common import ensure_ready, fail, out
        from tasks.calendar.placement import InfeasibleSchedule
        from tasks.calendar.records import CalendarError, pending_message_ids
        from tasks.calendar.seminars import plan_seminars
        from tasks.common.workdays import day_zh
        from tasks.notify.delivery import deliver_pending

        ensure_ready()
        try:
            result = plan_seminars(year=year)
        except CalendarError as exc:
            raise fail(str(exc)) from None
        except InfeasibleSchedule as exc:
            raise fail("无法安排专题研讨：" + "；".join(exc.reasons)) from None
        ids = pending_message_ids(year)
        if ids:
            deliver_pending(message_ids=ids)
        if as_json:
            typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        for seminar in result.seminars:
            out.print(f"{day_zh(seminar.day)}  {seminar.title}  {seminar.venue}", highlight=False)
        out.print(
            "已安排并发出邀请" if result.placed else "本年度专题研讨此前已安排，未改动、未重复发送",
            highlight=False,
        )

    @training.command("attendance")
    def attendance(
        year: int = typer.Option(..., min=2000, max=2100, help="The year."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """参训情况 — per training: invited, answered, signed in."""
        from deployments.cli.common import ensure_ready, out
        from tasks.calendar.attendance import training_attendance
        from tasks.common.workdays import day_zh

        ensure_ready()
        rows = training_attendance(year)
        if as_json:
            typer.echo(
                json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2)
            )
            return
        for r in rows:
            out.print(
                f"{day_zh(r.day)} {r.title}：邀请{r.invited}人，回执{r.answered}人"
                f"（参加{r.accepted}、不参加{r.declined}），签到{r.signed_in}人（{r.rate:.0%}）",
                highlight=False,
                markup=False,
            )
            if r.accepted_absent:
                out.print("  回执参加但未签到：" + "、".join(r.accepted_absent), highlight=False)
        if not rows:
            out.print(f"{year}年尚未安排干部培训", highlight=False)
