"""Volunteers (R10.3) and the lecturer group (R10.4): import kind `volunteers`, KPI lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.profile.schema import DistrictProfile
from models.volunteers import Volunteer
from tasks.importing.reading import ImportRejected
from tasks.importing.volunteers import import_volunteers_file
from tasks.kpi.report import collect_kpis, kpi_markdown

HEADER = "年度,编号,姓名,类别,背景,街道,授课社区,授课次数\n"


def _file(tmp_path: Path, rows: str, name: str = "volunteers.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _people() -> list[Volunteer]:
    with session_scope() as session:
        return list(session.exec(select(Volunteer)).all())


def test_import_then_count_in_the_kpi_report(registry: DistrictProfile, tmp_path: Path) -> None:
    street = registry.streets[0]
    community = street.communities[0]
    path = _file(
        tmp_path,
        f"2026,V1,王芳,志愿者,书法,{street.name},{community},6\n"
        f"2026,V2,李强,volunteer,摄影,{street.name},,\n"
        f"2026,L1,赵德明,讲师团,退休教师,{street.name},{community},2\n",
    )

    first = import_volunteers_file(path, year=2026)
    again = import_volunteers_file(path, year=2026)

    assert (first.inserted, again.inserted, again.unchanged) == (3, 0, 3)
    report = collect_kpis(year=2026)
    lines = {line.key: line for line in report.lines}
    assert lines["volunteers_teaching"].actual == 1  # V2 taught no lessons
    assert lines["volunteer_lessons"].actual == 8
    assert lines["lecturers"].actual == 1
    row = next(r for r in report.per_street if r["街道"] == street.name)
    assert row["授课志愿者"] == 1
    assert "尚未登记志愿者" not in kpi_markdown(report)


def test_report_says_when_nobody_is_registered(registry: DistrictProfile) -> None:
    assert "尚未登记志愿者和讲师团" in kpi_markdown(collect_kpis(year=2026))


def test_a_bad_file_is_rejected_whole_with_every_place(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    street = registry.streets[0]
    path = _file(
        tmp_path,
        f"2026,V1,王芳,志愿者,书法,{street.name},{street.communities[0]},6\n"
        f"2026,V2,李强,园丁,,{street.name},,\n"
        f"2026,V3,周敏,志愿者,,不存在街道,,\n"
        f"2026,V4,吴静,志愿者,,{street.name},,3\n"
        f"2026,V1,王芳,志愿者,,{street.name},,\n"
        f"2026,V5,钱伟,志愿者,,{street.name},,-1\n",
    )

    with pytest.raises(ImportRejected) as rejected:
        import_volunteers_file(path, year=2026)

    text = "\n".join(rejected.value.problems)
    assert "第3行" in text and "园丁" in text  # unknown role
    assert "第4行" in text and "不是区情配置中的街道" in text
    assert "第5行" in text and "请写明授课社区" in text
    assert "第6行" in text and "已出现在前面的行中" in text  # V1 twice
    assert "第7行" in text  # negative lessons
    assert _people() == []  # nothing written


def test_cli_import_and_template(registry: DistrictProfile, tmp_path: Path) -> None:
    street = registry.streets[0]
    path = _file(tmp_path, f"2026,L9,孙立,讲师团,老党员,{street.name},,\n")
    runner = CliRunner()

    imported = runner.invoke(app, ["import", "volunteers", str(path), "--year", "2026"])
    template = runner.invoke(app, ["template", "volunteers", "--out", str(tmp_path / "t.xlsx")])

    assert imported.exit_code == 0, imported.output
    assert "新增 1" in imported.output
    assert template.exit_code == 0 and (tmp_path / "t.xlsx").stat().st_size > 0
    assert [p.person_id for p in _people()] == ["L9"]


def test_generated_list_imports_cleanly_and_is_reproducible(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    from tasks.samples.year import write_volunteers_csv

    first = write_volunteers_csv(tmp_path / "a.csv", registry, year=2026, seed=5, count=30)
    second = write_volunteers_csv(tmp_path / "b.csv", registry, year=2026, seed=5, count=30)
    assert first.read_bytes() == second.read_bytes()

    summary = import_volunteers_file(first, year=2026)

    assert summary.inserted == 30
    lines = {line.key: line for line in collect_kpis(year=2026).lines}
    assert lines["lecturers"].actual == 10  # every third person
    assert 0 < lines["volunteers_teaching"].actual <= 20
