"""The secondment flow against a real Prefect server and a real SQLite database."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlmodel import select

from deployments.runtime.operator import find_paused_run, sign_off, wait_next_pause
from flows.teacher_secondment import secondment_decline, teacher_secondment
from models.audit import Decision
from models.db import session_scope
from models.outbox import DeliveryAttempt, OutboxMessage
from models.params.secondment import DeclineParameters, SecondmentParameters, SecondmentSignOff
from models.profile.schema import DistrictProfile
from models.results.secondment import SecondmentResult
from models.secondment import Assignment, SecondmentRound
from tasks.secondment.rules import InfeasibleSecondment, SecondmentRules
from tasks.secondment.solver import select_candidates
from tests.factories import seed_roster

pytestmark = pytest.mark.usefixtures("prefect_harness")

YEAR = 2026


def run(params: SecondmentParameters) -> SecondmentResult:
    return asyncio.run(teacher_secondment(params))


def run_in_thread(params: SecondmentParameters) -> tuple[threading.Thread, dict[str, Any]]:
    """Start the flow in a thread (it will pause); the test plays the operator meanwhile."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = run(params)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def counts() -> dict[str, int]:
    with session_scope() as session:
        return {
            "assignments": len(session.exec(select(Assignment)).all()),
            "messages": len(session.exec(select(OutboxMessage)).all()),
            "sends": len(session.exec(select(DeliveryAttempt)).all()),
            "rounds": len(session.exec(select(SecondmentRound)).all()),
        }


@pytest.fixture
def roster(registry: DistrictProfile) -> DistrictProfile:
    seed_roster(registry, count=200, seed=11)
    return registry


def test_auto_approval_stores_notifies_and_is_idempotent(roster: DistrictProfile, db: Path) -> None:
    result = run(SecondmentParameters(year=YEAR, approval="auto"))

    assert result.status == "approved"
    assert len(result.assignments) == 15
    per_street = dict.fromkeys(roster.secondment_quotas(), 0)
    for a in result.assignments:
        per_street[a.street] += 1
        assert "R10.2" in a.reason
    assert per_street == {"嘉兴路街道": 5, "洛阳路街道": 5, "海伦路街道": 5}

    # the flow's answer is the plain solver's answer on the same roster
    from tasks.secondment.records import load_roster

    expected = select_candidates(load_roster(), rules=SecondmentRules(year=YEAR, quotas=per_street))
    assert result.total_score == pytest.approx(expected.total_score)
    with session_scope() as session:
        decision = session.exec(select(Decision).where(Decision.kind == "placement")).one()
    assert "已证明总分最优" in decision.reason and decision.inputs_digest == expected.inputs_digest
    assert sorted(a.staff_id for a in result.assignments) == sorted(
        p.staff_id for p in expected.placements
    )

    # one message per teacher, per school with a selected teacher, per street; all delivered
    schools = {a.school for a in result.assignments}
    with session_scope() as session:
        messages = session.exec(select(OutboxMessage)).all()
    assert len(messages) == 15 + len(schools) + 3
    assert {m.status for m in messages} == {"delivered"}
    lines = (db / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(messages)
    first = json.loads(lines[0])
    assert "挂职" in first["title"]

    # no unmasked phone in the proposal artifact
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"secondment-proposal-{YEAR}"])
            )
        )
    assert artifacts
    table = json.dumps(artifacts[0].data, ensure_ascii=False)
    assert "****" in table
    from tasks.secondment.records import teacher_phones

    for phone in teacher_phones([a.staff_id for a in result.assignments]).values():
        assert phone not in table

    before = counts()
    again = run(SecondmentParameters(year=YEAR, approval="auto"))
    assert again.assignments == result.assignments
    assert counts() == before  # nothing written, nothing sent


def test_operator_approves_paused_run(roster: DistrictProfile) -> None:
    thread, box = run_in_thread(SecondmentParameters(year=YEAR))
    run_id = find_paused_run(f"secondment-{YEAR}", timeout=120, stop=lambda: not thread.is_alive())
    assert run_id is not None, box.get("error")
    assert counts()["rounds"] == 0  # nothing is written before sign-off

    sign_off(run_id, SecondmentSignOff, decision="approve", operator="王科长", comment="同意")
    thread.join(timeout=120)

    assert box["result"].status == "approved"
    with session_scope() as session:
        rnd = session.get(SecondmentRound, YEAR)
    assert rnd is not None and rnd.approved_by == "王科长" and rnd.comment == "同意"


def test_operator_excludes_then_approves(roster: DistrictProfile) -> None:
    thread, box = run_in_thread(SecondmentParameters(year=YEAR))
    run_id = find_paused_run(f"secondment-{YEAR}", timeout=120, stop=lambda: not thread.is_alive())
    assert run_id is not None, box.get("error")
    from tasks.secondment.records import load_roster

    first = select_candidates(
        load_roster(), rules=SecondmentRules(year=YEAR, quotas=roster.secondment_quotas())
    )
    excluded = first.placements[0].staff_id

    sign_off(
        run_id,
        SecondmentSignOff,
        decision="exclude",
        exclude_staff_ids=[excluded],
        operator="王科长",
    )
    # the run solves again and pauses a second time
    assert wait_next_pause(run_id, timeout=120)
    sign_off(run_id, SecondmentSignOff, decision="approve", operator="王科长")
    thread.join(timeout=120)

    staff = [a.staff_id for a in box["result"].assignments]
    assert excluded not in staff and len(staff) == 15
    reasons = {i.staff_id: i.reasons for i in box["result"].ineligible}
    assert any("排除" in r for r in reasons[excluded])


def test_operator_rejects(roster: DistrictProfile) -> None:
    thread, box = run_in_thread(SecondmentParameters(year=YEAR))
    run_id = find_paused_run(f"secondment-{YEAR}", timeout=120, stop=lambda: not thread.is_alive())
    assert run_id is not None, box.get("error")

    sign_off(run_id, SecondmentSignOff, decision="reject", comment="名额需调整", operator="王科长")
    thread.join(timeout=120)

    assert box["result"].status == "rejected"
    assert counts() == {"assignments": 0, "messages": 0, "sends": 0, "rounds": 0}
    with session_scope() as session:
        rejected = session.exec(select(Decision).where(Decision.kind == "rejected")).one()
    assert "名额需调整" in rejected.reason


def test_a_time_limit_signs_off_the_best_placement_found_with_its_gap(
    roster: DistrictProfile,
) -> None:
    """No proof within the limit: a proposal all the same, its gap said in Chinese and recorded."""
    result = run(SecondmentParameters(year=YEAR, approval="auto", time_limit_seconds=0))

    assert result.status == "approved" and len(result.assignments) == 15
    note = "未能在限时内证明最优，差距≤"
    assert all(note in a.reason for a in result.assignments)
    with session_scope() as session:
        decision = session.exec(select(Decision).where(Decision.kind == "placement")).one()
    assert note in decision.reason and "任何方案总分不超过" in decision.reason
    with get_client(sync_client=True) as client:
        summary = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"secondment-result-{YEAR}"])
            )
        )
    # the Prefect server is shared by the tests: other runs left summaries under the same key
    assert any(note in str(artifact.data) for artifact in summary)


def test_infeasible_writes_nothing(roster: DistrictProfile) -> None:
    params = SecondmentParameters(year=YEAR, approval="auto", quotas={"嘉兴路街道": 150})
    with pytest.raises(InfeasibleSecondment, match="按每校至多 2 名计，符合条件的教师只有"):
        run(params)
    assert counts() == {"assignments": 0, "messages": 0, "sends": 0, "rounds": 0}
    # the run's page in the UI shows the same reason, as an artifact
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"secondment-refusal-{YEAR}"])
            )
        )
    assert artifacts and "符合条件的教师只有" in str(artifacts[0].data)


def test_decline_replaces_exactly_one(roster: DistrictProfile) -> None:
    result = run(SecondmentParameters(year=YEAR, approval="auto"))
    leaver = result.assignments[0]
    before = counts()

    outcome = asyncio.run(
        secondment_decline(DeclineParameters(year=YEAR, staff_id=leaver.staff_id, reason="生病"))
    )

    after = counts()
    assert after["assignments"] == before["assignments"] + 1
    assert outcome.street == leaver.street
    with session_scope() as session:
        rows = session.exec(select(Assignment).where(Assignment.year == YEAR)).all()
    active = [a for a in rows if a.status == "active"]
    declined = [a for a in rows if a.status == "declined"]
    assert len(active) == 15 and [d.staff_id for d in declined] == [leaver.staff_id]
    replacement = next(a for a in active if a.replaces == leaver.staff_id)
    assert replacement.staff_id == outcome.replacement and replacement.street == leaver.street
    schools = [a.school for a in active]
    assert max(schools.count(s) for s in schools) <= 2
    assert sum(a.backbone for a in active) >= 3
    # the replacement, their school and the street are told; the street is told of the change
    with session_scope() as session:
        new = session.exec(select(OutboxMessage).where(OutboxMessage.id > 0)).all()
    audiences = {m.audience for m in new}
    assert f"teacher-{replacement.staff_id}" in audiences

    # the same decline again changes nothing
    again = asyncio.run(
        secondment_decline(DeclineParameters(year=YEAR, staff_id=leaver.staff_id, reason="生病"))
    )
    assert again.already_recorded and again.replacement == outcome.replacement
    assert counts() == after
