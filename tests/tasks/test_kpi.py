"""The annual KPI report on a real database."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from models.profile.schema import DistrictProfile
from tasks.kpi.report import collect_kpis, kpi_markdown, write_kpi_xlsx
from tasks.secondment.records import load_roster, record_approval
from tasks.secondment.rules import SecondmentRules
from tasks.secondment.solver import select_candidates
from tests.factories import seed_roster


def test_figures_against_targets(registry: DistrictProfile, tmp_path: Path) -> None:
    seed_roster(registry, count=150, seed=8)
    rules = SecondmentRules(year=2026, quotas=registry.secondment_quotas())
    proposal = select_candidates(load_roster(), rules=rules)
    record_approval(proposal=proposal, rules=rules, operator="t", comment="")

    report = collect_kpis(year=2026)

    lines = {line.key: line for line in report.lines}
    assert lines["seconded_teachers"].actual == 15 and lines["seconded_teachers"].met
    assert lines["community_school_streets"].actual == 3  # the three pilot schools (R8.3)
    assert lines["community_school_streets"].target == 3
    assert lines["ideas_received"].actual == 0 and lines["ideas_received"].met is False
    streets = {row["街道"]: row for row in report.per_street}
    assert sum(int(str(row["挂职教师"])) for row in report.per_street) == 15
    assert streets["嘉兴路街道"]["社区学校"] == "有" and streets["江湾镇街道"]["社区学校"] == ""

    markdown = kpi_markdown(report)
    assert "| 挂职社区教育助理（教师） | R10.2 | 15 | 15 | 达成 |" in markdown
    xlsx = write_kpi_xlsx(report, tmp_path / "kpi.xlsx")
    sheet = load_workbook(xlsx)["指标"]
    assert sheet["A1"].value == "示例区2026年度学习型城区建设指标（目标年度2029年）"
    assert [c.value for c in sheet[3]] == ["指标", "实际", "目标", "完成率", "达成"]
    assert sheet.max_row == len(report.lines) + 3  # title, note, header
    seconded = next(row for row in sheet.iter_rows(min_row=4) if row[0].value.startswith("挂职"))
    assert [c.value for c in seconded] == ["挂职社区教育助理（教师）", 15, 15, 1.0, "达成"]
    assert seconded[3].number_format == "0%"
