"""The annual calendar in the demo, and the readable tables the command line prints.

`run_calendar_demo` plans the year on a local Prefect server (the caller's, when one is set),
writes the calendar files, walks through the publicity month (distribution requests,
confirmations, reminders to the offices that did not confirm), moves one meeting (same UID,
next SEQUENCE, reminders recomputed), and runs the year again to show nothing is sent twice.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from models.profile.schema import DistrictProfile


def _sent() -> int:
    from sqlmodel import select

    from models.db import session_scope
    from models.outbox import DeliveryAttempt

    with session_scope() as session:
        return len(session.exec(select(DeliveryAttempt.id).where(DeliveryAttempt.ok)).all())


def run_calendar_demo(*, year: int, console: Console) -> None:
    """Plan and run the year's calendar on the current data dir; print it; write the .ics files."""
    from deployments.cli.views import coverage_table, print_calendar
    from deployments.runtime.flows import run_calendar
    from tasks.calendar.records import (
        calendar_result,
        confirm_distribution,
        coverage,
        move_meeting,
        pending_message_ids,
        stage_due,
        write_year_files,
    )
    from tasks.calendar.rules import distribution_reminder_days, distribution_request_day
    from tasks.common.holidays import current_work_calendar
    from tasks.notify.delivery import deliver_pending

    profile = _active_profile()
    workdays = current_work_calendar()
    console.rule(f"{year}年社区教育日历：宣传月、年度会议、干部培训（R7.4、R7.2、R7.5、R7.1）")
    result = run_calendar(year=year, today=date(year, 1, 5))
    print_calendar(console, result)
    paths = write_year_files(year)
    console.print(f"wrote {len(paths)} calendar files, e.g. {Path(paths[-1]).name}")

    # the publicity month: requests go out, half the offices confirm, the rest are reminded
    request_on = distribution_request_day(profile.calendar, year, workdays=workdays)
    stage_due(year, today=request_on)
    communities = [c for s in profile.streets for c in s.communities]
    for community in communities[::2]:
        confirm_distribution(
            year=year, community=community, confirmed_by="居委主任", today=request_on
        )
    follow_up = distribution_reminder_days(profile.calendar, request_on, workdays=workdays)
    if follow_up:
        stage_due(year, today=follow_up[0])
    deliver_pending(message_ids=pending_message_ids(year))
    rows = coverage(year)
    console.print(coverage_table(year, rows))
    pending = sum(r["未确认"] for r in rows)
    console.print(
        f"distribution: requested {request_on}, {len(communities) - pending} confirmed, "
        f"{pending} reminded on {follow_up[0] if follow_up else '-'}"
    )

    # one meeting moves a week: same UID, next SEQUENCE, reminders recomputed
    planned = calendar_result(year)
    assert planned is not None
    symposium = next(
        (e for e in planned["events"] if e["kind"] == "theory_symposium"), planned["events"][0]
    )
    target = workdays.add_working_days(date.fromisoformat(symposium["date"]), 5)
    try:
        moved = move_meeting(
            year=year, key=symposium["key"], day=target, reason="与区重点工作冲突", operator="演示"
        )
    except ValueError as exc:
        console.print(f"{symposium['title']} could not move to {target}: {exc}")
    else:
        deliver_pending(message_ids=pending_message_ids(year))
        after = calendar_result(year)
        assert after is not None
        event = next(e for e in after["events"] if e["key"] == symposium["key"])
        console.print(
            f"moved {symposium['title']} {symposium['date']} → {moved['day']}: UID {event['uid']} "
            f"kept, SEQUENCE {event['sequence']}, reminders now {'、'.join(event['reminders'])}"
        )
    before = _sent()
    run_calendar(year=year, today=follow_up[0] if follow_up else date(year, 9, 30))
    console.print(f"the {year} calendar again: nothing changed, {_sent() - before} messages sent")
    write_year_files(year)


def _active_profile() -> DistrictProfile:
    from models.db import session_scope
    from tasks.common.district import active_profile

    with session_scope() as session:
        return active_profile(session)
