"""Fault injection: `calendar plan --approve` is SIGKILLed while it sends what is due on its
business day, the year's plan and the first invitations (meetings and messages already written,
most not yet delivered); the re-run completes.

The meetings are not placed again, no invitation or plan message is created twice, every message
is delivered, and the only sends the receiver gets twice are those whose bookkeeping the kill
lost (at-least-once delivery, docs/faults.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.calendar.rules import invitation_day
from tasks.common.workdays import WorkCalendar
from tests.faults.harness import (
    child_env,
    cli_command,
    duplicates_and_missing,
    kill_when,
    message_statuses,
    run,
    running_sink,
    sent,
    start,
    unbooked,
)
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")


def meetings() -> list[tuple[str, str, str, int]]:
    with session_scope() as session:
        rows = session.exec(select(Meeting)).all()
        return sorted((m.key, m.day.isoformat(), m.uid, m.sequence) for m in rows)


def test_calendar_killed_while_sending_then_rerun(
    registry: DistrictProfile, tmp_path: Path, hardening: Ledger
) -> None:
    today = date(2026, 1, 12)  # the plan notice and the first training's invitations are due
    command = cli_command(
        "calendar", "plan", "--year", "2026", "--today", today.isoformat(), "--approve", "--json"
    )
    log = tmp_path / "first.log"
    with running_sink(delay=0.05) as sink:
        env = child_env(sink.config(tmp_path / "apprise.yaml"))
        first = start(command, env, log)
        kill_when(first, lambda: sent("calendar") >= 3, what="3 sends", log=log)
        lost = unbooked(sink)
        placed = meetings()
        statuses = message_statuses()
        staged = sum(statuses.values())

        rerun = run(command, env)

        after = meetings()
        with session_scope() as session:
            years = session.exec(select(CalendarYear)).all()
            kinds = session.exec(select(OutboxMessage.kind, OutboxMessage.audience)).all()
        duplicates, missing = duplicates_and_missing(sink)
        final = message_statuses()
    invitations = [k for k, _ in kinds if k.startswith("invitation-")]
    due = [
        m
        for m in _meeting_rows()
        if invitation_day(m.day, registry.calendar, workdays=WorkCalendar()) <= today < m.day
    ]
    offices = len(registry.streets) + sum(len(s.communities) for s in registry.streets)
    survived = (
        rerun.returncode == 0
        and placed == after
        and len(years) == 1
        and sum(final.values()) == staged
        and set(final) == {"delivered"}
        and missing == 0
        and duplicates == lost
    )
    hardening.fault("calendar: SIGKILL while sending invitations, re-run", survived=survived)

    assert len(placed) == 7 and staged > 10
    assert statuses["delivered"] < staged, "the kill landed after delivery finished"
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert '"year": 2026' in rerun.stdout
    assert after == placed  # the re-run did not place or move anything
    assert len(years) == 1
    assert sum(final.values()) == staged  # no logical message created twice
    assert due and len(invitations) == sum(len(m.audiences) for m in due)  # one per audience
    assert sum(k == "annual-plan" for k, _ in kinds) == offices
    assert set(final) == {"delivered"}
    assert missing == 0  # nothing lost
    assert duplicates == lost  # only sends whose bookkeeping the kill lost arrive twice


def _meeting_rows() -> list[Meeting]:
    with session_scope() as session:
        return list(session.exec(select(Meeting)).all())
