"""`learning-district calendar …`: show and plan the year, RSVP, confirm distribution, move.

`calendar --year Y [--json]` only shows: the signed-off plan, or the plan a run would propose
(solved here; nothing stored, nothing sent, no Prefect server). `calendar plan --year Y` runs the
annual-calendar flow (a flow run in the Prefect UI): the proposal waits for sign-off (here at the
terminal, in the UI, or `--approve`), is stored, and what falls due on the business day is sent;
everything else goes out on its own date (`calendar due`, or the daily deployment). The other
subcommands act directly on the database and deliver what they cause, so a clerk's confirmation
or an RSVP does not wait for a Prefect server to start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        from deployments.cli.common import fail

        raise fail(f"{option}“{text}”不是日期，应写作2026-09-10") from None


def _deliver(year: int) -> int:
    from tasks.calendar.records import pending_message_ids
    from tasks.notify.delivery import deliver_pending

    ids = pending_message_ids(year)
    if ids:
        deliver_pending(message_ids=ids)
    return len(ids)


def _today(text: str | None) -> date:
    from tasks.common import clock

    return _day(text, "--today") or clock.today()


def _shown(year: int, *, clone_from: int | None, allow_activity_week: bool) -> dict[str, Any]:
    """The signed-off year, or the plan a run would propose now (solved here, never stored)."""
    from deployments.cli.common import fail
    from models.params.calendar import CalendarParameters
    from tasks.calendar.placement import InfeasibleSchedule
    from tasks.calendar.records import CalendarError, plan_inputs
    from tasks.calendar.scheduling import solve_schedule
    from tasks.calendar.summary import calendar_result, proposal_result

    stored = calendar_result(year)
    if stored is not None:
        return stored
    params = CalendarParameters(
        year=year,
        clone_from=clone_from,
        avoid_activity_week=False if allow_activity_week else None,
    )
    try:
        inputs = plan_inputs(params, year=year)
        schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    except InfeasibleSchedule as exc:
        raise fail(f"{year}年无法排出年度安排：" + "；".join(exc.reasons)) from None
    except CalendarError as exc:
        raise fail(str(exc)) from None
    return proposal_result(inputs=inputs, schedule=schedule)


def _print(result: dict[str, Any], *, as_json: bool) -> None:
    from deployments.cli.common import out
    from deployments.cli.views import print_calendar

    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_calendar(out, result)


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `calendar` command group (no import kinds of its own)."""
    del importers  # the calendar imports nothing; its inputs are the profile and the CLI
    group = typer.Typer(
        help="The annual calendar (R7.4, R7.2, R7.5, R7.1): publicity month, meetings, RSVP.",
    )
    app.add_typer(group, name="calendar")

    @group.callback(invoke_without_command=True)
    def calendar(
        ctx: typer.Context,
        year: int | None = typer.Option(None, min=2000, max=2100, help="The year to show."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        clone_from: int | None = typer.Option(
            None,
            "--clone-from",
            min=2000,
            max=2100,
            help="Propose this earlier year's meetings on the year's days.",
        ),
        allow_activity_week: bool = typer.Option(
            False, "--allow-activity-week", help="Let meetings fall in the activity week."
        ),
    ) -> None:
        """Show the year: the signed-off plan, or the plan it would propose (nothing stored or
        sent). `calendar plan` proposes, signs off and schedules the sending."""
        if ctx.invoked_subcommand is not None:
            return
        from deployments.cli.common import ensure_ready, fail

        if year is None:
            raise fail("缺少 --year（例如 calendar --year 2026 --json）")
        ensure_ready()
        result = _shown(year, clone_from=clone_from, allow_activity_week=allow_activity_week)
        _print(result, as_json=as_json)

    @group.command("plan")
    def plan(
        year: int = typer.Option(..., min=2000, max=2100, help="The year to plan."),
        approve: bool = typer.Option(False, "--approve", help="Sign off without pausing."),
        yes: bool = typer.Option(False, "--yes", help="Send without asking first."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        today: str | None = typer.Option(
            None, help="Business day: what falls due on it is sent (YYYY-MM-DD; default today)."
        ),
        clone_from: int | None = typer.Option(
            None,
            "--clone-from",
            min=2000,
            max=2100,
            help="Place this earlier year's meetings on the year's days.",
        ),
        allow_activity_week: bool = typer.Option(
            False, "--allow-activity-week", help="Let meetings fall in the activity week."
        ),
    ) -> None:
        """拟定年度安排并审批 — propose the year's plan, sign it off, store it; notices then go
        out on their dates."""
        from deployments.cli.common import ensure_ready, fail
        from deployments.cli.signoff import run_flow
        from flows.annual_calendar import annual_calendar
        from models.params.calendar import CalendarParameters, CalendarSignOff
        from tasks.calendar.placement import InfeasibleSchedule
        from tasks.calendar.records import CalendarError

        ensure_ready()
        params = CalendarParameters(
            year=year,
            today=_day(today, "--today"),
            clone_from=clone_from,
            avoid_activity_week=False if allow_activity_week else None,
            approval="auto" if approve else "manual",
        )
        try:
            result = run_flow(lambda: annual_calendar(params), form=CalendarSignOff, yes=yes)
        except InfeasibleSchedule as exc:
            raise fail(f"{year}年无法排出年度安排（未保存）：" + "；".join(exc.reasons)) from None
        except CalendarError as exc:
            raise fail(str(exc)) from None
        _print(result, as_json=as_json)
        if result.get("status") == "rejected":
            raise typer.Exit(code=1)

    @group.command("rsvp")
    def rsvp(
        event: str = typer.Argument(..., help="Meeting key, e.g. work_conference"),
        year: int = typer.Option(..., help="The meeting's year."),
        attendee: str = typer.Option(..., help="Who answers (name or unit)."),
        response: str = typer.Option("accepted", help="accepted / declined / tentative"),
        audience: str = typer.Option("", help="The invited audience they belong to."),
        comment: str = typer.Option("", help="A note, e.g. who stands in."),
    ) -> None:
        """Record an answer to an invitation (answering again replaces it)."""
        from deployments.cli.common import ensure_ready, fail, out
        from tasks.calendar.meetings import record_rsvp
        from tasks.calendar.records import CalendarError

        ensure_ready()
        try:
            outcome = record_rsvp(
                year=year,
                key=event,
                attendee=attendee,
                response=response,
                audience=audience,
                comment=comment,
            )
        except CalendarError as exc:
            raise fail(str(exc)) from None
        counts = ", ".join(f"{k} {v}" for k, v in sorted(outcome["counts"].items()))
        out.print(f"{attendee}: {outcome['response']} for {event} ({year}); so far {counts}")

    @group.command("confirm")
    def confirm(
        community: str = typer.Argument(..., help="The community office (居委) confirming."),
        year: int = typer.Option(..., help="The campaign's year."),
        by: str = typer.Option("", "--by", help="Who confirms."),
        note: str = typer.Option("", help="A note, e.g. households reached."),
        today: str | None = typer.Option(None, help="Date of confirmation (default today)."),
    ) -> None:
        """Confirm the publicity material reached every household of a community (R7.2)."""
        from deployments.cli.common import ensure_ready, fail, out
        from tasks.calendar.distribution import confirm_distribution
        from tasks.calendar.records import CalendarError

        ensure_ready()
        try:
            outcome = confirm_distribution(
                year=year, community=community, confirmed_by=by, note=note, today=_today(today)
            )
        except CalendarError as exc:
            raise fail(str(exc)) from None
        suffix = "" if outcome["changed"] else " (already confirmed)"
        out.print(f"{community}: distribution confirmed on {outcome['confirmed_on']}{suffix}")

    @group.command("move")
    def move(
        event: str = typer.Argument(..., help="Meeting key, e.g. theory_symposium"),
        year: int = typer.Option(..., help="The meeting's year."),
        new_date: str | None = typer.Option(None, "--date", help="New date (a working day)."),
        venue: str | None = typer.Option(None, help="New venue."),
        reason: str = typer.Option("", help="Why it moves (goes into the notice)."),
        operator: str = typer.Option("", help="Who decides."),
    ) -> None:
        """Move a meeting: same UID, next SEQUENCE, update sent, reminders recomputed."""
        from deployments.cli.common import ensure_ready, fail, out
        from tasks.calendar.meetings import move_meeting
        from tasks.calendar.records import CalendarError

        if new_date is None and venue is None:
            raise fail("改期须填写 --date（新的日期）或 --venue（新的会场）")
        ensure_ready()
        try:
            outcome = move_meeting(
                year=year,
                key=event,
                day=_day(new_date, "--date"),
                venue=venue,
                reason=reason,
                operator=operator,
            )
        except CalendarError as exc:
            raise fail(str(exc)) from None
        if not outcome["changed"]:
            out.print(f"{event} is already on {outcome['day']}: nothing changed")
            return
        sent = _deliver(year)
        out.print(
            f"{event} moved to {outcome['day']} at {outcome['venue']} "
            f"(SEQUENCE {outcome['sequence']}); {sent} notices delivered"
        )

    @group.command("cancel")
    def cancel(
        event: str = typer.Argument(..., help="Meeting key"),
        year: int = typer.Option(..., help="The meeting's year."),
        reason: str = typer.Option("", help="Why it is cancelled."),
        operator: str = typer.Option("", help="Who decides."),
    ) -> None:
        """Cancel a meeting: METHOD:CANCEL with the same UID to every invited audience."""
        from deployments.cli.common import ensure_ready, fail, out
        from tasks.calendar.meetings import cancel_meeting
        from tasks.calendar.records import CalendarError

        ensure_ready()
        try:
            outcome = cancel_meeting(year=year, key=event, reason=reason, operator=operator)
        except CalendarError as exc:
            raise fail(str(exc)) from None
        if not outcome["changed"]:
            out.print(f"{event} was already cancelled")
            return
        out.print(f"{event} cancelled; {_deliver(year)} notices delivered")

    @group.command("due")
    def due(
        year: int = typer.Option(..., help="The calendar's year."),
        today: str | None = typer.Option(None, help="Business day (default today)."),
    ) -> None:
        """Send what is due today: key-day notices, reminders, distribution follow-ups."""
        from deployments.cli.common import ensure_ready, out
        from tasks.calendar.distribution import stage_due

        ensure_ready()
        day = _today(today)
        report = stage_due(year, today=day)
        sent = _deliver(year)
        out.print(
            f"{day}: {report.key_day_notices} key-day notices, {report.reminders} reminders, "
            f"{report.distribution_requests} distribution requests, "
            f"{report.distribution_reminders} distribution reminders staged; {sent} delivered"
        )

    @group.command("coverage")
    def coverage_command(
        year: int = typer.Option(..., help="The campaign's year."),
        as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
    ) -> None:
        """Material-distribution coverage per street (R7.2)."""
        from deployments.cli.common import ensure_ready, fail, out
        from deployments.cli.views import coverage_table
        from tasks.calendar.summary import coverage

        ensure_ready()
        rows = coverage(year)
        if not rows:
            raise fail(f"{year}年没有宣传资料发放任务，请先安排该年度")
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            out.print(coverage_table(year, rows))
