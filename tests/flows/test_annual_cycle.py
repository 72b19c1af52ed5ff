"""The annual cycle runs every process in order, skips what it is told, and re-runs safely."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from flows.annual_cycle import annual_cycle
from models.db import session_scope
from models.outbox import DeliveryAttempt, OutboxMessage
from models.params.cycle import AnnualCycleParameters
from models.profile.schema import DistrictProfile
from models.secondment import Assignment
from tests.factories import seed_roster

pytestmark = pytest.mark.usefixtures("prefect_harness")


def sent() -> tuple[int, int]:
    with session_scope() as session:
        return (
            len(session.exec(select(OutboxMessage)).all()),
            len(session.exec(select(DeliveryAttempt)).all()),
        )


def test_cycle_runs_in_order_and_reruns_without_sending_twice(
    registry: DistrictProfile, db: Path
) -> None:
    seed_roster(registry, count=150, seed=12)
    params = AnnualCycleParameters(year=2026, approval="auto", skip=["ideas", "awards"])

    result = asyncio.run(annual_cycle(params))

    assert result["steps"] == ["calendar", "secondment", "report"]
    assert result["skipped"] == ["ideas", "awards"]
    assert result["results"]["secondment"].status == "approved"
    lines = {line["key"]: line for line in result["results"]["report"]["lines"]}
    assert lines["seconded_teachers"]["actual"] == 15
    assert lines["meetings"]["actual"] == 3  # the three annual meetings of R7.5
    for path in result["results"]["report"]["files"]:
        assert Path(path).stat().st_size > 0
    with session_scope() as session:
        assert len(session.exec(select(Assignment)).all()) == 15
    before = sent()
    assert before[0] > 15

    again = asyncio.run(annual_cycle(params))

    assert again["results"]["secondment"] == result["results"]["secondment"]
    assert sent() == before  # nothing new written or sent
