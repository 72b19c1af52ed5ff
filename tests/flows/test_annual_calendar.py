"""The calendar flows against a real Prefect server and a real SQLite database."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlmodel import select

from deployments.runtime.operator import find_paused_run, sign_off
from flows.annual_calendar import annual_calendar, calendar_daily
from flows.calendar_actions import distribution_confirm, meeting_change, meeting_rsvp
from models.audit import Decision
from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.outbox import DeliveryAttempt, OutboxMessage
from models.params.calendar import (
    CalendarParameters,
    CalendarSignOff,
    ConfirmParameters,
    MeetingChangeParameters,
    RsvpParameters,
)
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from tasks.calendar.placement import InfeasibleSchedule
from tasks.common.district import sync_registry
from tasks.common.workdays import WorkCalendar

WORKDAYS = WorkCalendar()  # nothing entered: the library, or the estimate beyond it

pytestmark = pytest.mark.usefixtures("prefect_harness")


def run(**params: Any) -> dict[str, Any]:
    return asyncio.run(annual_calendar(CalendarParameters(**params)))


def counts() -> dict[str, int]:
    with session_scope() as session:
        return {
            "years": len(session.exec(select(CalendarYear)).all()),
            "meetings": len(session.exec(select(Meeting)).all()),
            "messages": len(session.exec(select(OutboxMessage)).all()),
            "sends": len(session.exec(select(DeliveryAttempt)).all()),
        }


def test_plan_signed_off_sends_only_what_is_due_and_rerun_changes_nothing(
    registry: DistrictProfile, db: Path
) -> None:
    result = run(year=2026, today=date(2026, 1, 5), approval="auto")

    assert result["publicity_day"] == "2026-09-10"
    assert result["activity_week"] == ["2026-09-07", "2026-09-13"]
    assert len(result["events"]) == 7
    assert all(WORKDAYS.is_working_day(date.fromisoformat(e["date"])) for e in result["events"])
    assert len({e["date"] for e in result["events"]}) == 7
    assert result["status"] == "signed_off"
    with session_scope() as session:
        sent = session.exec(select(OutboxMessage)).all()
    # on 5 January only the year's plan is due (to every office); no invitation goes out yet
    offices = len(registry.streets) + sum(len(s.communities) for s in registry.streets)
    assert {m.kind for m in sent} == {"annual-plan"} and len(sent) == offices
    assert {m.status for m in sent} == {"delivered"}
    assert (db / "calendar" / "2026" / "calendar-2026.ics").exists()
    with get_client(sync_client=True) as client:
        keys = {
            a.key
            for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["calendar-2026", "distribution-coverage-2026"])
                )
            )
        }
    assert keys == {"calendar-2026", "distribution-coverage-2026"}

    before = counts()
    again = run(year=2026, today=date(2026, 1, 5), approval="auto")
    assert again["events"] == result["events"]
    assert counts() == before  # nothing written, nothing sent twice

    # the daily run on 1 Sept: kick-off notice and distribution requests, once
    daily = asyncio.run(calendar_daily(today=date(2026, 9, 1)))
    staged = daily["staged"]["2026"]
    assert staged["distribution_requests"] == sum(len(s.communities) for s in registry.streets)
    after = counts()
    asyncio.run(calendar_daily(today=date(2026, 9, 1)))
    assert counts() == after


def test_a_year_ahead_is_signed_off_and_nothing_is_sent(registry: DistrictProfile) -> None:
    result = run(year=2030, today=date(2026, 3, 2), approval="auto")

    assert result["status"] == "signed_off" and len(result["events"]) == 7
    assert counts()["years"] == 1 and counts()["messages"] == 0
    daily = asyncio.run(calendar_daily(today=date(2026, 3, 3)))
    assert daily["staged"] == {} and counts()["messages"] == 0


def plan_signed_off_at_the_form(year: int, today: date, decision: str) -> dict[str, Any]:
    """Run the planning flow, wait for its pause, answer the sign-off form, return the result."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = run(year=year, today=today)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    run_id = find_paused_run(f"calendar-{year}", timeout=120, stop=lambda: not thread.is_alive())
    assert run_id is not None, box.get("error")
    box["waiting"] = counts()
    sign_off(run_id, CalendarSignOff, decision=decision, operator="主任", comment="审核")
    thread.join(timeout=120)
    assert "error" not in box, box.get("error")
    return box


def test_the_plan_waits_for_sign_off_and_a_rejection_stores_nothing(
    registry: DistrictProfile,
) -> None:
    nothing = {"years": 0, "meetings": 0, "messages": 0, "sends": 0}
    rejected = plan_signed_off_at_the_form(2027, date(2026, 12, 1), "reject")
    assert rejected["waiting"] == nothing  # nothing stored while the proposal waits
    assert rejected["result"]["status"] == "rejected" and counts() == nothing

    approved = plan_signed_off_at_the_form(2027, date(2026, 12, 1), "approve")
    assert approved["waiting"] == nothing
    assert approved["result"]["status"] == "signed_off"
    assert counts()["years"] == 1 and counts()["meetings"] == 7
    # 1 December 2026 is before the 2027 plan notice: signed off, nothing sent yet
    assert counts()["messages"] == 0
    with session_scope() as session:
        kinds = {d.kind for d in session.exec(select(Decision).where(Decision.year == 2027))}
    assert {"rejected", "signed_off", "placed"} <= kinds


def test_infeasible_year_writes_nothing(db: Path) -> None:
    profile, text = load_profile()
    tiny = text.replace("capacity: 300", "capacity: 30").replace("capacity: 150", "capacity: 30")
    tiny = tiny.replace("capacity: 60", "capacity: 30")
    with session_scope() as session:
        sync_registry(session, profile=profile.model_copy(), text=tiny, source="tiny")

    with pytest.raises(InfeasibleSchedule, match="没有足够大的会场"):
        run(year=2026, today=date(2026, 1, 5), approval="auto")
    assert counts() == {"years": 0, "meetings": 0, "messages": 0, "sends": 0}


def test_operator_forms_rsvp_confirm_and_move(registry: DistrictProfile) -> None:
    planned = run(year=2025, today=date(2025, 1, 6), approval="auto")
    conference = next(e for e in planned["events"] if e["key"] == "work_conference")
    # the invitation goes out on its day; then a move tells the invitees at once
    asyncio.run(calendar_daily(today=date.fromisoformat(conference["invite_on"])))
    rsvp = asyncio.run(
        meeting_rsvp(
            RsvpParameters(year=2025, event="work_conference", attendee="张三", response="accepted")
        )
    )
    assert rsvp["counts"] == {"accepted": 1}
    community = registry.streets[0].communities[0]
    asyncio.run(calendar_daily(today=date(2025, 9, 1)))  # the material is handed out
    confirmed = asyncio.run(
        distribution_confirm(
            ConfirmParameters(year=2025, community=community, today=date(2025, 9, 2))
        )
    )
    assert confirmed["confirmed_on"] == "2025-09-02"

    moved = asyncio.run(
        meeting_change(
            MeetingChangeParameters(year=2025, event="work_conference", day=date(2025, 3, 4))
        )
    )
    assert moved["sequence"] == 1
    with session_scope() as session:
        updates = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "invitation-work_conference-v1")
        ).all()
    assert updates and {m.status for m in updates} == {"delivered"}


def test_an_estimated_year_is_marked_and_the_notice_raises_a_recheck_artifact(
    registry: DistrictProfile, db: Path
) -> None:
    from tasks.importing.holidays import import_holidays_file
    from tests.holiday_notices import NOTICE_2027, write_csv

    result = run(year=2027, today=date(2027, 1, 4), approval="auto")
    assert result["holiday_source"] == "estimated" and result["recheck"] == []
    assert all(e["estimated"] for e in result["events"])

    import_holidays_file(write_csv(db.parent / "2027.csv", NOTICE_2027))
    daily = asyncio.run(calendar_daily(today=date(2027, 1, 5)))
    assert "2027" in daily["staged"]
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["holidays-2027", "calendar-recheck-2027"])
            )
        )
    tables: dict[str, list[str]] = {}
    for artifact in sorted(found, key=lambda a: a.created or 0):
        data = artifact.data
        rows = json.loads(data) if isinstance(data, str) else data
        tables.setdefault(artifact.key or "", []).append(json.dumps(rows, ensure_ascii=False))
    assert set(tables) == {"holidays-2027", "calendar-recheck-2027"}
    assert "社区教育工作会议（提前7个工作日提醒）" in tables["calendar-recheck-2027"][-1]
    assert "推算" in tables["holidays-2027"][0] and "推算" not in tables["holidays-2027"][-1]
