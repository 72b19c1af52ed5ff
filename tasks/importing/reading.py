"""Read clerk spreadsheets (CSV or XLSX) into text cells with their file row numbers.

A file that cannot be read is rejected whole (`ImportRejected` lists every problem in words a clerk
reads); the columns, cells and kinds of file live beside this module.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import InvalidFileException

from models.refusal import Refusal

ProgressCallback = Callable[[int], None]
"""Called with the number of rows just processed (for a progress bar)."""


MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
PROGRESS_STEP = 1000


class ImportRejected(Refusal):
    """A file that cannot be imported; `problems` lists each problem in words a clerk reads."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(
            f"{path}：未导入，未写入任何内容（{len(problems)} 处问题）\n" + "\n".join(problems)
        )


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
        hint = "（旧版Excel格式，请另存为.xlsx）" if suffix == ".xls" else ""
        kind = f"“{path.suffix}”" if path.suffix else "无扩展名"
        raise ImportRejected(path, [f"不支持的文件类型：{kind}{hint}，请使用.csv或.xlsx文件"])
    if not path.is_file():
        raise ImportRejected(path, ["找不到这个文件"])
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


_UTF16 = "文件是UTF-16编码的文本，请另存为“CSV UTF-8”（或.xlsx）后重新导入"


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
                f"第{line}行：文件以UTF-8开头，但第{exc.start}个字节（0x{data[exc.start]:02X}）"
                "不是UTF-8，请重新另存为“CSV UTF-8”"
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
            f"第{line}行：第{first_bad}个字节（0x{data[first_bad]:02X}）既不是UTF-8也不是"
            "GBK/GB18030编码（可能是其他编码），请另存为“CSV UTF-8”（或.xlsx）"
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
        if pending == PROGRESS_STEP:
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
                f"第{row}行：有一格超过{csv.field_size_limit():,}个字符，"
                f"每格最多{MAX_CELL_CHARS:,}个字符"
            )
        elif "unexpected end of data" in str(exc):
            problem = (
                f'第{row}行：从这里开始的带引号的格没有结束（缺少一个"），'
                "下面的各行都会被并入这一格"
            )
        elif "expected after" in str(exc):
            problem = f"第{row}行：引号结束后还有文字，带引号的格应整格括在引号内"
        else:
            problem = f"第{row}行：无法按CSV格式读取"
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
        raise ImportRejected(path, ["文件是空的：没有列名行，也没有数据"])
    if not rows:
        problem = f"文件只有列名行（第{header_row}行），没有数据行"
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
    problems = [f"单元格{ref}：不支持合并单元格，请取消合并并逐格填写" for ref in merged]
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
                    f"（工作簿共{len(sheets)}个工作表，只读取第一个“{sheets[0].title}”，"
                    "请把数据移到这个工作表）"
                )
                raise ImportRejected(path, [exc.problems[0] + note]) from None
            raise
    finally:
        workbook.close()
    for row, column in formulas:
        problems.append(
            f"第{row}行「{table.column_label(column - 1)}」列：公式没有保存计算结果，"
            "请用Excel或WPS打开文件、保存后重新导入"
        )
    if problems:
        raise ImportRejected(path, problems)
    return table


def _not_a_workbook(path: Path) -> str:
    """Why an .xlsx file cannot be opened, in the clerk's terms."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    what = "不是可以读取的.xlsx工作簿"
    if not head:
        return f"{what}：文件是空的（0字节）"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"{what}：是旧版Excel（.xls）或加密的工作簿，请另存为.xlsx"
    if b"\x00" not in head and (b"," in head or b"\t" in head):
        return f"{what}：是纯文本（改了扩展名的CSV文件？），请改名为.csv"
    return f"{what}（文件损坏、加密，或是改了扩展名的其他格式）"


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
