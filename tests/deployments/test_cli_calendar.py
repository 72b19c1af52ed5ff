"""`calendar` on the command line: showing is not planning; the spec JSON; the subcommands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.meetings import CalendarYear
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.common.workdays import WorkCalendar

WORKDAYS = WorkCalendar()  # nothing entered: the library, or the estimate beyond it

runner = CliRunner()


def as_json(output: str) -> dict[str, object]:
    return json.loads(output[output.index("{") :])


def counts() -> tuple[int, int]:
    with session_scope() as session:
        years = len(session.exec(select(CalendarYear)).all())
        return years, len(session.exec(select(OutboxMessage)).all())


def test_calendar_year_only_shows_the_plan_it_would_propose(
    registry: DistrictProfile, db: Path
) -> None:
    done = runner.invoke(app, ["calendar", "--year", "2030", "--json"])

    assert done.exit_code == 0, done.output
    result = as_json(done.stdout)
    assert result["year"] == 2030 and result["status"] == "proposed"
    assert len(result["events"]) == 7 and counts() == (0, 0)  # nothing stored, nothing sent
    shown = runner.invoke(app, ["calendar", "--year", "2030"])
    assert shown.exit_code == 0 and "拟定方案" in shown.output and "未保存、未发送" in shown.output
    assert counts() == (0, 0)
    # a future year without a signed-off plan has nothing to confirm
    refused = runner.invoke(app, ["calendar", "confirm", "嘉兴一居委", "--year", "2030"])
    assert refused.exit_code == 1 and "2030年没有已批准的年度安排" in refused.output
    assert counts() == (0, 0)


@pytest.mark.usefixtures("prefect_harness")
def test_calendar_plan_for_an_estimated_year_then_subcommands(
    registry: DistrictProfile, db: Path
) -> None:
    proposed = as_json(runner.invoke(app, ["calendar", "--year", "2027", "--json"]).stdout)
    done = runner.invoke(
        app, ["calendar", "plan", "--year", "2027", "--today", "2027-01-04", "--approve", "--json"]
    )

    assert done.exit_code == 0, done.output
    result = as_json(done.stdout)
    assert result["year"] == 2027 and result["status"] == "signed_off"
    assert result["publicity_day"] == "2027-09-10"
    assert result["activity_week"] == ["2027-09-06", "2027-09-12"]
    events = result["events"]
    assert isinstance(events, list) and len(events) == 7
    assert [(e["key"], e["date"]) for e in events] == [
        (e["key"], e["date"]) for e in proposed["events"]
    ]  # the plan shown before sign-off is the plan signed off
    for event in events:
        assert {"kind", "date", "venue"} <= set(event)
        day = date.fromisoformat(event["date"])
        assert WORKDAYS.is_working_day(day) and day.weekday() < 5  # estimated: no make-up day known
    notes = result["notes"]
    assert isinstance(notes, list) and any("2027" in n for n in notes)

    ok = runner.invoke(
        app, ["calendar", "rsvp", "work_conference", "--year", "2027", "--attendee", "张三"]
    )
    assert ok.exit_code == 0 and "accepted" in ok.output
    community = registry.streets[0].communities[0]
    early = runner.invoke(app, ["calendar", "confirm", community, "--year", "2027"])
    assert early.exit_code == 1 and "尚未下发" in early.output  # nothing handed out yet
    due = runner.invoke(app, ["calendar", "due", "--year", "2027", "--today", "2027-09-01"])
    assert due.exit_code == 0 and "distribution requests" in due.output
    ok = runner.invoke(
        app, ["calendar", "confirm", community, "--year", "2027", "--today", "2027-09-02"]
    )
    assert ok.exit_code == 0 and "confirmed" in ok.output
    holiday = runner.invoke(
        app, ["calendar", "move", "work_conference", "--year", "2027", "--date", "2027-10-01"]
    )
    assert holiday.exit_code == 1 and "不是工作日" in holiday.output
    ok = runner.invoke(app, ["calendar", "coverage", "--year", "2027", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)[0]["已确认"] == 1

    shown = runner.invoke(app, ["calendar", "--year", "2027"])
    assert shown.exit_code == 0 and "社区教育日历" in shown.output and "2027-09-10" in shown.output
    assert "已批准" in shown.output


def test_calendar_needs_a_year(db: Path) -> None:
    done = runner.invoke(app, ["calendar"])
    assert done.exit_code == 1 and "缺少 --year" in done.output


def test_unknown_meeting_and_community_are_clear_errors(registry: DistrictProfile) -> None:
    done = runner.invoke(app, ["calendar", "rsvp", "nope", "--year", "2026", "--attendee", "甲"])
    assert done.exit_code == 1 and "该年度尚未安排会议" in done.output
    done = runner.invoke(app, ["calendar", "confirm", "某居委", "--year", "2026"])
    assert done.exit_code == 1 and "2026年没有已批准的年度安排" in done.output
    done = runner.invoke(app, ["calendar", "move", "x", "--year", "2026"])
    assert done.exit_code == 1 and "--date" in done.output
