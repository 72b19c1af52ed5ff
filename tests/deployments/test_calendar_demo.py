"""The calendar part of the demo: a readable table, the .ics files, each notice on its day,
nothing sent twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from deployments.demo.calendar import run_calendar_demo
from models.profile.schema import DistrictProfile
from tasks.common.ics import parse_ics


@pytest.mark.usefixtures("prefect_harness")
def test_calendar_demo_prints_the_year_and_writes_files(
    registry: DistrictProfile, db: Path
) -> None:
    console = Console(record=True, width=160)
    run_calendar_demo(year=2026, console=console)

    text = console.export_text().replace("\n", "")  # the console wraps long lines
    assert "2026年社区教育日历" in text and "社区教育工作会议" in text
    assert "2026-09-10" in text and "宣传资料发放确认" in text
    assert "UID" in text and "SEQUENCE 1" in text and "the invitees told at once" in text
    assert "0 messages sent" in text
    # the plan went out on its own, nothing ahead; then each notice on its day
    assert "signed off (approval=auto)" in text and "nothing ahead" in text
    assert re.search(r"walked \d+ days with something due", text)
    assert "plan notices 33" in text and "invitations and updates" in text
    files = sorted((db / "calendar" / "2026").glob("*.ics"))
    assert any(f.name == "calendar-2026.ics" for f in files)
    assert len(parse_ics((db / "calendar" / "2026" / "calendar-2026.ics").read_bytes())) == 7
    assert any(f.name.endswith("-v1-request.ics") for f in files)
