"""The annual calendar in the demo, and the readable tables the command line prints.

`run_calendar_demo` plans the year on a local Prefect server (the caller's, when one is set),
signed off automatically, writes the calendar files, then walks the year on the days something
falls due, as the daily run would: the plan to the offices, each invitation a lead time before
its meeting, reminders, key-day notices, distribution requests, confirmations and reminders to
the offices that did not confirm. One meeting moves after its invitation (same UID, next
SEQUENCE, the invitees told at once, reminders recomputed); the year run again sends nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from models.profile.schema import DistrictProfile
from tasks.common.workdays import WorkCalendar


def _sent() -> int:
    from sqlmodel import select

    from models.db import session_scope
    from models.outbox import DeliveryAttempt

    with session_scope() as session:
        return len(session.exec(select(DeliveryAttempt.id).where(DeliveryAttempt.ok)).all())


def run_calendar_demo(*, year: int, console: Console) -> None:
    """Plan the year (signed off automatically), then walk it: every notice goes out on its day."""
    from deployments.cli.views import coverage_table, print_calendar
    from deployments.runtime.flows import run_calendar
    from tasks.calendar.distribution import confirm_distribution, stage_due
    from tasks.calendar.files import write_year_files
    from tasks.calendar.meetings import move_meeting
    from tasks.calendar.records import pending_message_ids
    from tasks.calendar.summary import calendar_result, coverage, notice_days
    from tasks.notify.delivery import deliver_pending

    profile = _active_profile()
    console.rule(f"{year}年社区教育日历：宣传月、年度会议、干部培训（R7.4、R7.2、R7.5、R7.1）")
    first_day = date(year, 1, 5)
    before = _sent()
    result = run_calendar(year=year, today=first_day, approval="auto")
    print_calendar(console, result)
    paths = write_year_files(year)
    console.print(
        f"the plan is signed off (approval=auto) and stored; on {first_day} "
        f"{_sent() - before} messages went out (what is due that day, nothing ahead); "
        f"wrote {len(paths)} calendar files, e.g. {Path(paths[-1]).name}"
    )

    # the year day by day (only the days something falls due): each notice on its own date;
    # half the offices confirm the material at once, one meeting moves after its invitation
    communities = [c for s in profile.streets for c in s.communities]
    request_on = date.fromisoformat(result["distribution"]["request_on"])
    symposium = next(
        (e for e in result["events"] if e["kind"] == "theory_symposium"), result["events"][0]
    )
    moved: dict[str, object] = {}
    walked, day = 0, first_day
    while True:
        upcoming = [d for d in notice_days(year) if d > day]
        if not upcoming:
            break
        day = upcoming[0]
        stage_due(year, today=day)
        walked += 1
        if day == request_on:
            for community in communities[::2]:
                confirm_distribution(
                    year=year, community=community, confirmed_by="居委主任", today=day
                )
        if not moved and day >= date.fromisoformat(symposium["invite_on"]):
            target = _workdays().add_working_days(date.fromisoformat(symposium["date"]), 5)
            try:
                moved = move_meeting(
                    year=year,
                    key=symposium["key"],
                    day=target,
                    reason="与区重点工作冲突",
                    operator="演示",
                )
            except ValueError as exc:
                console.print(f"{symposium['title']} could not move to {target}: {exc}")
                moved = {"changed": False}
        deliver_pending(message_ids=pending_message_ids(year))
    staged = _calendar_kinds(year)
    console.print(
        f"walked {walked} days with something due, {first_day} to {day}: "
        + "，".join(f"{kind} {n}" for kind, n in staged.items())
    )
    rows = coverage(year)
    console.print(coverage_table(year, rows))
    pending = sum(r["未确认"] for r in rows)
    console.print(
        f"distribution: requested {request_on}, {len(communities) - pending} confirmed, "
        f"{pending} reminded"
    )
    if moved.get("changed"):
        after = calendar_result(year)
        assert after is not None
        event = next(e for e in after["events"] if e["key"] == symposium["key"])
        console.print(
            f"moved {symposium['title']} {symposium['date']} → {moved['day']} after its "
            f"invitation: UID {event['uid']} kept, SEQUENCE {event['sequence']}, the invitees "
            f"told at once, reminders now {'、'.join(event['reminders'])}"
        )
    before = _sent()
    run_calendar(year=year, today=day, approval="auto")
    console.print(f"the {year} calendar again: nothing changed, {_sent() - before} messages sent")
    write_year_files(year)


def _calendar_kinds(year: int) -> dict[str, int]:
    """How many calendar messages of the year went out, by kind (in the order of a year)."""
    from sqlmodel import select

    from models.db import session_scope
    from models.outbox import OutboxMessage

    names = {
        "annual-plan": "plan notices",
        "invitation": "invitations and updates",
        "reminder": "reminders",
        "key-day": "key-day notices",
        "distribution-request": "distribution requests",
        "distribution-reminder": "distribution reminders",
        "cancel": "cancellations",
    }
    with session_scope() as session:
        kinds = session.exec(
            select(OutboxMessage.kind).where(
                OutboxMessage.flow == "calendar", OutboxMessage.year == year
            )
        ).all()
    counts = dict.fromkeys(names.values(), 0)
    for kind in kinds:
        label = next((v for k, v in names.items() if kind.startswith(k)), kind)
        counts[label] = counts.get(label, 0) + 1
    return {label: n for label, n in counts.items() if n}


def _workdays() -> WorkCalendar:
    from tasks.common.holidays import current_work_calendar

    return current_work_calendar()


def _active_profile() -> DistrictProfile:
    from models.db import session_scope
    from tasks.common.district import active_profile

    with session_scope() as session:
        return active_profile(session)
