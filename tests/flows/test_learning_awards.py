"""The awards flow on a real Prefect server: the committee strikes a nomination, then approves."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from sqlmodel import select

from deployments.runtime.operator import find_paused_run, sign_off, wait_next_pause
from flows.learning_awards import learning_awards
from models.awards import AwardRound, AwardScore, Nomination
from models.db import session_scope
from models.outbox import OutboxMessage
from models.params.awards import AwardsParameters, AwardsSignOff
from models.profile.schema import DistrictProfile
from tasks.awards.rules import NothingToList
from tasks.samples.awards import generate_nominations, generate_scores

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = 2026


def store_sample(profile: DistrictProfile) -> None:
    noms = generate_nominations(profile, year=YEAR, per_category=7, seed=4)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(profile, noms, seed=4):
            session.add(AwardScore(**s.model_dump()))


def test_committee_strikes_then_approves(registry: DistrictProfile, db: Path) -> None:
    store_sample(registry)
    params = AwardsParameters(year=YEAR, publicity_start=date(2026, 12, 1))
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(learning_awards(params))
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    run_id = find_paused_run(f"awards-{YEAR}", timeout=120, stop=lambda: not thread.is_alive())
    assert run_id is not None, box.get("error")

    # strike the top family nominee of the proposal the committee sees (its table artifact)
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"awards-proposal-{YEAR}"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]),
            )
        )
    rows = artifact.data if isinstance(artifact.data, list) else json.loads(str(artifact.data))
    target_ref = next(r["编号"] for r in rows if r["类别"] == "学习型家庭" and r["排名"] == 1)
    sign_off(
        run_id,
        AwardsSignOff,
        decision="strike",
        refs=[target_ref],
        reason="材料不实",
        operator="主任",
    )
    assert wait_next_pause(run_id, timeout=120)
    sign_off(run_id, AwardsSignOff, decision="approve", operator="主任", comment="同意公示")
    thread.join(timeout=120)

    assert "error" not in box, box.get("error")
    result = box["result"]
    listed = {e.ref for entries in result.categories.values() for e in entries}
    assert target_ref not in listed
    assert all(len(v) <= 5 for v in result.categories.values())


def test_no_nominations_no_publicity_no_pause(registry: DistrictProfile, db: Path) -> None:
    # manual approval: the run refuses before it would ask the committee anything
    with pytest.raises(NothingToList, match="没有任何提名"):
        asyncio.run(learning_awards(AwardsParameters(year=YEAR)))

    with session_scope() as session:
        assert session.exec(select(OutboxMessage)).all() == []
        assert session.get(AwardRound, YEAR) is None
