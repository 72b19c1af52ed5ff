"""`import ideas` and `ideas clusters --json` on the command line (docs/spec.md contract)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from deployments.cli.app import app
from models.profile.schema import DistrictProfile
from tasks.ideas import campaign

runner = CliRunner()


def test_import_then_clusters_json(registry: DistrictProfile, db: Path, tmp_path: Path) -> None:
    campaign.open_campaign(year=2026, start=date(2026, 9, 1))
    text = "建议每月在社区学校举办一次读书分享会，邀请老师导读。"
    file = tmp_path / "ideas.csv"
    file.write_text(
        "编号,提交人,手机,社区,标题,内容\n"
        f"A2,王芳,13812345678,嘉兴一居委,读书会,{text}\n"
        f"A1,张伟,13912345678,洛阳一居委,读书会！,{text}谢谢\n"
        "A3,刘洋,13712345678,海伦一居委,手机课,给老年人开设智能手机培训课程\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["import", "ideas", str(file), "--year", "2026"])
    assert done.exit_code == 0, done.output
    assert "新增 3" in done.output and "本次筛查 3 条" in done.output

    listed = runner.invoke(app, ["ideas", "clusters", "--year", "2026", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == {"year": 2026, "clusters": [["A1", "A2"], ["A3"]]}

    bad = tmp_path / "bad.csv"
    bad.write_text("提交人,手机,社区,标题,内容\n李强,123,火星居委,标题,太短\n", encoding="utf-8")
    rejected = runner.invoke(app, ["import", "ideas", str(bad), "--year", "2026"])
    assert rejected.exit_code == 1
    assert "第2行「" in rejected.output
