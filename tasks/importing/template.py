"""The empty XLSX template of a kind: Chinese headers, drop-down lists and a 说明 sheet."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tasks.importing.kinds import get_kind

_TEMPLATE_ROWS = 5000  # rows of the template that get the drop-down lists


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_template(kind: str, path: Path) -> Path:
    """Write an empty XLSX for KIND: Chinese headers in row 1 and a 说明 sheet explaining them."""
    spec = get_kind(kind)
    path = Path(path)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.title_zh
    bold = Font(bold=True)
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.zh)
        cell.font = bold
        width = max(_display_width(column.zh), _display_width(column.example), 6) + 4
        sheet.column_dimensions[letter].width = width
        if column.text_format:
            # Stops Excel from turning ids and phone numbers into numbers (leading zeros, 1.38E+10).
            sheet.column_dimensions[letter].number_format = "@"
        if column.choices:
            choices = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                errorStyle="warning",
            )
            choices.add(f"{letter}2:{letter}{_TEMPLATE_ROWS + 1}")
            sheet.add_data_validation(choices)
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append(["中文列名", "英文列名", "类型", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for column in spec.columns:
        notes.append(
            [
                column.zh,
                column.key,
                column.type_zh,
                "是" if column.required else "否",
                column.notes,
                column.example,
            ]
        )
    for letter, width in zip("ABCDEF", (14, 24, 22, 6, 60, 24), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
    notes.append([])
    notes.append(
        [
            "表头可用中文或英文列名，顺序不限，多余的列会被忽略；"
            "文件有任何错误时整份不导入，并逐条列出“第几行、哪一列、什么问题”。"
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
