"""The calendar flows against a real Prefect server and a real SQLite database."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlmodel import select

from flows.annual_calendar import annual_calendar, calendar_daily
from flows.calendar_actions import distribution_confirm, meeting_change, meeting_rsvp
from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.outbox import DeliveryAttempt, OutboxMessage
from models.params.calendar import (
    CalendarParameters,
    ConfirmParameters,
    MeetingChangeParameters,
    RsvpParameters,
)
from models.profile.schema import DistrictProfile, load_profile
from tasks.calendar.scheduling import InfeasibleSchedule
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


def test_plan_sends_and_rerun_changes_nothing(registry: DistrictProfile, db: Path) -> None:
    result = run(year=2026, today=date(2026, 1, 5))

    assert result["publicity_day"] == "2026-09-10"
    assert result["activity_week"] == ["2026-09-07", "2026-09-13"]
    assert len(result["events"]) == 7
    assert all(WORKDAYS.is_working_day(date.fromisoformat(e["date"])) for e in result["events"])
    assert len({e["date"] for e in result["events"]}) == 7
    with session_scope() as session:
        statuses = {m.status for m in session.exec(select(OutboxMessage)).all()}
    assert statuses == {"delivered"}
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
    again = run(year=2026, today=date(2026, 1, 5))
    assert again["events"] == result["events"]
    assert counts() == before  # nothing written, nothing sent twice

    # the daily run on 1 Sept: kick-off notice and distribution requests, once
    daily = asyncio.run(calendar_daily(today=date(2026, 9, 1)))
    staged = daily["staged"]["2026"]
    assert staged["distribution_requests"] == sum(len(s.communities) for s in registry.streets)
    after = counts()
    asyncio.run(calendar_daily(today=date(2026, 9, 1)))
    assert counts() == after


def test_infeasible_year_writes_nothing(db: Path) -> None:
    profile, text = load_profile()
    tiny = text.replace("capacity: 300", "capacity: 30").replace("capacity: 150", "capacity: 30")
    tiny = tiny.replace("capacity: 60", "capacity: 30")
    with session_scope() as session:
        sync_registry(session, profile=profile.model_copy(), text=tiny, source="tiny")

    with pytest.raises(InfeasibleSchedule, match="没有足够大的会场"):
        run(year=2026, today=date(2026, 1, 5))
    assert counts() == {"years": 0, "meetings": 0, "messages": 0, "sends": 0}


def test_operator_forms_rsvp_confirm_and_move(registry: DistrictProfile) -> None:
    run(year=2025, today=date(2025, 1, 6))
    rsvp = asyncio.run(
        meeting_rsvp(
            RsvpParameters(year=2025, event="work_conference", attendee="张三", response="accepted")
        )
    )
    assert rsvp["counts"] == {"accepted": 1}
    community = registry.streets[0].communities[0]
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

    result = run(year=2027, today=date(2027, 1, 4))
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
