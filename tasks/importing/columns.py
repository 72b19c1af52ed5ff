"""Columns and kinds of input files: header matching and the per-row parse that lists every problem.

Every problem is reported in Chinese as `第N行「C」列：what is wrong`, with N the row number a
spreadsheet program shows and C the header as written in the file, and every problem of the file
is listed, not just the first (spec "Input files").
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tasks.common.text import UNFIT_CHARACTER
from tasks.importing.reading import (
    MAX_CELL_CHARS,
    PROGRESS_STEP,
    ImportRejected,
    ProgressCallback,
    TableRows,
)


class CellError(ValueError):
    """A cell value that does not fit its column; the message is shown to the clerk."""


Parser = Callable[[str], object]
"""Turns a cell's text into a value, or raises CellError; optional columns also get empty text."""


@dataclass(frozen=True)
class Column:
    """One column of a kind of file: its two header spellings, its parser, its template notes."""

    key: str  # the English header, also the field name
    zh: str  # the Chinese header (used in templates)
    parse: Parser
    type_zh: str  # type as explained in the template's 说明 sheet
    required: bool = False
    unique: bool = False
    notes: str = ""
    example: str = ""
    text_format: bool = False  # template column formatted as text (ids, phone numbers)
    choices: tuple[str, ...] = ()  # template drop-down list
    max_chars: int = MAX_CELL_CHARS


RowCheck = Callable[[Mapping[str, object]], list[tuple[str, str]]]
"""Cross-column or registry checks of one row's parsed values: (column key, problem) pairs."""


@dataclass(frozen=True)
class Kind:
    """A kind of input file: its columns in template order."""

    name: str
    title_zh: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class ParsedRow:
    """A data row whose every recognised cell parsed and passed its checks."""

    number: int
    values: dict[str, object] = field(default_factory=dict)


def show_cell(text: str) -> str:
    """A cell value quoted for a Chinese message, shortened if long."""
    return f"“{text if len(text) <= 40 else text[:37] + '…'}”"


def place(row: int, column: str) -> str:
    """Where a problem is, as a clerk finds it in the file: 第3行「手机」列."""
    return f"第{row}行「{column}」列"


def _header_key(text: str) -> str:
    return text.casefold().replace(" ", "_").replace("-", "_")


def resolve_headers(table: TableRows, kind: Kind) -> dict[str, int]:
    """Map each column key of KIND to its 0-based position in the file; ImportRejected if unusable.

    Chinese or English headers in any order (English case-insensitive, spaces or hyphens for
    underscores); unknown columns are ignored.
    """
    lookup: dict[str, Column] = {}
    for column in kind.columns:
        lookup[_header_key(column.zh)] = column
        lookup[_header_key(column.key)] = column
    positions: dict[str, int] = {}
    problems = []
    for index, header in enumerate(table.headers):
        found = lookup.get(_header_key(header)) if header else None
        if found is None:
            continue
        column = found
        if column.key in positions:
            first = table.headers[positions[column.key]]
            problems.append(
                f"{place(table.header_row, header)}：与「{first}」列重复"
                f"（都是{column.zh}），只保留一列"
            )
            continue
        positions[column.key] = index
    for column in kind.columns:
        if column.required and column.key not in positions:
            problems.append(
                f"{place(table.header_row, column.zh)}：缺少这一必填列，"
                f"请加一列，列名为“{column.zh}”"
            )
    if problems:
        raise ImportRejected(table.path, problems)
    return positions


def parse_rows(
    table: TableRows,
    kind: Kind,
    *,
    check_row: RowCheck | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[ParsedRow]:
    """Parse and check every row of TABLE as KIND; ImportRejected listing every problem.

    Rows whose recognised cells are all empty (e.g. only a note in an extra column) are skipped.
    """
    positions = resolve_headers(table, kind)
    columns = [(c, positions[c.key]) for c in kind.columns if c.key in positions]
    labels = {c.key: table.column_label(index) for c, index in columns}
    problems: list[str] = []
    parsed: list[ParsedRow] = []
    first_seen: dict[str, dict[object, int]] = {c.key: {} for c, _ in columns if c.unique}
    pending = 0
    for row in table.rows:
        pending += 1
        if on_progress is not None and pending == PROGRESS_STEP:
            on_progress(pending)
            pending = 0
        cells, width = row.cells, len(row.cells)
        raw = [(column, cells[index] if index < width else "") for column, index in columns]
        if not any(text for _, text in raw):
            continue
        values: dict[str, object] = {}
        row_problems: list[tuple[str, str]] = []
        for column, text in raw:
            if not text and column.required:
                row_problems.append((column.key, "未填写，此列必须填写"))
                continue
            unfit = _unfit_text(text, column.max_chars)
            if unfit:
                row_problems.append((column.key, unfit))
                continue
            try:
                value = column.parse(text)
            except CellError as exc:
                row_problems.append((column.key, str(exc)))
                continue
            if column.unique and text:
                seen = first_seen[column.key]
                if value in seen:
                    message = f"{show_cell(text)}与第{seen[value]}行重复"
                    row_problems.append((column.key, message))
                    continue
                seen[value] = row.number
            values[column.key] = value
        if check_row is not None:
            row_problems.extend(check_row(values))
        if row_problems:
            problems.extend(
                f"{place(row.number, labels[key])}：{message}" for key, message in row_problems
            )
        else:
            parsed.append(ParsedRow(row.number, values))
    if on_progress is not None and pending:
        on_progress(pending)
    if problems:
        raise ImportRejected(table.path, problems)
    return parsed


def _unfit_text(text: str, max_chars: int) -> str:
    """Why a cell's text cannot be stored as it is, or "" when it can."""
    if len(text) > max_chars:
        return f"有{len(text):,}个字，此列每格最多{max_chars:,}个字"
    found = UNFIT_CHARACTER.search(text)
    if found is None:
        return ""
    char = found.group()
    return (
        f"第{found.start() + 1}个字符是看不见的控制字符（U+{ord(char):04X}），"
        "请删除后重新输入这段文字"
    )


def unknown_name(what: str, name: str, known: set[str] | list[str]) -> str:
    """“X”不是<what>（是否为“Y”？）: a name the registry does not know, with the closest one."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"（是否为“{close[0]}”？）" if close else ""
    return f"{show_cell(name)}不是{what}{hint}"
