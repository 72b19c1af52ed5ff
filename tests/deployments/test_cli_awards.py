"""`learning-district awards --year Y --approve --json` and the awards demo, end to end."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from deployments.cli.app import app
from deployments.demo.awards import _store_sample, run_awards_demo
from models.profile.schema import DistrictProfile


@pytest.mark.usefixtures("prefect_harness")
def test_awards_approve_json_then_rerun_changes_nothing(
    registry: DistrictProfile, db: Path
) -> None:
    _store_sample(2026)
    runner = CliRunner()
    first = runner.invoke(app, ["awards", "--year", "2026", "--approve", "--json"])
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert result["year"] == 2026
    assert set(result["categories"]) == set(registry.awards.quotas)
    for listed in result["categories"].values():
        assert [e["rank"] for e in listed] == [1, 2, 3, 4, 5]
        assert all(isinstance(e["score"], float) for e in listed)
    assert isinstance(result["flagged"], list)
    again = runner.invoke(app, ["awards", "--year", "2026", "--approve", "--json"])
    assert json.loads(again.stdout) == result


@pytest.mark.usefixtures("prefect_harness")
def test_awards_demo_runs_the_year(registry: DistrictProfile, db: Path) -> None:
    buffer = StringIO()
    run_awards_demo(year=2026, console=Console(file=buffer, width=200))
    text = buffer.getvalue()
    assert "不成立" in text and "成立，递补" in text and "final" in text
