"""No phone number of a teacher leaks into logs, artifacts or notifications (spec: PII)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from sqlmodel import select

from flows.teacher_secondment import teacher_secondment
from models.db import session_scope
from models.outbox import OutboxMessage
from models.params.secondment import SecondmentParameters
from models.profile.schema import DistrictProfile
from tests.factories import seed_roster
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_no_phone_in_logs_artifacts_or_messages(
    registry: DistrictProfile, db: Path, hardening: Ledger
) -> None:
    roster = seed_roster(registry, count=120, seed=21)
    phones = {t.phone for t in roster if t.phone}
    assert phones

    state = asyncio.run(
        teacher_secondment(SecondmentParameters(year=2026, approval="auto"), return_state=True)
    )
    assert state.is_completed()
    run_id = state.state_details.flow_run_id

    seen: list[str] = []
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200
        )
        seen += [log.message for log in logs]
        seen += [json.dumps(a.data, ensure_ascii=False) for a in client.read_artifacts()]
    with session_scope() as session:
        seen += [m.title + m.body for m in session.exec(select(OutboxMessage)).all()]
    seen.append((db / "outbox.jsonl").read_text(encoding="utf-8"))

    assert len(seen) > 20  # logs, artifacts and messages were all read
    assert any("****" in text for text in seen)  # the proposal table shows masked phones
    leaks = [phone for phone in phones for text in seen if phone in text]
    hardening.leaks(
        "secondment run: logs, artifacts, messages", scanned=len(seen), found=len(leaks)
    )
    assert leaks == []
