"""The `learning-district` command line, run in-process on a real SQLite database.

`secondment` and `demo` start a Prefect server and are tested with the flows.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.registry import School, StoredProfile, Street
from models.secondment import Teacher
from tasks.importing.teachers import TEACHERS

ZH_HEADERS = [column.zh for column in TEACHERS.columns]
KEYS = [column.key for column in TEACHERS.columns]


def run(*args: str | Path) -> Result:
    # Wide columns: rich would otherwise wrap messages (and paths) at 80 characters.
    runner = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"})
    return runner.invoke(app, [str(arg) for arg in args])


def teacher_row(staff_id: str, **overrides: str) -> dict[str, str]:
    row = {
        "staff_id": staff_id,
        "name": f"教师{staff_id}",
        "school": "人民路第一小学",
        "subject": "语文",
        "years_teaching": "12",
        "in_service": "是",
        "annual_rating": "良好",
        "political_score": "85",
        "ability_score": "82.5",
        "community_work_score": "78",
        "backbone": "否",
        "last_secondment_year": "",
        "preferred_streets": "嘉兴路街道；海伦路街道",
        "deferred": "否",
        "phone": "13800138000",
    }
    row.update(overrides)
    return row


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ZH_HEADERS)
        for row in rows:
            writer.writerow([row.get(key, "") for key in KEYS])
    return path


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stored_sources() -> list[str]:
    with session_scope() as session:
        return list(
            session.exec(select(StoredProfile.source).order_by(col(StoredProfile.id))).all()
        )


# ---------------------------------------------------------------- init and profile-check


def test_init_loads_the_bundled_profile(db: Path) -> None:
    result = run("init")

    assert result.exit_code == 0, result.output
    assert "数据库已就绪；区情配置：示例区，街道 8 个（试点 3 个），学校 20 所" in result.stdout
    assert "（未变化）" not in result.stdout
    assert stored_sources() == ["bundled"]
    with session_scope() as session:
        pilots = session.exec(select(Street.name).where(col(Street.pilot))).all()
    assert sorted(pilots) == sorted(["嘉兴路街道", "洛阳路街道", "海伦路街道"])

    again = run("init")
    assert again.exit_code == 0, again.output
    assert "（未变化）" in again.stdout
    assert stored_sources() == ["bundled"]


def test_init_with_a_profile_file(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "district.yaml"
    path.write_text(
        "district: 小区\n"
        "streets:\n"
        "  - {name: 甲街道, pilot: true, communities: [甲一居委]}\n"
        "schools:\n"
        "  - {name: 甲小学, street: 甲街道}\n",
        encoding="utf-8",
    )

    result = run("init", "--profile", path)

    assert result.exit_code == 0, result.output
    assert "区情配置：小区，街道 1 个（试点 1 个），学校 1 所" in result.stdout
    assert stored_sources() == [str(path)]
    assert count(School) == 1


def test_init_takes_the_profile_from_ld_profile(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import get_settings

    path = tmp_path / "district.yaml"
    path.write_text("district: 小区\nstreets:\n  - name: 甲街道\n", encoding="utf-8")
    monkeypatch.setenv("LD_PROFILE", str(path))
    get_settings.cache_clear()

    result = run("init")

    assert result.exit_code == 0, result.output
    assert "区情配置：小区，街道 1 个（试点 0 个），学校 0 所" in result.stdout
    assert stored_sources() == [str(path)]


def test_init_with_a_bad_profile_names_the_line_and_loads_nothing(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "district: 小区\n"
        "streets:\n"
        "  - name: 甲街道\n"
        "schools:\n"
        "  - name: 甲小学\n"
        "    street: 乙街道\n",
        encoding="utf-8",
    )

    result = run("init", "--profile", path)

    assert result.exit_code == 1
    assert "未办理：" in result.stderr
    assert f"{path} 第6行（schools[0].street）：学校“甲小学”所在的“乙街道”不在街道名单" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert stored_sources() == []


def test_init_with_a_missing_profile_file(db: Path, tmp_path: Path) -> None:
    result = run("init", "--profile", tmp_path / "nowhere.yaml")

    assert result.exit_code == 1
    assert f"{tmp_path / 'nowhere.yaml'}：找不到这个文件" in result.stderr


def test_profile_check_accepts_a_good_file(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "district.yaml"
    path.write_text("district: 小区\nstreets:\n  - name: 甲街道\n", encoding="utf-8")

    result = run("profile-check", path)

    assert result.exit_code == 0, result.output
    assert f"{path}：格式正确（小区，街道 1 个）" in result.stdout
    assert stored_sources() == [], "a check loads nothing"


def test_profile_check_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "district: 小区\n"
        "streets:\n"
        "  - name: 甲街道\n"
        "  - name: 甲街道\n"
        "schools:\n"
        "  - {name: 一小, street: 丙街道}\n",
        encoding="utf-8",
    )

    result = run("profile-check", path)

    assert result.exit_code == 1
    assert f"{path} 第4行（streets[1].name）：街道名称“甲街道”重复" in result.stderr
    expected = f"{path} 第6行（schools[0].street）：学校“一小”所在的“丙街道”不在街道名单"
    assert expected in result.stderr


def test_profile_check_warns_of_a_quota_for_an_unknown_street(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(
        "district: 小区\nstreets:\n  - name: 甲街道\nsecondment:\n  quotas: {丙街道: 5}\n",
        encoding="utf-8",
    )

    result = run("profile-check", path)

    assert result.exit_code == 0
    expected = f"{path} 第5行（secondment.quotas.丙街道）：名额所列的“丙街道”不在街道名单"
    assert expected in result.stderr


def test_profile_check_of_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("district: [小区\n", encoding="utf-8")

    result = run("profile-check", path)

    assert result.exit_code == 1
    assert f"{path} 第2行第1列：不是有效的YAML格式" in result.stderr


# ---------------------------------------------------------------- template


def test_template_writes_the_chinese_headers(tmp_path: Path) -> None:
    target = tmp_path / "out" / "teachers.xlsx"

    result = run("template", "teachers", "--out", target)

    assert result.exit_code == 0, result.output
    assert f"已写入模板：{target}" in result.stdout
    workbook = openpyxl.load_workbook(target)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers == ZH_HEADERS
    assert headers[:3] == ["工号", "姓名", "学校"]
    assert {"教龄", "在职", "年度考核", "意向街道", "暂缓", "手机"} <= set(headers)
    assert sheet.max_row == 1, "the template is empty below its headers"


def test_template_of_an_unknown_kind(tmp_path: Path) -> None:
    result = run("template", "pets", "--out", tmp_path / "pets.xlsx")

    assert result.exit_code == 1
    assert "没有“pets”这种模板：可用的种类为" in result.stderr
    assert "teachers" in result.stderr
    assert not (tmp_path / "pets.xlsx").exists()


# ---------------------------------------------------------------- import


def test_import_teachers_prints_the_counts(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "teachers.csv", [teacher_row(f"T{n:03d}") for n in range(1, 4)])

    result = run("import", "teachers", path, "--year", "2026")

    assert result.exit_code == 0, result.output
    assert f"{path}：3 行（utf-8-sig），新增 3，更新 0，未变 0" in result.stdout
    assert count(Teacher) == 3
    assert stored_sources() == ["bundled"], "import prepares a fresh database by itself"

    rows = [teacher_row(f"T{n:03d}") for n in range(1, 5)]
    rows[0]["years_teaching"] = "13"
    again = run("import", "teachers", write_csv(tmp_path / "again.csv", rows), "--year", "2026")
    assert again.exit_code == 0, again.output
    assert "4 行（utf-8-sig），新增 1，更新 1，未变 2" in again.stdout
    assert count(Teacher) == 4


def test_import_of_a_bad_file_lists_every_problem_and_writes_nothing(
    db: Path, tmp_path: Path
) -> None:
    rows = [
        teacher_row("T001"),  # row 2: fine
        teacher_row("T002", school="不存在小学"),  # row 3
        teacher_row("T003", years_teaching="-3", in_service="也许"),  # row 4: two problems
        teacher_row("T001"),  # row 5: duplicate staff_id
        teacher_row("T005", political_score="101", phone="12345"),  # row 6: two problems
        teacher_row("T006", name=""),  # row 7: required
    ]
    path = write_csv(tmp_path / "teachers.csv", rows)

    result = run("import", "teachers", path, "--year", "2026")

    assert result.exit_code == 1
    expected = [
        "第3行「学校」列：",
        "第4行「教龄」列：",
        "第4行「在职」列：",
        "第5行「工号」列：",
        "第6行「政治素质」列：",
        "第6行「手机」列：",
        "第7行「姓名」列：",
    ]
    listed = [line for line in result.stderr.splitlines() if line.startswith("第")]
    assert [line.split("：")[0] + "：" for line in listed] == expected, result.stderr
    assert "未导入，未写入任何内容（7 处问题）" in result.stderr
    assert not [line for line in listed if line.startswith("第2行")]
    assert count(Teacher) == 0


def test_import_of_a_missing_file(db: Path, tmp_path: Path) -> None:
    result = run("import", "teachers", tmp_path / "nowhere.csv")

    assert result.exit_code == 1
    assert "找不到这个文件" in result.stderr
    assert count(Teacher) == 0


def test_import_of_an_unknown_kind_names_the_known_kinds(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "teachers.csv", [teacher_row("T001")])

    result = run("import", "unknownkind", path)

    assert result.exit_code == 1
    assert "不能导入“unknownkind”：可导入的种类为" in result.stderr
    assert "teachers" in result.stderr
    assert count(Teacher) == 0


def test_no_arguments_shows_the_help() -> None:
    result = run()

    assert "Usage" in result.output
    for command in ("init", "import", "template", "profile-check", "secondment"):
        assert command in result.output
