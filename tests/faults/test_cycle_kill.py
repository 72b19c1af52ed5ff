"""Fault injection: the annual cycle's process is SIGKILLed between steps — the calendar done,
the secondment recorded and sending, the KPI report not yet made — and the cycle is re-run.

The re-run does the finished calendar step again as a no-op (nothing placed, staged or sent
again), completes the secondment's delivery without a second assignment or message, and makes
the report; the only sends the receiver gets twice are those whose bookkeeping the kill lost.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlmodel import select

from models.db import session_scope
from models.meetings import Meeting
from models.profile.schema import DistrictProfile
from models.secondment import Assignment
from models.settings import get_settings
from tests.factories import seed_roster
from tests.faults.harness import (
    attempts,
    child_env,
    duplicates_and_missing,
    kill_when,
    kinds,
    message_statuses,
    run,
    running_sink,
    sent,
    start,
    unbooked,
)
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")

# `annual-cycle` has no command of its own (it is started in the UI); a child runs the flow.
CYCLE = """
import asyncio, json
from flows.annual_cycle import annual_cycle
from models.params.cycle import AnnualCycleParameters
params = AnnualCycleParameters(year=2026, approval="auto", skip=["ideas", "awards"])
print(json.dumps(asyncio.run(annual_cycle(params))["steps"]))
"""


def placed() -> list[tuple[str, str, int]]:
    with session_scope() as session:
        return sorted((m.key, m.day.isoformat(), m.sequence) for m in session.exec(select(Meeting)))


def assigned() -> list[tuple[str, str]]:
    with session_scope() as session:
        return sorted((a.staff_id, a.street) for a in session.exec(select(Assignment)))


def reports() -> list[Path]:
    """The KPI report's files (the calendar and secondment steps write documents of their own)."""
    folder = get_settings().reports_dir
    return sorted(folder.rglob("kpi-*")) if folder.exists() else []


def test_cycle_killed_between_steps_then_rerun(
    registry: DistrictProfile, tmp_path: Path, hardening: Ledger
) -> None:
    seed_roster(registry, count=120, seed=12)
    command = [sys.executable, "-c", CYCLE]
    log = tmp_path / "cycle.log"
    with running_sink(delay=0.05) as sink:
        env = child_env(sink.config(tmp_path / "apprise.yaml"))
        first = start(command, env, log)
        kill_when(first, lambda: sent("secondment") >= 2, what="2 secondment sends", log=log)
        lost = unbooked(sink)
        meetings, teachers = placed(), assigned()
        calendar_messages, calendar_sends = kinds("calendar"), attempts("calendar")
        secondment_messages, secondment_sends = kinds("secondment"), sent("secondment")
        report_before = reports()

        steps = run(command, env)

        after = (placed(), assigned(), kinds("calendar"), attempts("calendar"))
        secondment_after = kinds("secondment")
        final = message_statuses()
        duplicates, missing = duplicates_and_missing(sink)
    report_after = reports()
    survived = (
        steps.returncode == 0
        and after == (meetings, teachers, calendar_messages, calendar_sends)
        and secondment_after == secondment_messages
        and set(final) == {"delivered"}
        and len(report_after) > 0
        and missing == 0
        and duplicates == lost
    )
    hardening.fault(
        "annual cycle: SIGKILL between steps (in the secondment), re-run", survived=survived
    )

    assert len(meetings) == 7 and len(teachers) == 15  # the kill came after both decisions
    assert calendar_sends == sum(calendar_messages.values())  # the calendar step had finished
    assert secondment_sends < sum(secondment_messages.values()), "the kill came after sending"
    assert report_before == []  # the report step had not run
    assert steps.returncode == 0, steps.stderr[-3000:]
    assert steps.stdout.strip().splitlines()[-1] == '["calendar", "secondment", "report"]'
    # the finished calendar step placed, staged and sent nothing again
    assert after == (meetings, teachers, calendar_messages, calendar_sends)
    assert secondment_after == secondment_messages  # no secondment message created twice
    assert set(final) == {"delivered"}
    assert {p.suffix for p in report_after if p.is_file()} >= {".md", ".xlsx", ".png"}
    documents = {p.name for p in get_settings().reports_dir.rglob("*.docx")}
    assert documents == {"calendar-notice-2026.docx", "secondment-notice-2026.docx"}
    assert missing == 0  # nothing lost
    assert duplicates == lost  # only sends whose bookkeeping the kill lost arrive twice
