"""`import holidays`, `holidays show` and `holidays recheck` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from deployments.cli.app import app
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from tasks.calendar import plan, records
from tasks.calendar.scheduling import solve_schedule
from tests.holiday_notices import NOTICE_2027, write_csv

runner = CliRunner()


def test_template_has_the_three_chinese_headers(tmp_path: Path) -> None:
    done = runner.invoke(app, ["template", "holidays", "--out", str(tmp_path / "t.xlsx")])
    assert done.exit_code == 0, done.output
    sheet = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == ["日期", "类型", "名称"]


def test_show_import_recheck_and_accept(registry: DistrictProfile, db: Path) -> None:
    inputs = records.plan_inputs(CalendarParameters(year=2027), year=2027)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    assert plan.record_calendar(inputs=inputs, schedule=schedule)

    shown = runner.invoke(app, ["holidays", "show", "--year", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "2027年节假日依据：推算" in shown.output
    assert "2027年2月8日（星期一）  放假  春节（推算）" in shown.output.replace("\n", "")

    bad = write_csv(db.parent / "bad.csv", [("2027-02-17", "上班", "春节")])
    refused = runner.invoke(app, ["import", "holidays", str(bad)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "2027年2月17日是工作日（星期三），无需调休上班" in refused.output.replace("\n", "")

    notice = write_csv(db.parent / "2027.csv", NOTICE_2027)
    done = runner.invoke(app, ["import", "holidays", str(notice)])
    assert done.exit_code == 0, done.output
    said = done.output.replace("\n", "")  # the terminal wraps long lines
    assert "2027.csv：已录入国务院办公厅节假日安排，共12条" in said
    assert "2027年：放假18个工作日，调休上班5天" in said
    assert "2027年的计划按推算编制，现按经办人员录入的国务院办公厅通知，有6天" in said
    assert (
        "社区教育工作会议（提前7个工作日提醒）：由2027年2月15日（星期一）改为2027年2月16日（星期二）"
        in said
    )

    listed = runner.invoke(app, ["holidays", "recheck", "--year", "2027", "--json"])
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.stdout)
    assert [d["old"] for d in report["dates"]] == ["2027-02-15"]
    accepted = runner.invoke(
        app, ["holidays", "recheck", "--year", "2027", "--accept", "--operator", "李经办"]
    )
    assert accepted.exit_code == 0 and "已记录复核" in accepted.output
    again = runner.invoke(app, ["holidays", "recheck", "--year", "2027"])
    assert again.exit_code == 0 and "无须复核" in again.output
