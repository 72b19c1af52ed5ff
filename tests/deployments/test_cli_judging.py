"""`learning-district import judges`, `scoring open` and `scoring --year Y --json`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.awards import Nomination
from models.db import session_scope
from models.profile.schema import DistrictProfile
from tasks.samples.awards import generate_nominations
from tests.tasks.test_judging import JUDGES, write_csv


def test_import_open_and_progress(registry: DistrictProfile, db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["import", "judges", str(write_csv(tmp_path / "j.csv", JUDGES))])
    assert imported.exit_code == 0, imported.output
    assert f"新增 {len(JUDGES)}，更新 0" in imported.stdout.replace("\n", "")

    early = runner.invoke(app, ["scoring", "--year", "2026", "--json"])
    assert early.exit_code == 1 and "2026年度尚未开始评分" in early.output
    empty = runner.invoke(
        app, ["scoring", "open", "--year", "2026", "--deadline", "2026-11-20", "--today",
              "2026-11-02", "--yes"],
    )  # fmt: skip
    assert empty.exit_code == 1 and "没有符合条件的提名" in empty.output

    with session_scope() as session:
        for n in generate_nominations(registry, year=2026, per_category=2, seed=3):
            session.add(Nomination(**n.model_dump()))
    late = runner.invoke(
        app, ["scoring", "open", "--year", "2026", "--deadline", "2026-10-20", "--today",
              "2026-11-02", "--yes"],
    )  # fmt: skip
    assert late.exit_code == 1 and "2026年10月20日早于今天" in late.output
    opened = runner.invoke(
        app, ["scoring", "open", "--year", "2026", "--deadline", "2026-11-20", "--today",
              "2026-11-02", "--yes"],
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    outcome = json.loads(opened.stdout)
    assert outcome["opened"] is True and outcome["pairs"] == 12 * 3

    shown = runner.invoke(app, ["scoring", "--year", "2026", "--json"])
    assert shown.exit_code == 0, shown.output
    progress = json.loads(shown.stdout)
    assert sum(row["assigned"] for row in progress["judges"]) == 36
    assert sum(row["assigned"] for row in progress["categories"]) == 36
    assert all(row["scored"] == 0 for row in progress["judges"])
    assert len(progress["short"]) == 12  # nothing scored yet: every nomination is short
    table = runner.invoke(app, ["scoring", "--year", "2026"])
    assert table.exit_code == 0 and "按评委" in table.stdout
    with session_scope() as session:
        assert len(session.exec(select(Nomination)).all()) == 12
