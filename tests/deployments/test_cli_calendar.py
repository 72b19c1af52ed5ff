"""`calendar` on the command line: the docs/spec.md JSON, an estimated year, and the subcommands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli.app import app
from models.profile.schema import DistrictProfile
from tasks.common.workdays import WorkCalendar

WORKDAYS = WorkCalendar()  # nothing entered: the library, or the estimate beyond it

runner = CliRunner()


def as_json(output: str) -> dict[str, object]:
    return json.loads(output[output.index("{") :])


@pytest.mark.usefixtures("prefect_harness")
def test_calendar_json_for_an_estimated_year_then_subcommands(
    registry: DistrictProfile, db: Path
) -> None:
    done = runner.invoke(app, ["calendar", "--year", "2027", "--today", "2027-01-04", "--json"])

    assert done.exit_code == 0, done.output
    result = as_json(done.stdout)
    assert result["year"] == 2027
    assert result["publicity_day"] == "2027-09-10"
    assert result["activity_week"] == ["2027-09-06", "2027-09-12"]
    events = result["events"]
    assert isinstance(events, list) and len(events) == 7
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
    ok = runner.invoke(app, ["calendar", "confirm", community, "--year", "2027"])
    assert ok.exit_code == 0 and "confirmed" in ok.output
    holiday = runner.invoke(
        app, ["calendar", "move", "work_conference", "--year", "2027", "--date", "2027-10-01"]
    )
    assert holiday.exit_code == 1 and "not a working day" in holiday.output
    ok = runner.invoke(app, ["calendar", "coverage", "--year", "2027", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)[0]["已确认"] == 1

    shown = runner.invoke(app, ["calendar", "--year", "2027"])
    assert shown.exit_code == 0 and "社区教育日历" in shown.output and "2027-09-10" in shown.output


def test_calendar_needs_a_year(db: Path) -> None:
    done = runner.invoke(app, ["calendar"])
    assert done.exit_code == 1 and "--year is required" in done.output


def test_unknown_meeting_and_community_are_clear_errors(registry: DistrictProfile) -> None:
    done = runner.invoke(app, ["calendar", "rsvp", "nope", "--year", "2026", "--attendee", "甲"])
    assert done.exit_code == 1 and "plan the year first" in done.output
    done = runner.invoke(app, ["calendar", "confirm", "某居委", "--year", "2026"])
    assert done.exit_code == 1 and "no distribution campaign for 2026" in done.output
    done = runner.invoke(app, ["calendar", "move", "x", "--year", "2026"])
    assert done.exit_code == 1 and "--date" in done.output
