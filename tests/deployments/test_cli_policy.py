"""The command groups of the rest of the policy: what a clerk types, what they see."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.samples import network as samples

runner = CliRunner()


def outbox() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.exec(select(OutboxMessage)).all())


@pytest.mark.parametrize(
    "kind", ["bases", "team", "community_schools", "playgrounds", "pledges", "attendance"]
)
def test_every_kind_has_its_template(kind: str, registry: DistrictProfile, tmp_path: Path) -> None:
    done = runner.invoke(app, ["template", kind, "--out", str(tmp_path / f"{kind}.xlsx")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / f"{kind}.xlsx").stat().st_size > 0


def test_the_rollout_shows_and_only_check_sends(registry: DistrictProfile) -> None:
    shown = runner.invoke(app, ["network", "rollout", "--year", "2027", "--today", "2027-01-15"])
    assert shown.exit_code == 0 and "四川北路街道" in shown.output and outbox() == []

    checked = runner.invoke(
        app, ["network", "rollout", "--year", "2027", "--today", "2027-01-15", "--check"]
    )
    bad = runner.invoke(app, ["network", "rollout", "--year", "2027", "--today", "1月15日"])

    assert checked.exit_code == 0 and "发出通知5条" in checked.output
    assert bad.exit_code == 1 and "不是日期" in bad.output and "Traceback" not in bad.output


def test_playgrounds_week_and_report(registry: DistrictProfile, tmp_path: Path) -> None:
    path = samples.write_playgrounds_csv(tmp_path / "p.csv", registry, seed=2)
    imported = runner.invoke(app, ["import", "playgrounds", str(path)])
    week = runner.invoke(app, ["playgrounds", "week", "--start", "2026-09-25"])
    closures = runner.invoke(app, ["playgrounds", "closures", "--year", "2026"])
    report = runner.invoke(app, ["network", "report", "--year", "2026"])

    assert imported.exit_code == 0 and "新增24" in imported.output
    assert week.exit_code == 0 and "国庆节假期" in week.output and outbox() == []
    assert closures.exit_code == 0 and "春节假期" in closures.output
    assert report.exit_code == 0 and "三级网络" in report.output


def test_refusals_are_chinese_and_clean(registry: DistrictProfile) -> None:
    seminars = runner.invoke(app, ["seminars", "plan", "--year", "2027"])
    training = runner.invoke(app, ["training", "attendance", "--year", "2027"])

    assert seminars.exit_code == 1 and "尚未排定" in seminars.output
    assert "Traceback" not in seminars.output
    assert training.exit_code == 0 and "2027年尚未安排干部培训" in training.output
