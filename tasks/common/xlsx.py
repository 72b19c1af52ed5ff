"""Spreadsheets that print: one table per sheet, laid out for a clerk and for paper.

Every sheet written here has a title row, an optional one-paragraph note, a bold header row,
columns as wide as their text (a CJK character counts double), number formats (ranks and counts
as integers, scores with two decimals), a frozen header, an auto-filter, and a print setup of A4
landscape, all columns fitted to one page width, the header row repeated on every page and page
numbers in the footer. Text that looks like a formula is stored as text (`keep_as_text`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@")
FONT_NAME = "宋体"  # SimSun on Windows; LibreOffice substitutes a CJK serif font elsewhere
NUMBER_FORMATS = {"int": "0", "decimal": "0.00", "percent": "0%", "text": "@", "wrap": "@"}
MIN_WIDTH = 6.0
MAX_WIDTH = 24.0  # a plain text column
MAX_WRAP_WIDTH = 44.0  # a column of sentences (reasons): wrapped beyond this
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


@dataclass(frozen=True)
class Column:
    """One column of a table: its header and what its values are.

    `kind`: "text" (left-aligned), "int" (ranks, counts), "decimal" (two decimals), "percent"
    (a ratio shown as 85%) or "wrap" (sentences, wrapped in a wider column).
    """

    header: str
    kind: Literal["text", "int", "decimal", "percent", "wrap"] = "text"


def display_width(text: str) -> int:
    """Width of `text` in Latin-character units: a wide (CJK) character counts double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(value: object, kind: str) -> str:
    """The text a cell shows, for measuring."""
    if value is None:
        return ""
    if kind == "decimal" and isinstance(value, int | float):
        return f"{value:.2f}"
    if kind == "int" and isinstance(value, int | float):
        return str(round(value))
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:.0%}"
    return str(value)


def _width(column: Column, values: Iterable[object]) -> float:
    # bold headers are a little wider; 1.15 and +2 leave room for the filter button and padding
    widest = max(
        [display_width(column.header) * 1.15 + 2.5]
        + [display_width(_shown(v, column.kind)) * 1.1 + 2 for v in values]
    )
    ceiling = MAX_WRAP_WIDTH if column.kind == "wrap" else MAX_WIDTH
    return round(min(max(widest, MIN_WIDTH), ceiling), 1)


def _lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column of `width` units (at least one)."""
    return max(1, math.ceil(display_width(text) * 1.1 / max(width - 1, 1)))


def new_workbook() -> Workbook:
    """An empty workbook (its default sheet removed: every sheet is added by `add_table`)."""
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    return book


def add_table(
    book: Workbook,
    *,
    sheet_name: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    note: str = "",
) -> Worksheet:
    """Add a sheet holding one table, laid out and set up for printing; return it."""
    sheet = book.create_sheet(title=sheet_name[:31])  # Excel's limit on sheet names
    count = len(columns)
    last = get_column_letter(count)
    widths = [_width(c, (row[i] for row in rows)) for i, c in enumerate(columns)]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    total = sum(widths)

    sheet.append([title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(name=FONT_NAME, size=15, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    header_row = 2
    if note:
        sheet.append([note])
        sheet.merge_cells(f"A2:{last}2")
        sheet["A2"].font = Font(name=FONT_NAME, size=10, color="404040")
        sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[2].height = 15 * _lines(note, total) + 4
        header_row = 3

    sheet.append([c.header for c in columns])
    for cell in sheet[header_row]:
        cell.font = Font(name=FONT_NAME, size=11, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[header_row].height = 22

    body_font = Font(name=FONT_NAME, size=11)
    for row in rows:
        sheet.append(list(row))
        number = sheet.max_row
        tallest = 1
        for column, cell, width in zip(columns, sheet[number], widths, strict=True):
            cell.font = body_font
            cell.border = _BORDER
            if column.kind in ("int", "decimal", "percent") and isinstance(cell.value, int | float):
                cell.number_format = NUMBER_FORMATS[column.kind]
                # ranks and counts centred: a rank never runs into the code beside it
                where = "center" if column.kind == "int" else "right"
                cell.alignment = Alignment(horizontal=where, vertical="top")
            elif column.kind == "int":  # a text in a column of numbers ("增列")
                cell.alignment = Alignment(horizontal="center", vertical="top")
            elif column.kind == "wrap":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                tallest = max(tallest, _lines(_shown(cell.value, "wrap"), width))
            else:
                cell.alignment = Alignment(vertical="top")
        # one height for every row (CJK text needs more than the default); taller when wrapped,
        # as LibreOffice and Excel do not grow rows they did not lay out themselves
        sheet.row_dimensions[number].height = 18 if tallest == 1 else 15 * tallest + 3

    last_row = max(sheet.max_row, header_row)
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{last}{last_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{last}{last_row}"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as needed, never a second page across
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    margins = sheet.page_margins
    margins.left = margins.right = 0.5
    margins.top, margins.bottom = 0.6, 0.8
    margins.header, margins.footer = 0.3, 0.35
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    keep_as_text(sheet)
    return sheet


def keep_as_text(sheet: Worksheet) -> int:
    """Store every text cell that looks like a formula as plain text; return how many.

    openpyxl writes any string starting with "=" as a live formula, so a nominee named
    `=HYPERLINK(...)` in an imported file would run in the clerk's spreadsheet (formula
    injection, docs/threat-model.md). Numbers stay numbers.
    """
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                changed += 1
    return changed


def save_workbook(book: Workbook, path: Path) -> Path:
    """Write the workbook whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.xlsx")
    book.save(tmp)
    tmp.replace(path)
    return path
