"""Cell parsers and messages shared by the network, playground, unit and sign-in kinds.

Problems are worded in Chinese for the clerk; the generic machinery adds the place
(row and column) in front of each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, time

from models.profile.holidays import parse_day
from tasks.importing.cells import parse_count, parse_text, parse_year
from tasks.importing.columns import (
    CellError,
    Column,
    Kind,
    resolve_headers,
    show_cell,
    unknown_name,
)
from tasks.importing.reading import TableRows

MAX_CAPACITY = 100_000
_SPAN = re.compile(r"^(\d{1,2})[:：](\d{2})\s*(?:-|－|—|~|～|至|到)\s*(\d{1,2})[:：](\d{2})$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$")


YEAR_COLUMN = Column("year", "年度", parse_year, "年份", required=True, example="2026")


def other_year(values: Mapping[str, object], year: int | None) -> list[tuple[str, str]]:
    """The row's problem when its year is not the one being imported (`year` None: any year)."""
    if year is not None and "year" in values and values["year"] != year:
        return [("year", f"{values['year']}不是本次导入的年度（{year}年）")]
    return []


def ref_column(key: str, *, notes: str, example: str) -> Column:
    """The 编号 of a record, kept as text: a re-import updates the record with the same one."""
    return Column(
        key,
        "编号",
        parse_text,
        "文本",
        required=True,
        notes=notes,
        example=example,
        text_format=True,
        max_chars=50,
    )


def name_column(zh: str, *, example: str, notes: str = "", max_chars: int = 50) -> Column:
    """The 姓名 or 名称 (ZH) of a person or a place: plain text, required."""
    return Column(
        "name",
        zh,
        parse_text,
        "文本",
        required=True,
        notes=notes,
        example=example,
        max_chars=max_chars,
    )


def choice(words: Mapping[str, str], text: str, what: str, shown: tuple[str, ...]) -> str:
    """The code a cell's word stands for (Chinese, or the code itself); CellError otherwise."""
    if text in words:
        return words[text]
    if text.casefold() in words.values():
        return text.casefold()
    raise CellError(f"{quoted(text)}不是{what}（可填：{'、'.join(shown)}）")


def quoted(text: str) -> str:
    """A cell value quoted for a Chinese message, shortened if long."""
    return show_cell(text)


def unknown_zh(what: str, name: str, known: set[str] | list[str]) -> str:
    """“X”不是区情配置中的<what>（是否为“Y”？）"""
    return unknown_name(what, name, known)


def row_numbers(table: TableRows, kind: Kind) -> Iterator[int]:
    """The file row numbers in the order `parse_rows` checks them (rows whose cells of KIND are
    all empty are skipped there, so here too): a row check learns its row from this."""
    positions = list(resolve_headers(table, kind).values())
    for row in table.rows:
        if any(row.cells[i] for i in positions if i < len(row.cells)):
            yield row.number


def anchored(
    problems: list[tuple[str, str]], present: set[str], fallback: str
) -> list[tuple[str, str]]:
    """Problems of columns the file does not have, moved to a required column it has (the place
    named must be a column the clerk can find)."""
    return [(key if key in present else fallback, message) for key, message in problems]


def present_columns(table: TableRows, kind: Kind) -> set[str]:
    return set(resolve_headers(table, kind))


def parse_date(text: str) -> date:
    """2026-09-01, 2026/9/1 or 2026年9月1日."""
    try:
        return parse_day(text)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def parse_optional_date(text: str) -> date | None:
    return parse_date(text) if text else None


def parse_capacity(text: str) -> int:
    """A head count from 1 to 100,000."""
    value = parse_count(text)
    if not 1 <= value <= MAX_CAPACITY:
        raise CellError(f"{value}人不在1至{MAX_CAPACITY:,}之间")
    return value


def parse_optional_count(text: str) -> int:
    """A whole number ≥ 0; an empty cell is 0."""
    return parse_count(text) if text else 0


def parse_time_span(text: str) -> tuple[time, time]:
    """06:00-07:30 (also 6:00至7:30): opening and closing time, closing after opening."""
    match = _SPAN.match(text.replace(" ", ""))
    if match is None:
        raise CellError(f"{quoted(text)}不是时间段，应写作06:00-07:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        first, last = time(h1, m1), time(h2, m2)
    except ValueError:
        raise CellError(f"{quoted(text)}不是有效的时间段") from None
    if last <= first:
        raise CellError(f"{quoted(text)}的结束时间不晚于开始时间")
    return first, last


def parse_code(text: str) -> str:
    """An identifier of letters, digits, - and _ (it becomes part of a notification tag)."""
    if not _CODE.match(text):
        raise CellError(f"{quoted(text)}只能由字母、数字、-和_组成，不超过30个字符")
    return text
