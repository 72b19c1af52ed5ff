"""`learning-district import judges`, `scoring open` and `scoring --year Y --json`, for the
awards (评委) and for the golden ideas (`--process ideas`, 评审)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.awards import Nomination
from models.db import session_scope
from models.profile.schema import DistrictProfile
from tasks.ideas import intake, records
from tasks.ideas.campaign import open_campaign
from tasks.ideas.clusters import year_clusters
from tasks.ideas.screening import Submission
from tasks.samples.awards import generate_nominations
from tasks.samples.ideas import generate_ideas
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


def test_reviewers_score_the_golden_ideas_in_a_round_of_their_own(
    registry: DistrictProfile, db: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    ideas = ["scoring", "open", "--process", "ideas", "--year", "2026", "--deadline",
             "2026-10-20", "--today", "2026-10-08", "--yes"]  # fmt: skip
    early = runner.invoke(app, ideas)
    assert early.exit_code == 1 and "2026年度尚未开展金点子征集" in early.output
    unknown = runner.invoke(app, ["scoring", "--process", "prizes", "--year", "2026"])
    assert unknown.exit_code == 1 and "没有“prizes”评分" in unknown.output

    open_campaign(year=2026, start=date(2026, 9, 1))
    communities = [c for s in registry.streets for c in s.communities]
    ids = [
        intake.submit(
            year=2026,
            submission=Submission(
                submitter=s.submitter, phone=s.phone, community=s.community, title=s.title,
                content=s.content, ref=s.ref,
            ),
            source="demo",
            now=datetime(2026, 9, 5, 2, 0, tzinfo=UTC),
            submitted_at=s.submitted_at,
        ).id
        for s in generate_ideas(count=10, communities=communities, year=2026, seed=4)
    ]  # fmt: skip
    records.screen_ids(ids=ids, now=datetime(2026, 9, 5, 2, 0, tzinfo=UTC))
    opened = runner.invoke(app, ideas)
    assert opened.exit_code == 0, opened.output
    outcome = json.loads(opened.stdout)
    assert outcome["process"] == "ideas" and outcome["opened"] is True
    assert outcome["pairs"] == len(year_clusters(2026)) * registry.ideas.reviewers_per_idea

    shown = runner.invoke(app, ["scoring", "--process", "ideas", "--year", "2026", "--json"])
    assert shown.exit_code == 0, shown.output
    progress = json.loads(shown.stdout)
    assert sum(row["assigned"] for row in progress["judges"]) == outcome["pairs"]
    assert sum(row["assigned"] for row in progress["categories"]) == outcome["pairs"]
    assert {row["name"] for row in progress["judges"]} <= {r.name for r in registry.ideas.reviewers}
    table = runner.invoke(app, ["scoring", "--process", "ideas", "--year", "2026"])
    assert table.exit_code == 0 and "按评审" in table.stdout
    awards = runner.invoke(app, ["scoring", "--year", "2026", "--json"])
    assert awards.exit_code == 1 and "2026年度尚未开始评分" in awards.output
