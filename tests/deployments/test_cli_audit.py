"""`learning-district audit --year Y [--json]`: exit 0 when every decision agrees, 1 naming each
difference in Chinese otherwise; the weekly flow raises an artifact and tells the operator."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from deployments.cli.app import app
from flows.decision_audit import decision_audit
from models.audit import Decision
from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.secondment.records import load_roster, record_approval
from tasks.secondment.rules import SecondmentRules
from tasks.secondment.solver import select_candidates
from tests.factories import seed_roster
from tests.messages import lint_message

runner = CliRunner()


def decide(profile: DistrictProfile) -> None:
    seed_roster(profile, count=80, seed=5)
    rules = SecondmentRules(year=2026, quotas=profile.secondment_quotas())
    proposal = select_candidates(load_roster(), rules=rules)
    assert record_approval(proposal=proposal, rules=rules, operator="李经办", comment="")


def move_first_selected() -> str:
    with session_scope() as session:
        row = session.exec(
            select(Decision).where(Decision.kind == "selected").order_by(col(Decision.id))
        ).first()
        assert row is not None and row.outcome is not None
        row.outcome = {**row.outcome, "street": "江湾镇街道"}
        session.add(row)
        return row.subject


def test_the_audit_passes_then_names_a_tampered_decision(registry: DistrictProfile) -> None:
    decide(registry)

    agreed = runner.invoke(app, ["audit", "--year", "2026"])

    assert agreed.exit_code == 0, agreed.output
    assert "全部与记录一致" in agreed.output
    subject = move_first_selected()

    differs = runner.invoke(app, ["audit", "--year", "2026"])

    assert differs.exit_code == 1
    assert "发现1处不一致" in differs.output
    assert f"教师挂职选派：{subject}的“入选”决定" in differs.output
    assert "记录为街道江湾镇街道；按记录的输入复核为街道" in differs.output
    shown = runner.invoke(app, ["audit", "--year", "2026", "--json"])
    assert shown.exit_code == 1
    found = json.loads(shown.output)
    assert found["ok"] is False and found["checked"] > 15
    (difference,) = found["differences"]
    assert (difference["subject"], difference["kind"], difference["what"]) == (
        subject,
        "selected",
        "outcome",
    )


@pytest.mark.usefixtures("prefect_harness")
def test_the_weekly_run_tells_the_operator_once(registry: DistrictProfile) -> None:
    decide(registry)
    quiet = asyncio.run(decision_audit(year=2026))
    assert quiet["2026"]["ok"] is True
    subject = move_first_selected()

    asyncio.run(decision_audit(year=2026))
    asyncio.run(decision_audit(year=2026))  # the same difference is told once

    with session_scope() as session:
        told = session.exec(select(OutboxMessage).where(OutboxMessage.flow == "audit")).all()
    (message,) = told
    assert message.audience == "operator"
    assert "区社区教育指导中心信息管理员" in message.body and subject in message.body
    assert lint_message(message.title, message.body) == []
