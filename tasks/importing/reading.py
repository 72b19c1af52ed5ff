"""Import clerk spreadsheets (CSV or XLSX) into the database, rejecting a bad file whole.

The reading, header matching and per-cell validation are generic: a *kind* (teachers, ideas,
nominations, scores, volunteers) is a `Kind` of `Column`s registered in `KINDS`. Every problem is
reported as `row N, column C: what is wrong`, with N the row number a spreadsheet program shows and
C the header as written in the file, and every problem of the file is listed, not just the first
(spec "Input files").
"""

from __future__ import annotations

import csv
import difflib
import io
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel, ConfigDict, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from models.db import session_scope
from models.refusal import Refusal
from models.registry import School, Street
from models.secondment import RATINGS, Teacher, TeacherBase
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.common.text import UNFIT_CHARACTER

ProgressCallback = Callable[[int], None]
"""Called with the number of rows just processed (for a progress bar)."""

FIRST_SECONDMENT_YEAR = 1949
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_YEARS_TEACHING = 60
YEAR_RANGE = (1900, 2100)  # any year column: a wider value is a typo, not history
_PROGRESS_STEP = 1000
_DB_CHUNK = 500
_TEMPLATE_ROWS = 5000  # rows of the template that get the drop-down lists


class ImportRejected(Refusal):
    """A file that cannot be imported; `problems` lists each problem in words a clerk reads."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(
            f"{path}：未导入，未写入任何内容（{len(problems)} 处问题）\n" + "\n".join(problems)
        )


# --------------------------------------------------------------------------------------------
# Reading: CSV or XLSX into text cells with their file row numbers
# --------------------------------------------------------------------------------------------


class SourceRow(NamedTuple):
    """One non-empty data row: its 1-based row number in the file and its cells as text."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class TableRows:
    """The header row and the non-empty data rows of a file, every cell stripped and NFKC-normal."""

    path: Path
    encoding: str  # "utf-8", "utf-8-sig" (with BOM), "gb18030" or "xlsx"
    header_row: int
    headers: tuple[str, ...]
    rows: tuple[SourceRow, ...]

    def column_label(self, index: int) -> str:
        """The header of a 0-based column as written in the file, or its letter if it has none."""
        if index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        return str(get_column_letter(index + 1))


def read_rows(path: Path, *, on_progress: ProgressCallback | None = None) -> TableRows:
    """Read a CSV or XLSX (first sheet) file into its header row and data rows.

    Raises ImportRejected for an unreadable, empty or header-only file, a file that is neither
    UTF-8 nor GB18030/GBK text, merged cells, or formulas saved without their result.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        hint = " (old Excel format: save it as .xlsx)" if suffix == ".xls" else ""
        raise ImportRejected(
            path, [f"unsupported file type '{path.suffix or '(none)'}'{hint}; use .csv or .xlsx"]
        )
    if not path.is_file():
        raise ImportRejected(path, ["no such file"])
    if suffix == ".csv":
        return _read_csv(path, on_progress)
    return _read_xlsx(path, on_progress)


def _clean(text: str) -> str:
    """Trim whitespace and invisible marks; NFKC turns full-width digits and letters into ASCII."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).strip().strip("\u200b\ufeff")
    return text.strip()


def _cell_text(value: object) -> str:
    """The text of a spreadsheet cell value (numbers without a spurious `.0`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return _clean(str(value))


_UTF16 = "the file is UTF-16 text; save it as 'CSV UTF-8' (or as .xlsx) and import again"


def _line_of_byte(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_ASCII = re.compile(r"[\x00-\x7f]+")


def _mostly_gb2312(text: str) -> bool:
    """Whether most non-ASCII characters are common Chinese (GB2312), as real GBK text has.

    Latin-1 text (é, ü, …) also decodes as GB18030, as rare characters whose second byte is an
    ASCII letter; those are not in GB2312, so mojibake fails this test.
    """
    wide = _ASCII.sub("", text)
    # GB2312 bytes are all ≥ 0xA1, so each "?" is a character GB2312 does not have
    rare = wide.encode("gb2312", errors="replace").count(b"?")
    return rare * 2 <= len(wide)


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (BOM or not), else GB18030/GBK if that decodes cleanly.

    UTF-16 (NUL bytes between the characters, with or without a BOM) and text in another
    8-bit encoding (Latin-1, …) are refused, naming the line of the first byte that gives it away.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = _line_of_byte(data, exc.start)
            problem = (
                f"line {line}: starts as UTF-8 but byte {exc.start} (0x{data[exc.start]:02X}) "
                "is not; save it again as CSV UTF-8"
            )
            raise ImportRejected(path, [problem]) from None
    # UTF-16 without a BOM: every ASCII character (commas, digits, line breaks) has a NUL byte on
    # the same side; a stray NUL in UTF-8 text is left for the cell check to name its place.
    head = data[:4096]
    nul_side = max(head[0::2].count(0), head[1::2].count(0))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or nul_side * 20 > len(head):
        raise ImportRejected(path, [_UTF16])
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    # GB18030 maps some byte pairs to private-use or control characters: a sign of another encoding.
    if (
        text
        and not any(unicodedata.category(ch) in ("Co", "Cc") and ch not in "\t\r\n" for ch in text)
        and _mostly_gb2312(text)
    ):
        return text, "gb18030"
    line = _line_of_byte(data, first_bad)
    raise ImportRejected(
        path,
        [
            f"line {line}: byte 0x{data[first_bad]:02X} at offset {first_bad} is neither UTF-8 "
            "nor GBK/GB18030 text (Latin-1 or another encoding?); save the file as 'CSV UTF-8' "
            "(or as .xlsx)"
        ],
    )


def _reporting(
    records: Iterable[tuple[int, tuple[str, ...]]], on_progress: ProgressCallback | None
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Pass records through, telling ON_PROGRESS every thousand rows."""
    if on_progress is None:
        yield from records
        return
    pending = 0
    for record in records:
        yield record
        pending += 1
        if pending == _PROGRESS_STEP:
            on_progress(pending)
            pending = 0
    on_progress(pending)


def _read_csv(path: Path, on_progress: ProgressCallback | None) -> TableRows:
    text, encoding = _decode(path, path.read_bytes())
    # strict: an unclosed quote is an error, not a cell that silently swallows every row below
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    done = 0

    def records() -> Iterator[tuple[int, tuple[str, ...]]]:
        nonlocal done
        for number, record in enumerate(reader, start=1):
            done = number
            yield number, tuple(_clean(cell) for cell in record)

    try:
        return _table(path, encoding, _reporting(records(), on_progress))
    except csv.Error as exc:
        row = done + 1  # the record being read, numbered as a spreadsheet shows it
        if "field limit" in str(exc):
            problem = (
                f"row {row}: a cell is longer than {csv.field_size_limit():,} "
                f"characters; a cell may hold at most {MAX_CELL_CHARS:,}"
            )
        elif "unexpected end of data" in str(exc):
            problem = (
                f'row {row}: a quoted cell that starts here is never closed (a missing "); '
                "every row below it would have become part of that cell"
            )
        else:
            problem = f"row {row}: not readable as CSV ({exc})"
        raise ImportRejected(path, [problem]) from None


def _table(path: Path, encoding: str, records: Iterable[tuple[int, tuple[str, ...]]]) -> TableRows:
    """Split records into the header (first non-empty row) and the non-empty rows below it."""
    header_row = 0
    headers: tuple[str, ...] = ()
    rows: list[SourceRow] = []
    for number, cells in records:
        if not any(cells):
            continue
        if not header_row:
            header_row, headers = number, cells
        else:
            rows.append(SourceRow(number, cells))
    if not header_row:
        raise ImportRejected(path, ["the file is empty: no header row and no data"])
    if not rows:
        problem = f"the file has a header row (row {header_row}) but no data rows"
        raise ImportRejected(path, [problem])
    return TableRows(path, encoding, header_row, headers, tuple(rows))


def _read_xlsx(path: Path, on_progress: ProgressCallback | None) -> TableRows:
    try:
        merged, formulas = _scan_first_sheet(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        StopIteration,
        ElementTree.ParseError,
    ):
        raise ImportRejected(path, [_not_a_workbook(path)]) from None
    problems = [
        f"cells {ref}: merged cells are not supported; unmerge them and fill in every cell"
        for ref in merged
    ]
    try:
        sheets = workbook.worksheets
        rows = sheets[0].iter_rows(values_only=True)
        records = (
            (number, tuple(_cell_text(value) for value in values))
            for number, values in enumerate(rows, start=1)
        )
        try:
            table = _table(path, "xlsx", _reporting(records, on_progress))
        except ImportRejected as exc:
            if len(sheets) > 1:  # the data may sit on another sheet: say which one is read
                note = (
                    f" (only the first of the workbook's {len(sheets)} sheets, "
                    f"'{sheets[0].title}', is read; move the data there)"
                )
                raise ImportRejected(path, [exc.problems[0] + note]) from None
            raise
    finally:
        workbook.close()
    for row, column in formulas:
        problems.append(
            f"row {row}, column {table.column_label(column - 1)}: formula saved without its "
            "result; open the file in Excel or WPS, save it, and import again"
        )
    if problems:
        raise ImportRejected(path, problems)
    return table


def _not_a_workbook(path: Path) -> str:
    """Why an .xlsx file cannot be opened, in the clerk's terms."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    what = "not a readable .xlsx workbook"
    if not head:
        return f"{what}: the file is empty (0 bytes)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{what}: an old Excel (.xls) or encrypted workbook; save it as .xlsx"
    if b"\x00" not in head and (b"," in head or b"\t" in head):
        return f"{what}: it is plain text (a CSV file renamed?); name it .csv"
    return f"{what} (damaged, encrypted, or another format renamed)"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element: ElementTree.Element, name: str) -> str:
    """An attribute by local name, whatever its namespace."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return str(value)
    return ""


def _relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, absolute part name) for one part ("" = the package root)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    root = ElementTree.fromstring(archive.read(rels))
    targets = {}
    for rel in root:
        target = rel.get("Target", "")
        absolute = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        targets[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(absolute))
    return targets


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([^\"]+)\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _scan_first_sheet(path: Path) -> tuple[list[str], list[tuple[int, int]]]:
    """Merged ranges and formula cells without a saved result in the first sheet's XML.

    openpyxl's fast read-only mode exposes neither, and a formula without a cached result reads
    as an empty cell, so the sheet XML is checked directly.
    """
    with zipfile.ZipFile(path) as archive:
        package = _relationship_targets(archive, "")  # the package root
        workbook = next(t for kind, t in package.values() if kind.endswith("/officeDocument"))
        sheets = ElementTree.fromstring(archive.read(workbook)).iter()
        first = next(s for s in sheets if _local(s.tag) == "sheet")
        sheet_part = _relationship_targets(archive, workbook)[_attribute(first, "id")][1]
        data = archive.read(sheet_part)
    merged = [ref.decode() for ref in _MERGE.findall(data)]
    formulas: list[tuple[int, int]] = []
    if _FORMULA.search(data):
        for _event, cell in ElementTree.iterparse(io.BytesIO(data)):
            if _local(cell.tag) != "c":
                continue
            children = {_local(child.tag): child for child in cell}
            cached = children.get("v")
            if "f" in children and (cached is None or not cached.text):
                letters, row = coordinate_from_string(cell.get("r", "A1"))
                formulas.append((row, column_index_from_string(letters)))
            cell.clear()
    return merged, formulas


# --------------------------------------------------------------------------------------------
# Kinds: columns with their two spellings, parsers and template notes
# --------------------------------------------------------------------------------------------


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


def _show(text: str) -> str:
    """A cell value quoted for a message, shortened if long."""
    return f"'{text if len(text) <= 40 else text[:37] + '...'}'"


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
                f"row {table.header_row}, column {header}: duplicate column, the same as "
                f"column {first} ({column.zh} / {column.key}); keep only one"
            )
            continue
        positions[column.key] = index
    for column in kind.columns:
        if column.required and column.key not in positions:
            problems.append(
                f"row {table.header_row}, column {column.zh} ({column.key}): required column is "
                f"missing; add a column headed {column.zh} or {column.key}"
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
        if on_progress is not None and pending == _PROGRESS_STEP:
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
                row_problems.append((column.key, "empty, but this column is required"))
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
                    message = f"{_show(text)} is already on row {seen[value]}"
                    row_problems.append((column.key, message))
                    continue
                seen[value] = row.number
            values[column.key] = value
        if check_row is not None:
            row_problems.extend(check_row(values))
        if row_problems:
            where = f"row {row.number}, column"
            problems.extend(f"{where} {labels[key]}: {message}" for key, message in row_problems)
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
        return f"{len(text):,} characters; a cell of this column holds at most {max_chars:,}"
    found = UNFIT_CHARACTER.search(text)
    if found is None:
        return ""
    char = found.group()
    name = unicodedata.name(char, "a control character")
    return (
        f"character {found.start() + 1} is U+{ord(char):04X} ({name}), an invisible control "
        "character; delete it and type the text again"
    )


# Parsers. Required columns never see an empty cell; optional ones turn it into their default.


def parse_text(text: str) -> str:
    """Text as is (already trimmed)."""
    return text


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise CellError(f"{_show(text)} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{_show(text)} is not a number")
    # 1e999999 is a finite Decimal, but turning it into an int or float hangs or overflows
    if number and number.adjusted() >= 15:
        raise CellError(f"{_show(text)} is too large for this column")
    return number


def _whole(text: str) -> int:
    number = _number(text)
    if number != number.to_integral_value():
        raise CellError(f"{_show(text)} is not a whole number")
    return int(number)


def parse_count(text: str) -> int:
    """A whole number ≥ 0 ("5" or "5.0", not "5.5")."""
    value = _whole(text)
    if value < 0:
        raise CellError(f"{value} is negative; it must be 0 or more")
    return value


def parse_years_teaching(text: str) -> int:
    """Years of teaching: a whole number from 0 to 60."""
    value = parse_count(text)
    if value > MAX_YEARS_TEACHING:
        raise CellError(f"{value} years is more than {MAX_YEARS_TEACHING}; check the number")
    return value


def parse_optional_year(text: str) -> int | None:
    """A year as a whole number from 1900 to 2100, or None for an empty cell."""
    if not text:
        return None
    year = _whole(text)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise CellError(f"{year} is not a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
    return year


def parse_score(text: str) -> float:
    """A number from 0 to 100."""
    number = _number(text)
    if not 0 <= number <= 100:
        raise CellError(f"{text} is outside 0-100")
    return float(number)


_TRUE = {"是", "true", "1", "yes", "y"}
_FALSE = {"否", "false", "0", "no", "n"}


def parse_yes_no(text: str) -> bool:
    """是/否 (also true/false, 1/0, yes/no, Y/N); an empty optional cell is 否."""
    folded = text.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE or not folded:
        return False
    raise CellError(f"{_show(text)} is not 是 or 否 (also accepted: yes/no, true/false, 1/0, Y/N)")


_RATINGS = dict(zip(("excellent", "good", "pass", "fail"), RATINGS, strict=True))


def parse_rating(text: str) -> str:
    """An annual rating stored in Chinese: 优秀/良好/合格/不合格 or excellent/good/pass/fail."""
    if text in RATINGS:
        return text
    rating = _RATINGS.get(text.casefold())
    if rating is None:
        raise CellError(
            f"{_show(text)} is not one of {'/'.join(RATINGS)} (or excellent/good/pass/fail)"
        )
    return rating


_LIST_SEPARATORS = re.compile(r"[;；、,，]")


def parse_name_list(text: str) -> list[str]:
    """Names separated by ; ； 、 , or ，, without empties or repeats, in their order."""
    names: list[str] = []
    for part in _LIST_SEPARATORS.split(text):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names


_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")


def parse_phone(text: str) -> str:
    """An 11-digit mainland mobile number, spaces, dashes and +86 removed; empty allowed.

    The number is never echoed in the message: phone numbers are PII and messages reach logs.
    """
    digits = _PHONE_NOISE.sub("", text)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits.removeprefix(prefix)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if digits and not _MOBILE.fullmatch(digits):
        count = sum(ch.isdigit() for ch in digits)
        raise CellError(
            f"not an 11-digit mainland mobile number starting 13-19 (it has {count} digits)"
        )
    return digits


TEACHERS = Kind(
    name="teachers",
    title_zh="教师",
    columns=(
        Column(
            "staff_id",
            "工号",
            parse_text,
            "文本",
            required=True,
            unique=True,
            notes="每位教师唯一；再次导入时按工号更新",
            example="T0001",
            text_format=True,
            max_chars=50,
        ),
        Column("name", "姓名", parse_text, "文本", required=True, example="张三", max_chars=50),
        Column(
            "school",
            "学校",
            parse_text,
            "文本",
            required=True,
            notes="须为区情配置中的学校",
            example="人民路第一小学",
        ),
        Column("subject", "学科", parse_text, "文本", example="语文"),
        Column(
            "years_teaching",
            "教龄",
            parse_years_teaching,
            f"整数，0-{MAX_YEARS_TEACHING}",
            required=True,
            example="12",
        ),
        Column(
            "in_service",
            "在职",
            parse_yes_no,
            "是/否",
            required=True,
            notes="也可填 true/false、1/0、yes/no、Y/N",
            example="是",
            choices=("是", "否"),
        ),
        Column(
            "annual_rating",
            "年度考核",
            parse_rating,
            "优秀/良好/合格/不合格",
            required=True,
            notes="也可填 excellent/good/pass/fail",
            example="良好",
            choices=RATINGS,
        ),
        Column(
            "political_score", "政治素质", parse_score, "0-100 的数", required=True, example="85"
        ),
        Column(
            "ability_score", "综合能力", parse_score, "0-100 的数", required=True, example="82.5"
        ),
        Column(
            "community_work_score",
            "群众工作",
            parse_score,
            "0-100 的数",
            required=True,
            example="78",
        ),
        Column(
            "backbone",
            "骨干教师",
            parse_yes_no,
            "是/否",
            notes="留空为 否",
            example="否",
            choices=("是", "否"),
        ),
        Column(
            "last_secondment_year",
            "上次挂职年份",
            parse_optional_year,
            "年份（整数）",
            notes=f"从未挂职则留空；不早于 {FIRST_SECONDMENT_YEAR} 年，不晚于明年",
            example="2021",
        ),
        Column(
            "preferred_streets",
            "意向街道",
            parse_name_list,
            "街道名列表",
            notes="多个街道用 ; ； 、 , ， 分隔；须为区情配置中的街道",
            example="嘉兴路街道；海伦路街道",
        ),
        Column(
            "deferred",
            "暂缓",
            parse_yes_no,
            "是/否",
            notes="因病、孕期等暂缓挂职（R10.2）；留空为 否",
            example="否",
            choices=("是", "否"),
        ),
        Column(
            "phone",
            "手机",
            parse_phone,
            "11 位手机号",
            notes="可留空；可带空格、短横线或 +86；个人信息，系统中只显示掩码",
            example="13800138000",
            text_format=True,
        ),
    ),
)

KINDS: dict[str, Kind] = {TEACHERS.name: TEACHERS}


def get_kind(kind: str) -> Kind:
    """The registered kind of that name; a `Refusal` listing the known kinds otherwise."""
    try:
        return KINDS[kind]
    except KeyError:
        raise Refusal(f"没有“{kind}”这种模板：可用的种类为 {'、'.join(sorted(KINDS))}") from None


# --------------------------------------------------------------------------------------------
# Teachers (R10.2 roster)
# --------------------------------------------------------------------------------------------


def _unknown(what: str, name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} {_show(name)}{hint}"


def validate_teachers(
    table: TableRows,
    *,
    known_schools: set[str],
    known_streets: set[str],
    current_year: int,
    on_progress: ProgressCallback | None = None,
) -> list[TeacherBase]:
    """Check every teacher row of TABLE; return them all, or ImportRejected naming each problem."""
    latest_year = current_year + 1

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        school = values.get("school")
        if isinstance(school, str) and school not in known_schools:
            problems.append(("school", _unknown("school", school, known_schools)))
        year = values.get("last_secondment_year")
        if isinstance(year, int) and not FIRST_SECONDMENT_YEAR <= year <= latest_year:
            limit = "before 1949" if year < FIRST_SECONDMENT_YEAR else f"after {latest_year}"
            problems.append(("last_secondment_year", f"{year} is {limit}"))
        streets = values.get("preferred_streets")
        if isinstance(streets, list):
            for street in streets:
                if street not in known_streets:
                    message = _unknown("street", street, known_streets)
                    problems.append(("preferred_streets", message))
        return problems

    rows = parse_rows(table, TEACHERS, check_row=check, on_progress=on_progress)
    teachers = []
    for row in rows:
        try:
            teachers.append(TeacherBase.model_validate(row.values))
        except ValidationError as exc:  # the parsers above should make this unreachable
            raise ImportRejected(table.path, [f"row {row.number}: {exc}"]) from None
    return teachers


class UpsertCounts(NamedTuple):
    inserted: int
    updated: int
    unchanged: int


_TEACHER_FIELDS = tuple(TeacherBase.model_fields)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_teachers(
    session: Session,
    *,
    teachers: Sequence[TeacherBase],
    on_progress: ProgressCallback | None = None,
) -> UpsertCounts:
    """Insert new teachers and update changed ones by staff_id; updated_at moves only on change.

    Writes through SESSION without committing, so the caller decides the transaction. Stored
    values are compared as plain rows and written in bulk: ORM objects for 50,000 teachers
    would triple the time of a large import.
    """
    columns = [col(getattr(Teacher, name)) for name in _TEACHER_FIELDS]
    connection = session.connection()
    existing: dict[str, dict[str, Any]] = {}
    ids = [teacher.staff_id for teacher in teachers]
    for chunk in _chunks(ids, _DB_CHUNK):
        query = sa_select(*columns).where(col(Teacher.staff_id).in_(chunk))
        for stored in connection.execute(query).mappings():
            existing[stored["staff_id"]] = dict(stored)
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for teacher in teachers:
        values = teacher.model_dump()
        before = existing.get(teacher.staff_id)
        if before is None:
            new_rows.append({**values, "updated_at": now})
        elif before != values:
            changed_rows.append({**values, "updated_at": now})
    unchanged = len(teachers) - len(new_rows) - len(changed_rows)
    if on_progress is not None and unchanged:
        on_progress(unchanged)
    for statement, rows in ((update(Teacher), changed_rows), (insert(Teacher), new_rows)):
        for chunk in _chunks(rows, _PROGRESS_STEP):
            session.exec(statement, params=list(chunk))
            if on_progress is not None:
                on_progress(len(chunk))
    return UpsertCounts(inserted=len(new_rows), updated=len(changed_rows), unchanged=unchanged)


class ImportSummary(BaseModel):
    """What an import did."""

    model_config = ConfigDict(frozen=True)

    path: Path
    rows: int
    inserted: int
    updated: int
    unchanged: int
    encoding: str


def upsert_records(
    session: Session,
    table: type[SQLModel],
    records: Sequence[BaseModel],
    *,
    key: tuple[str, ...],
    path: Path,
) -> ImportSummary:
    """Insert each validated record, or update the stored row with the same `key` columns when a
    value differs (stamping `updated_at`); count what happened. The caller's session is the one
    transaction of the import."""
    inserted = updated = unchanged = 0
    for record in records:
        values = record.model_dump()
        matches = [getattr(table, column) == values[column] for column in key]
        stored = session.exec(select(table).where(*matches)).first()
        if stored is None:
            session.add(table(**values))
            inserted += 1
        elif any(getattr(stored, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(stored, name, value)
            setattr(stored, "updated_at", utcnow())  # noqa: B010 (every such table has it)
            session.add(stored)
            updated += 1
        else:
            unchanged += 1
    return ImportSummary(
        path=path,
        rows=len(records),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        encoding="",
    )


class _Stage:
    """One progress bar; without a known total it counts, and `finish` fills it."""

    def __init__(self, progress: Progress | None, description: str, total: int | None) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=total) if progress else None

    def advance(self, count: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def finish(self) -> None:
        if self._progress is not None and self._task is not None:
            done = self._progress.tasks[self._task].completed
            self._progress.update(self._task, total=done, completed=done)


@contextmanager
def _progress_bars(enabled: bool) -> Iterator[Callable[[str, int | None], _Stage]]:
    """A factory of progress bars drawn on stderr, or of silent ones when not ENABLED."""
    if not enabled:
        yield lambda description, total: _Stage(None, description, total)
        return
    progress = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        yield lambda description, total: _Stage(progress, description, total)


def _this_year() -> int:
    return datetime.now(ZoneInfo(get_settings().timezone)).year


def import_teachers_file(
    path: Path, *, current_year: int | None = None, progress: bool = False
) -> ImportSummary:
    """Validate a teachers file whole, then upsert it by staff_id in one transaction.

    Schools and streets are checked against the registry loaded by `init`. Nothing is written
    when anything is wrong (ImportRejected lists every problem).
    """
    path = Path(path)
    year = current_year if current_year is not None else _this_year()
    with _progress_bars(progress) as bar:
        reading = bar("reading", None)
        table = read_rows(path, on_progress=reading.advance)
        reading.finish()
        with session_scope() as session:
            schools = set(session.exec(select(School.name)).all())
            streets = set(session.exec(select(Street.name)).all())
            if not schools:
                raise ImportRejected(
                    path, ["the district registry has no schools yet; run `learning-district init`"]
                )
            teachers = validate_teachers(
                table,
                known_schools=schools,
                known_streets=streets,
                current_year=year,
                on_progress=bar("validating", len(table.rows)).advance,
            )
            counts = upsert_teachers(
                session, teachers=teachers, on_progress=bar("writing", len(teachers)).advance
            )
    return ImportSummary(
        path=path,
        rows=len(teachers),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        encoding=table.encoding,
    )


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


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
