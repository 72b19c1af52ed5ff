"""The daily scoring run on a real Prefect server: reminders, the progress table, and at the
deadline a pause for the operator, who extends the deadline; the ideas round's run of its own."""

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
from prefect.client.schemas.objects import State
from sqlmodel import select

from deployments.runtime.operator import find_paused_run, sign_off
from flows.judging import scoring_daily
from models.db import session_scope
from models.judging import JudgingRound
from models.outbox import OutboxMessage
from models.params.judging import ScoringDeadline, ScoringParameters
from models.profile.schema import DistrictProfile
from tests.tasks.test_judging import YEAR, opened  # noqa: F401  (the fixture)
from tests.tasks.test_judging_ideas import YEAR as IDEAS_YEAR
from tests.tasks.test_judging_ideas import reviewing  # noqa: F401  (the fixture)

IDEAS_DAY = date(2026, 10, 15)  # 3 working days before the ideas round's deadline

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_reminders_progress_then_the_operator_extends(opened: DistrictProfile, db: Path) -> None:  # noqa: F811
    reminded = asyncio.run(scoring_daily(ScoringParameters(year=YEAR, today=date(2026, 11, 17))))
    assert reminded["status"] == "open" and reminded["judges"]
    with session_scope() as session:
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder-1")).all()
    assert len(sent) == len(reminded["judges"])
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"scoring-{YEAR}"]))
        )
    data = artifacts[0].data
    rows = data if isinstance(data, list) else json.loads(str(data))
    assert {row["分组"] for row in rows} == {"评委", "类别"} and "逾期未评" in rows[0]

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            params = ScoringParameters(year=YEAR, today=date(2026, 11, 23))
            box["result"] = asyncio.run(scoring_daily(params))
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    run_id = find_paused_run(f"scoring-{YEAR}", timeout=120, stop=lambda: not thread.is_alive())
    assert run_id is not None, box.get("error")
    sign_off(run_id, ScoringDeadline, decision="延长评分期限", deadline=date(2026, 11, 27))
    thread.join(timeout=120)
    assert "error" not in box, box.get("error")
    assert box["result"]["status"] == "open" and box["result"]["deadline"] == "2026-11-27"
    with session_scope() as session:
        assert session.exec(select(JudgingRound)).one().deadline == date(2026, 11, 27)
        notice = session.exec(select(OutboxMessage).where(OutboxMessage.audience == "operator"))
        assert "有效评分不足" in notice.one().body


def test_a_run_without_a_year_is_named_after_the_business_days_year(db: Path) -> None:
    async def run() -> State[Any]:
        return await scoring_daily(ScoringParameters(today=date(2027, 3, 2)), return_state=True)

    state = asyncio.run(run())

    run_id = state.state_details.flow_run_id
    assert state.is_completed() and run_id is not None
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).name == "scoring-2027"


def test_the_ideas_round_has_a_daily_run_of_its_own(reviewing: DistrictProfile, db: Path) -> None:  # noqa: F811
    awards = asyncio.run(scoring_daily(ScoringParameters(year=IDEAS_YEAR, today=IDEAS_DAY)))
    assert awards == {"year": IDEAS_YEAR, "status": None}  # no awards round: nothing to do
    params = ScoringParameters(year=IDEAS_YEAR, today=IDEAS_DAY, process="ideas")
    reminded = asyncio.run(scoring_daily(params))
    assert reminded["status"] == "open" and reminded["process"] == "ideas"
    with session_scope() as session:
        sent = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "ideas-reminder-1")
        ).all()
    assert len(sent) == len(reminded["judges"]) and all("金点子评选" in m.title for m in sent)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"scoring-ideas-{IDEAS_YEAR}"])
            )
        )
    data = artifacts[0].data
    rows = data if isinstance(data, list) else json.loads(str(data))
    assert {row["分组"] for row in rows} == {"评审", "类别"}
