"""`secondment` and `decline` on the command line, against the Prefect test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli.app import app
from models.profile.schema import DistrictProfile
from tests.factories import seed_roster

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def test_secondment_approve_json_then_decline(registry: DistrictProfile, db: Path) -> None:
    seed_roster(registry, count=150, seed=3)

    done = runner.invoke(app, ["secondment", "--year", "2026", "--approve", "--json"])

    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout[done.stdout.index("{") :])
    assert set(result) >= {"year", "status", "assignments", "total_score", "ineligible"}
    assert result["year"] == 2026 and result["status"] == "approved"
    assert len(result["assignments"]) == 15
    assert all({"staff_id", "street", "score"} <= set(a) for a in result["assignments"])
    assert result["total_score"] == pytest.approx(sum(a["score"] for a in result["assignments"]))
    assert all(i["reasons"] for i in result["ineligible"])

    leaver = result["assignments"][0]["staff_id"]
    declined = runner.invoke(app, ["decline", leaver, "--year", "2026", "--reason", "生病"])
    assert declined.exit_code == 0, declined.output
    assert "递补" in declined.output

    again = runner.invoke(app, ["secondment", "--year", "2026", "--approve", "--json"])
    after = json.loads(again.stdout[again.stdout.index("{") :])
    assert leaver not in {a["staff_id"] for a in after["assignments"]}
    assert [d["staff_id"] for d in after["declined"]] == [leaver]


def test_infeasible_secondment_exits_1_naming_the_shortfall(
    registry: DistrictProfile, db: Path
) -> None:
    seed_roster(registry, count=12, seed=3)  # far fewer eligible teachers than 15 places

    done = runner.invoke(app, ["secondment", "--year", "2026", "--approve", "--json"])

    assert done.exit_code == 1
    assert "无法形成选派方案" in done.output and "符合条件的教师只有" in done.output
    assert "Traceback" not in done.output


def test_decline_of_unknown_teacher_is_a_clear_error(registry: DistrictProfile, db: Path) -> None:
    done = runner.invoke(app, ["decline", "T99999", "--year", "2026"])
    assert done.exit_code == 1
    assert "2026年度尚无已批准的挂职选派方案" in done.output
