"""The bad-input corpus: malformed files, profiles and parameters, built in tmp_path.

Each import case writes one file of one kind (teachers, ideas, nominations, scores, idea-scores)
and says what must happen: `expect` lists the fragments the rejection must contain (the place —
row and column — and the problem), or `expect is None` and `accepted` checks what was stored.
Profile cases write one YAML file. Nothing large is committed: 10 MB fields and the 50 MB profile
are generated here.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
from sqlmodel import col, select

from models.awards import Nomination
from models.db import session_scope
from models.ideas import Idea
from models.secondment import Teacher

YEAR = 2026
MB = 1_000_000

# ------------------------------------------------------------------------------------ rows

TEACHER_HEADERS = ("工号", "姓名", "学校", "学科", "教龄", "在职", "年度考核")
TEACHER_HEADERS += ("政治素质", "综合能力", "群众工作", "上次挂职年份", "意向街道", "手机")


def teacher(staff_id: str, **overrides: object) -> list[object]:
    """A valid teacher row in TEACHER_HEADERS order; override by header."""
    row: dict[str, object] = {
        "工号": staff_id,
        "姓名": "张三",
        "学校": "人民路第一小学",
        "学科": "语文",
        "教龄": "12",
        "在职": "是",
        "年度考核": "良好",
        "政治素质": "85",
        "综合能力": "82.5",
        "群众工作": "78",
        "上次挂职年份": "",
        "意向街道": "嘉兴路街道",
        "手机": "13800138000",
    }
    row.update(overrides)
    return [row[h] for h in TEACHER_HEADERS]


IDEA_HEADERS = ("编号", "提交人", "手机", "社区", "标题", "内容", "提交时间")


def idea(ref: str, **overrides: object) -> list[object]:
    row: dict[str, object] = {
        "编号": ref,
        "提交人": "王芳",
        "手机": "13900139000",
        "社区": "嘉兴一居委",
        "标题": f"社区读书会{ref}",
        "内容": f"建议每月在社区学校举办一次读书分享会，邀请居民参加（{ref}）。",
        "提交时间": "2026-09-05 14:30",
    }
    row.update(overrides)
    return [row[h] for h in IDEA_HEADERS]


NOMINATION_HEADERS = ("年度", "类别", "编号", "名称", "街道", "社区", "上次获评年度", "活动场次")


def nomination(ref: str, **overrides: object) -> list[object]:
    row: dict[str, object] = {
        "年度": "2026",
        "类别": "学习型小区",
        "编号": ref,
        "名称": "香烟桥小区",
        "街道": "嘉兴路街道",
        "社区": "嘉兴一居委",
        "上次获评年度": "",
        "活动场次": "24",
    }
    row.update(overrides)
    return [row[h] for h in NOMINATION_HEADERS]


SCORE_HEADERS = ("年度", "编号", "评委", "组织保障", "活动开展", "群众参与", "工作成效")


def score(ref: str, judge: str, **overrides: object) -> list[object]:
    row: dict[str, object] = {
        "年度": "2026",
        "编号": ref,
        "评委": judge,
        "组织保障": "80",
        "活动开展": "85",
        "群众参与": "70",
        "工作成效": "90",
    }
    row.update(overrides)
    return [row[h] for h in SCORE_HEADERS]


# ------------------------------------------------------------------------------------ writers


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def write_bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def write_csv(
    name: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(csv_text(headers, rows).encode(encoding))
        return path

    return build


def write_xlsx(
    name: str,
    sheets: Sequence[tuple[str, Sequence[Sequence[object]]]],
    *,
    merge: str = "",
) -> Callable[[Path], Path]:
    """A workbook with the given sheets (title, rows); MERGE merges a range of the first."""

    def build(folder: Path) -> Path:
        workbook = openpyxl.Workbook()
        for index, (title, rows) in enumerate(sheets):
            sheet = workbook.active if index == 0 else workbook.create_sheet()
            assert sheet is not None
            sheet.title = title
            for row in rows:
                sheet.append(list(row))
        if merge:
            first = workbook.worksheets[0]
            first.merge_cells(merge)
        path = folder / name
        workbook.save(path)
        return path

    return build


def with_long_cell(build: Callable[[Path], Path], marker: str, text: str) -> Callable[[Path], Path]:
    """The workbook with cell text MARKER replaced by TEXT, longer than Excel and openpyxl allow."""

    def rebuild(folder: Path) -> Path:
        path = build(folder)
        with zipfile.ZipFile(path) as source:
            parts = {info.filename: source.read(info) for info in source.infolist()}
        sheet = parts["xl/worksheets/sheet1.xml"].decode()  # openpyxl writes inline strings
        assert marker in sheet
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(marker, text).encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in parts.items():
                target.writestr(name, data)
        return path

    return rebuild


def without_cached_values(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
    """The workbook as a program that never calculates saves it: formulas without a <v> result."""

    def rebuild(folder: Path) -> Path:
        path = build(folder)
        with zipfile.ZipFile(path) as source:
            parts = {info.filename: source.read(info) for info in source.infolist()}
        sheet = parts["xl/worksheets/sheet1.xml"].decode()
        parts["xl/worksheets/sheet1.xml"] = sheet.replace("<v></v>", "").encode()
        with zipfile.ZipFile(path, "w") as target:
            for name, data in parts.items():
                target.writestr(name, data)
        return path

    return rebuild


# ------------------------------------------------------------------------------------ checks


def stored_teacher(staff_id: str) -> Teacher | None:
    with session_scope() as session:
        return session.get(Teacher, staff_id)


def teacher_is(staff_id: str, **fields: object) -> Callable[[], bool]:
    def check() -> bool:
        found = stored_teacher(staff_id)
        return found is not None and all(getattr(found, k) == v for k, v in fields.items())

    return check


def idea_is(ref: str, **fields: object) -> Callable[[], bool]:
    def check() -> bool:
        with session_scope() as session:
            found = session.exec(select(Idea).where(Idea.year == YEAR, Idea.ref == ref)).first()
            return found is not None and all(getattr(found, k) == v for k, v in fields.items())

    return check


def nomination_count() -> int:
    with session_scope() as session:
        return len(session.exec(select(col(Nomination.id))).all())


# ------------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class ImportCase:
    """One file of one import kind and what the importer must do with it."""

    name: str
    kind: str
    build: Callable[[Path], Path]
    expect: tuple[str, ...] | None  # fragments of the rejection; None = the file is fine
    accepted: Callable[[], bool] | None = None  # for a fine file: what must be stored
    year: int | None = YEAR
    absent: tuple[str, ...] = ()  # text the message must not contain (PII)


T = TEACHER_HEADERS
LATIN1_ROWS = "staff_id,name,school\r\nT1,Ren\xe9e Dupr\xe9,\xc9cole\r\n"
TEN_MB = "长" * (10 * MB // 3)  # 10 MB of UTF-8


def teacher_cases() -> list[ImportCase]:
    rows = [teacher("T0101")]
    return [
        # ---------------------------------------------------------------- encodings
        ImportCase(
            "teachers.csv: GBK without BOM (read as GB18030)",
            "teachers",
            write_csv("gbk.csv", T, [teacher("TG001", 姓名="欧阳晓燕")], encoding="gbk"),
            None,
            teacher_is("TG001", name="欧阳晓燕"),
        ),
        ImportCase(
            "teachers.csv: GB18030 with a four-byte character",
            "teachers",
            write_csv("gb18030.csv", T, [teacher("TG002", 姓名="王𠀾")], encoding="gb18030"),
            None,
            teacher_is("TG002", name="王𠀾"),
        ),
        ImportCase(
            "teachers.csv: UTF-8 with BOM",
            "teachers",
            write_csv("bom.csv", T, [teacher("TG003")], encoding="utf-8-sig"),
            None,
            teacher_is("TG003", name="张三"),
        ),
        ImportCase(
            "teachers.csv: UTF-16 LE with BOM",
            "teachers",
            write_csv("utf16.csv", T, rows, encoding="utf-16"),
            ("UTF-16",),
        ),
        ImportCase(
            "teachers.csv: UTF-16 LE without BOM",
            "teachers",
            write_csv("utf16le.csv", T, rows, encoding="utf-16-le"),
            ("UTF-16",),
        ),
        ImportCase(
            "teachers.csv: UTF-16 BE with BOM",
            "teachers",
            write_bytes("utf16be.csv", b"\xfe\xff" + csv_text(T, rows).encode("utf-16-be")),
            ("UTF-16",),
        ),
        ImportCase(
            "teachers.csv: Latin-1 accents that GB18030 would misread",
            "teachers",
            write_bytes("latin1.csv", LATIN1_ROWS.encode("latin-1")),
            ("第2行", "既不是UTF-8也不是GBK"),
        ),
        ImportCase(
            "teachers.csv: Latin-1 garbage bytes",
            "teachers",
            write_bytes("garbage.csv", "工号,姓名\r\n".encode() + bytes(range(0x80, 0x100)) * 4),
            ("第2行", "既不是UTF-8也不是GBK"),
        ),
        ImportCase(
            "teachers.csv: BOM, then a byte that is not UTF-8",
            "teachers",
            write_bytes("bombad.csv", "\ufeff工号,姓名\r\nT1,".encode() + b"\xff\xfe\r\n"),
            ("第2行", "不是UTF-8，请重新另存为“CSV UTF-8”"),
        ),
        # ---------------------------------------------------------------- XLSX
        ImportCase(
            "teachers.xlsx: merged cells",
            "teachers",
            write_xlsx(
                "merged.xlsx", [("教师", [T, teacher("T0102"), teacher("T0103")])], merge="C2:C3"
            ),
            ("单元格C2:C3", "不支持合并单元格"),
        ),
        ImportCase(
            "teachers.xlsx: formula saved without its result",
            "teachers",
            without_cached_values(
                write_xlsx("formula.xlsx", [("教师", [T, teacher("T0104", 教龄="=10+2")])])
            ),
            ("第2行「教龄」列", "公式没有保存计算结果"),
        ),
        ImportCase(
            "teachers.xlsx: several sheets, the data on the first",
            "teachers",
            write_xlsx("sheets.xlsx", [("教师", [T, teacher("TX001")]), ("说明", [["备注"]])]),
            None,
            teacher_is("TX001", years_teaching=12),
        ),
        ImportCase(
            "teachers.xlsx: first sheet empty, the data on the second",
            "teachers",
            write_xlsx("second.xlsx", [("Sheet1", []), ("教师", [T, teacher("T0105")])]),
            ("文件是空的", "工作簿共2个工作表，只读取第一个“Sheet1”"),
        ),
        ImportCase(
            "teachers.xlsx: a date typed into a number column",
            "teachers",
            write_xlsx("date.xlsx", [("教师", [T, teacher("T0106", 教龄=datetime(2014, 9, 1))])]),
            ("第2行「教龄」列", "“2014-09-01 00:00:00”不是数字"),
        ),
        ImportCase(
            "teachers.xlsx: a CSV file renamed .xlsx",
            "teachers",
            write_bytes("renamed.xlsx", csv_text(T, rows).encode()),
            ("不是可以读取的.xlsx工作簿", "纯文本"),
        ),
        ImportCase(
            "teachers.xlsx: an old .xls renamed .xlsx",
            "teachers",
            write_bytes("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
            ("不是可以读取的.xlsx工作簿", "旧版Excel（.xls）"),
        ),
        ImportCase(
            "teachers.xlsx: empty file (0 bytes)",
            "teachers",
            write_bytes("zero.xlsx", b""),
            ("不是可以读取的.xlsx工作簿", "0字节"),
        ),
        ImportCase(
            "teachers.xls: old Excel format",
            "teachers",
            write_bytes("old.xls", b"\xd0\xcf\x11\xe0"),
            ("不支持的文件类型：“.xls”", "请另存为.xlsx"),
        ),
        # ---------------------------------------------------------------- shape
        ImportCase(
            "teachers.csv: empty file", "teachers", write_bytes("empty.csv", b""), ("是空的",)
        ),
        ImportCase(
            "teachers.csv: header only",
            "teachers",
            write_csv("header.csv", T, []),
            ("只有列名行（第1行），没有数据行",),
        ),
        ImportCase(
            "teachers.csv: required header missing",
            "teachers",
            write_csv("missing.csv", T[:4] + T[5:], [r[:4] + r[5:] for r in rows]),
            ("第1行「教龄」列：缺少这一必填列",),
        ),
        ImportCase(
            "teachers.csv: misspelt header (教令 for 教龄)",
            "teachers",
            write_csv("misspelt.csv", [("教令" if h == "教龄" else h) for h in T], rows),
            ("「教龄」列：缺少这一必填列",),
        ),
        ImportCase(
            "teachers.csv: duplicate header (工号 and staff_id)",
            "teachers",
            write_csv("dupheader.csv", [*T, "staff_id"], [[*rows[0], "T9"]]),
            ("第1行「staff_id」列：与「工号」列重复",),
        ),
        ImportCase(
            "teachers.csv: duplicate staff_id",
            "teachers",
            write_csv("dupkey.csv", T, [teacher("T0107"), teacher("T0107")]),
            ("第3行「工号」列：“T0107”与第2行重复",),
        ),
        ImportCase(
            "teachers.csv: required cell empty",
            "teachers",
            write_csv("emptycell.csv", T, [teacher("T0108", 姓名="")]),
            ("第2行「姓名」列：未填写，此列必须填写",),
        ),
        # ---------------------------------------------------------------- numbers
        ImportCase(
            "teachers.csv: score out of range (101)",
            "teachers",
            write_csv("range.csv", T, [teacher("T0109", 政治素质="101")]),
            ("第2行「政治素质」列：101不在0至100之间",),
        ),
        ImportCase(
            "teachers.csv: negative years of teaching",
            "teachers",
            write_csv("negative.csv", T, [teacher("T0110", 教龄="-3")]),
            ("第2行「教龄」列：-3是负数",),
        ),
        ImportCase(
            "teachers.csv: NaN score",
            "teachers",
            write_csv("nan.csv", T, [teacher("T0111", 综合能力="NaN")]),
            ("第2行「综合能力」列：“NaN”不是数字",),
        ),
        ImportCase(
            "teachers.csv: infinite score",
            "teachers",
            write_csv("inf.csv", T, [teacher("T0112", 群众工作="-inf")]),
            ("第2行「群众工作」列：“-inf”不是数字",),
        ),
        ImportCase(
            "teachers.csv: 1e999999 years (hung the importer before the fix)",
            "teachers",
            write_csv("huge.csv", T, [teacher("T0113", 教龄="1e999999")]),
            ("第2行「教龄」列：“1e999999”过大",),
        ),
        ImportCase(
            "teachers.csv: 200 years of teaching",
            "teachers",
            write_csv("years.csv", T, [teacher("T0114", 教龄="200")]),
            ("第2行「教龄」列：200年超过60年",),
        ),
        ImportCase(
            "teachers.csv: last secondment in a future year",
            "teachers",
            write_csv("future.csv", T, [teacher("T0115", 上次挂职年份="2031")]),
            ("第2行「上次挂职年份」列：2031年晚于2027年",),
        ),
        ImportCase(
            "teachers.csv: last secondment in 1800",
            "teachers",
            write_csv("past.csv", T, [teacher("T0116", 上次挂职年份="1800")]),
            ("第2行「上次挂职年份」列：1800不是1900至2100之间的年份",),
        ),
        ImportCase(
            "teachers.csv: year with a fraction (2020.5)",
            "teachers",
            write_csv("fraction.csv", T, [teacher("T0117", 上次挂职年份="2020.5")]),
            ("第2行「上次挂职年份」列：“2020.5”不是整数",),
        ),
        ImportCase(
            "teachers.csv: full-width digits and spaces (normalised by NFKC)",
            "teachers",
            write_csv(
                "fullwidth.csv",
                T,
                [
                    teacher(
                        "ＴＦ００１",
                        姓名="李　四",
                        教龄="１２",
                        政治素质="８５．５",
                        手机="１３８００１３８０００",
                    )
                ],
            ),
            None,
            teacher_is("TF001", name="李 四", years_teaching=12, political_score=85.5),
        ),
        # ---------------------------------------------------------------- text
        ImportCase(
            "teachers.csv: 10 MB cell",
            "teachers",
            write_csv("bigcell.csv", T, [teacher("T0118", 学科=TEN_MB)]),
            ("第2行：有一格超过131,072个字符",),
        ),
        ImportCase(
            "teachers.xlsx: 10 MB cell",
            "teachers",
            with_long_cell(
                write_xlsx("bigcell.xlsx", [("教师", [T, teacher("T0119", 学科="LONG")])]),
                "LONG",
                TEN_MB,
            ),
            ("第2行「学科」列：有3,333,333个字", "最多32,767个字"),
        ),
        ImportCase(
            "teachers.csv: 10 MB line of empty extra columns (accepted, extras ignored)",
            "teachers",
            write_bytes(
                "bigline.csv",
                (
                    csv_text(T, [teacher("TL001")]).rstrip("\r\n") + "," * (10 * MB) + "\r\n"
                ).encode(),
            ),
            None,
            teacher_is("TL001", name="张三"),
        ),
        ImportCase(
            "teachers.csv: a 200-character name",
            "teachers",
            write_csv("longname.csv", T, [teacher("T0120", 姓名="张" * 200)]),
            ("第2行「姓名」列：有200个字", "最多50个字"),
        ),
        ImportCase(
            "teachers.csv: NUL in a name",
            "teachers",
            write_csv("nul.csv", T, [teacher("T0121", 姓名="张\x00三")]),
            ("第2行「姓名」列：第2个字符是看不见的控制字符（U+0000",),
        ),
        ImportCase(
            "teachers.csv: ANSI escape in a name",
            "teachers",
            write_csv("esc.csv", T, [teacher("T0122", 姓名="张三\x1b[2J")]),
            ("第2行「姓名」列：第3个字符是看不见的控制字符（U+001B",),
        ),
        ImportCase(
            "teachers.csv: RTL override in a staff id",
            "teachers",
            write_csv("rtl.csv", T, [teacher("T01\u202e23")]),
            ("第2行「工号」列：第4个字符是看不见的控制字符（U+202E）",),
        ),
        ImportCase(
            "teachers.csv: SQL metacharacters (stored verbatim, table intact)",
            "teachers",
            write_csv("sql.csv", T, [teacher("TS001", 姓名="O'Neil\"); DROP TABLE teacher;--")]),
            None,
            teacher_is("TS001", name="O'Neil\"); DROP TABLE teacher;--"),
        ),
        ImportCase(
            "teachers.csv: unknown school (suggests the close name)",
            "teachers",
            write_csv("school.csv", T, [teacher("T0123", 学校="人民路第一小")]),
            ("第2行「学校」列：“人民路第一小”不是区情配置中的学校", "是否为“人民路第一小学”"),
        ),
        ImportCase(
            "teachers.csv: unknown preferred street",
            "teachers",
            write_csv("street.csv", T, [teacher("T0124", 意向街道="嘉兴路街道;火星街道")]),
            ("第2行「意向街道」列：“火星街道”不是区情配置中的街道",),
        ),
        ImportCase(
            "teachers.csv: yes/no that is neither",
            "teachers",
            write_csv("yesno.csv", T, [teacher("T0125", 在职="也许")]),
            ("第2行「在职」列：“也许”不是“是”或“否”",),
        ),
        ImportCase(
            "teachers.csv: rating outside the four",
            "teachers",
            write_csv("rating.csv", T, [teacher("T0126", 年度考核="A+")]),
            ("第2行「年度考核」列：“A+”不是优秀、良好、合格、不合格之一",),
        ),
        ImportCase(
            "teachers.csv: phone with a digit missing (never echoed)",
            "teachers",
            write_csv("phone.csv", T, [teacher("T0127", 手机="1380013800")]),
            ("第2行「手机」列：不是以13至19开头的11位手机号码",),
            absent=("1380013800",),
        ),
        ImportCase(
            "teachers.csv: 3 bad rows among 500 good ones (every problem listed)",
            "teachers",
            write_csv(
                "many.csv",
                T,
                [teacher(f"TM{n:03d}") for n in range(500)]
                + [teacher("TM900", 教龄="x"), teacher("TM901", 学校="无"), teacher("TM000")],
            ),
            (
                "3 处问题",
                "第502行「教龄」列",
                "第503行「学校」列",
                "第504行「工号」列：“TM000”与第2行重复",
            ),
        ),
    ]


IH = IDEA_HEADERS
N = NOMINATION_HEADERS
S = SCORE_HEADERS
SCRIPT = "<script>alert('x')</script>读书会"
SQL = "'; DROP TABLE idea; -- 和 \" OR 1=1"


def idea_cases() -> list[ImportCase]:
    return [
        ImportCase(
            "ideas.csv: unclosed quote swallowing the rows below",
            "ideas",
            write_bytes(
                "quote.csv",
                (
                    csv_text(IH, [idea("UQ-1")])
                    + '"UQ-2,王芳,13900139000,嘉兴一居委,标题,内容很长很长很长很长很长\r\n'
                    + csv_text(IH, [idea("UQ-3"), idea("UQ-4")]).split("\r\n", 1)[1]
                ).encode(),
            ),
            ("第3行：从这里开始的带引号的格没有结束",),
        ),
        ImportCase(
            "teachers.csv: text after a closing quote",
            "teachers",
            write_bytes("afterquote.csv", (csv_text(T, []) + '"T0130"x,张三\r\n').encode()),
            ("第2行：引号结束后还有文字",),
        ),
        ImportCase(
            "ideas.csv: HTML/script in the title (stored as text)",
            "ideas",
            write_csv("script.csv", IH, [idea("H-1", 标题=SCRIPT)]),
            None,
            idea_is("H-1", title=SCRIPT),
        ),
        ImportCase(
            "ideas.csv: SQL metacharacters in title and content (stored verbatim)",
            "ideas",
            write_csv("sql.csv", IH, [idea("Q-1", 标题=SQL, 内容=SQL + "，建议增设周末课堂")]),
            None,
            idea_is("Q-1", title=SQL),
        ),
        ImportCase(
            "ideas.csv: date in the wrong format",
            "ideas",
            write_csv("slash.csv", IH, [idea("D-1", 提交时间="05/09/2026")]),
            ("第2行「提交时间」列：“05/09/2026”不是日期时间",),
        ),
        ImportCase(
            "ideas.csv: impossible date (2026-02-30)",
            "ideas",
            write_csv("feb30.csv", IH, [idea("D-2", 提交时间="2026-02-30 10:00")]),
            ("第2行「提交时间」列：“2026-02-30 10:00”不是有效的日期时间",),
        ),
        ImportCase(
            "ideas.csv: submitted in year 2999",
            "ideas",
            write_csv("far.csv", IH, [idea("D-3", 提交时间="2999-01-01 10:00")]),
            ("第2行「提交时间」列：“2999-01-01 10:00”不在2000年至2100年之间",),
        ),
        ImportCase(
            "ideas.csv: submitted in year 1",
            "ideas",
            write_csv("year1.csv", IH, [idea("D-4", 提交时间="0001-01-01 00:00")]),
            ("第2行「提交时间」列：“0001-01-01 00:00”不在2000年至2100年之间",),
        ),
        ImportCase(
            "ideas.csv: submitted after the import (future)",
            "ideas",
            write_csv("future.csv", IH, [idea("D-5", 提交时间="2099-12-31 09:00")]),
            ("第2行「提交时间」列：2099-12-31 09:00晚于现在",),
        ),
        ImportCase(
            "ideas.csv: 101-character title",
            "ideas",
            write_csv("title.csv", IH, [idea("L-1", 标题="题" * 101)]),
            ("第2行「标题」列：有101个字，最多100个字",),
        ),
        ImportCase(
            "ideas.csv: content too short",
            "ideas",
            write_csv("short.csv", IH, [idea("L-2", 内容="好")]),
            ("第2行「内容」列：有1个字，应为10至5000个字",),
        ),
        ImportCase(
            "ideas.xlsx: 10 MB content",
            "ideas",
            with_long_cell(
                write_xlsx("big.xlsx", [("金点子", [IH, idea("L-3", 内容="LONG")])]),
                "LONG",
                TEN_MB,
            ),
            ("第2行「内容」列：有3,333,333个字",),
        ),
        ImportCase(
            "ideas.csv: unknown community",
            "ideas",
            write_csv("community.csv", IH, [idea("C-1", 社区="月球居委")]),
            ("第2行「社区」列：“月球居委”不是区情配置中的社区",),
        ),
        ImportCase(
            "ideas.csv: duplicate ref",
            "ideas",
            write_csv("dupref.csv", IH, [idea("R-1"), idea("R-1", 提交人="李雷")]),
            ("第3行「编号」列：“R-1”与第2行重复",),
        ),
        ImportCase(
            "ideas.csv: phone missing",
            "ideas",
            write_csv("nophone.csv", IH, [idea("P-1", 手机="")]),
            ("第2行「手机」列：未填写，此列必须填写",),
        ),
        ImportCase(
            "ideas.csv: NUL in the content",
            "ideas",
            write_csv("nul.csv", IH, [idea("N-1", 内容="建议举办读书会\x00每月一次，欢迎参加")]),
            ("第2行「内容」列：第8个字符是看不见的控制字符（U+0000",),
        ),
        ImportCase(
            "ideas.csv: no campaign open for the year",
            "ideas",
            write_csv("noyear.csv", IH, [idea("Y-1")]),
            ("2031年度金点子征集尚未启动",),
            year=2031,
        ),
        ImportCase(
            "idea-scores.csv: no --year",
            "idea-scores",
            write_csv("ideascores.csv", ("编号", "评审"), [("2026-000001", "专家甲")]),
            ("导入评审评分须指明年度（--year）",),
            year=None,
        ),
    ]


def award_cases() -> list[ImportCase]:
    return [
        ImportCase(
            "nominations.csv: unknown category",
            "nominations",
            write_csv("category.csv", N, [nomination("X-1", 类别="学习型星球")]),
            ("第2行「类别」列：“学习型星球”不是评选类别",),
        ),
        ImportCase(
            "nominations.csv: year 1999",
            "nominations",
            write_csv("year.csv", N, [nomination("X-2", 年度="1999")]),
            ("第2行「年度」列：“1999”不是2000至2100之间的年份",),
            year=None,
        ),
        ImportCase(
            "nominations.csv: year other than --year",
            "nominations",
            write_csv("other.csv", N, [nomination("X-3", 年度="2027")]),
            ("第2行「年度」列：2027不是本次导入的年度（2026年）",),
        ),
        ImportCase(
            "nominations.csv: last award after the nomination year",
            "nominations",
            write_csv("last.csv", N, [nomination("X-4", 上次获评年度="2030")]),
            ("第2行「上次获评年度」列：2030年晚于提名年度2026年",),
        ),
        ImportCase(
            "nominations.csv: last award in year 99999",
            "nominations",
            write_csv("last2.csv", N, [nomination("X-5", 上次获评年度="99999")]),
            ("第2行「上次获评年度」列：99999不是1900至2100之间的年份",),
        ),
        ImportCase(
            "nominations.csv: metric 1e400 (was stored as infinity)",
            "nominations",
            write_csv("metric.csv", N, [nomination("X-6", 活动场次="1e400")]),
            ("第2行「活动场次」列：“1e400”过大",),
        ),
        ImportCase(
            "nominations.csv: negative metric",
            "nominations",
            write_csv("negmetric.csv", N, [nomination("X-7", 活动场次="-4")]),
            ("第2行「活动场次」列：-4是负数",),
        ),
        ImportCase(
            "nominations.csv: NaN metric",
            "nominations",
            write_csv("nanmetric.csv", N, [nomination("X-8", 活动场次="nan")]),
            ("第2行「活动场次」列：“nan”不是数字",),
        ),
        ImportCase(
            "nominations.csv: duplicate ref in a year",
            "nominations",
            write_csv("dupref.csv", N, [nomination("X-9"), nomination("X-9", 名称="另一小区")]),
            ("第3行「编号」列：“X-9”在2026年度已出现在前面的行中",),
        ),
        ImportCase(
            "nominations.csv: unknown street",
            "nominations",
            write_csv("street.csv", N, [nomination("X-10", 街道="嘉兴街道", 社区="")]),
            ("第2行「街道」列：“嘉兴街道”不是区情配置中的街道", "是否为“嘉兴路街道”"),
        ),
        ImportCase(
            "nominations.csv: community of another street",
            "nominations",
            write_csv("community.csv", N, [nomination("X-11", 社区="洛阳一居委")]),
            ("第2行「社区」列：“洛阳一居委”不是嘉兴路街道的社区",),
        ),
        ImportCase(
            "nominations.csv: full-width year and metric (normalised)",
            "nominations",
            write_csv("fullwidth.csv", N, [nomination("FW-1", 年度="２０２６", 活动场次="３０")]),
            None,
            lambda: nomination_count() >= 1,
        ),
        ImportCase(
            "scores.csv: unknown judge",
            "scores",
            write_csv("judge.csv", S, [score("BASE-1", "评委子")]),
            ("第2行「评委」列：“评委子”不是区情配置中的评委",),
        ),
        ImportCase(
            "scores.csv: nomination that does not exist",
            "scores",
            write_csv("ref.csv", S, [score("NOPE-1", "评委甲")]),
            ("第2行「编号」列：2026年度没有提名“NOPE-1”",),
        ),
        ImportCase(
            "scores.csv: the same judge twice for one nomination",
            "scores",
            write_csv("twice.csv", S, [score("BASE-1", "评委乙"), score("BASE-1", "评委乙")]),
            ("第3行「评委」列：评委乙在本文件中已为BASE-1评过分",),
        ),
        ImportCase(
            "scores.csv: score -5",
            "scores",
            write_csv("negative.csv", S, [score("BASE-1", "评委丙", 组织保障="-5")]),
            ("第2行「组织保障」列：-5不在0至100之间",),
        ),
        ImportCase(
            "scores.csv: criterion column missing",
            "scores",
            write_csv("nocol.csv", S[:-1], [score("BASE-1", "评委丙")[:-1]]),
            ("第1行「工作成效」列：缺少这一必填列",),
        ),
        ImportCase(
            "scores.csv: ESC sequence in a judge name",
            "scores",
            write_csv("esc.csv", S, [score("BASE-1", "评委\x1b[31m丙")]),
            ("第2行「评委」列：第3个字符是看不见的控制字符（U+001B",),
        ),
    ]


VOLUNTEER_HEADERS = ("年度", "编号", "姓名", "类别", "背景", "街道", "授课社区", "授课次数")


def volunteer(person_id: str, **overrides: object) -> list[object]:
    row: dict[str, object] = {
        "年度": "2026",
        "编号": person_id,
        "姓名": "王芳",
        "类别": "志愿者",
        "背景": "书法",
        "街道": "嘉兴路街道",
        "授课社区": "嘉兴一居委",
        "授课次数": "6",
    }
    row.update(overrides)
    return [row[h] for h in VOLUNTEER_HEADERS]


def volunteer_cases() -> list[ImportCase]:
    V = VOLUNTEER_HEADERS
    return [
        ImportCase(
            "volunteers.csv: unknown role",
            "volunteers",
            write_csv("role.csv", V, [volunteer("V-1", 类别="保安")]),
            ("第2行「类别」列：“保安”不是“志愿者”或“讲师团”",),
        ),
        ImportCase(
            "volunteers.csv: negative lessons",
            "volunteers",
            write_csv("lessons.csv", V, [volunteer("V-2", 授课次数="-6")]),
            ("第2行「授课次数」列：-6是负数",),
        ),
        ImportCase(
            "volunteers.csv: 1e999999 lessons",
            "volunteers",
            write_csv("huge.csv", V, [volunteer("V-3", 授课次数="1e999999")]),
            ("第2行「授课次数」列：“1e999999”过大",),
        ),
        ImportCase(
            "volunteers.csv: duplicate person id",
            "volunteers",
            write_csv("dup.csv", V, [volunteer("V-4"), volunteer("V-4", 姓名="李雷")]),
            ("第3行「编号」列：“V-4”在2026年度已出现在前面的行中",),
        ),
        ImportCase(
            "volunteers.csv: lessons without a community school",
            "volunteers",
            write_csv("nocommunity.csv", V, [volunteer("V-5", 授课社区="")]),
            ("第2行「授课社区」列：填了授课次数，请写明授课社区",),
        ),
        ImportCase(
            "volunteers.csv: RTL override in a name",
            "volunteers",
            write_csv("rtl.csv", V, [volunteer("V-6", 姓名="王\u202e芳")]),
            ("第2行「姓名」列：第2个字符是看不见的控制字符（U+202E",),
        ),
        ImportCase(
            "volunteers.csv: full-width lessons (normalised)",
            "volunteers",
            write_csv("fullwidth.csv", V, [volunteer("V-7", 授课次数="１２")]),
            None,
            volunteer_lessons("V-7", 12),
        ),
    ]


JUDGE_HEADERS = ("编号", "姓名", "单位", "街道", "类别/角色", "手机")


def judge(code: str, **overrides: object) -> list[object]:
    row: dict[str, object] = {
        "编号": code,
        "姓名": f"评委{code}",
        "单位": "区文明办",
        "街道": "嘉兴路街道",
        "类别/角色": "评委",
        "手机": "13800138000",
    }
    row.update(overrides)
    return [row[h] for h in JUDGE_HEADERS]


def judge_cases() -> list[ImportCase]:
    J = JUDGE_HEADERS
    return [
        ImportCase(
            "judges.csv: unknown role",
            "judges",
            write_csv("role.csv", J, [judge("J-1", **{"类别/角色": "主任"})]),
            ("第2行「类别/角色」列：“主任”不是“评委”或“评审”",),
        ),
        ImportCase(
            "judges.csv: unknown street",
            "judges",
            write_csv("street.csv", J, [judge("J-2", 街道="嘉兴街道")]),
            ("第2行「街道」列：“嘉兴街道”不是区情配置中的街道",),
        ),
        ImportCase(
            "judges.csv: one name, two codes",
            "judges",
            write_csv("name.csv", J, [judge("J-3", 姓名="李明"), judge("J-4", 姓名="李明")]),
            ("第3行「姓名」列：“李明”已是编号为J-3的评委",),
        ),
        ImportCase(
            "judges.csv: duplicate code",
            "judges",
            write_csv("dup.csv", J, [judge("J-5"), judge("J-5", 单位="区教育局")]),
            ("第3行「编号」列：“J-5”与第2行重复",),
        ),
        ImportCase(
            "judges.csv: a phone that is no mobile number (not echoed)",
            "judges",
            write_csv("phone.csv", J, [judge("J-6", 手机="021-6543210")]),
            ("第2行「手机」列：不是以13至19开头的11位手机号码",),
        ),
        ImportCase(
            "judges.csv: required role missing",
            "judges",
            write_csv("norole.csv", J[:-2] + J[-1:], [[*judge("J-7")[:-2], "13800138000"]]),
            ("第1行「类别/角色」列：缺少这一必填列",),
        ),
    ]


def volunteer_lessons(person_id: str, lessons: int) -> Callable[[], bool]:
    def check() -> bool:
        from models.volunteers import Volunteer

        with session_scope() as session:
            found = session.exec(
                select(Volunteer).where(Volunteer.year == YEAR, Volunteer.person_id == person_id)
            ).first()
            return found is not None and found.lessons == lessons

    return check


HOLIDAY_HEADERS = ("日期", "类型", "名称")


def holiday_cases() -> list[ImportCase]:
    H = HOLIDAY_HEADERS
    return [
        ImportCase(
            "holidays.csv: 30 February",
            "holidays",
            write_csv("feb30.csv", H, [("2026-02-30", "放假", "春节")]),
            ("第2行「日期」列：“2026-02-30”不是日期",),
        ),
        ImportCase(
            "holidays.csv: a range backwards",
            "holidays",
            write_csv("backwards.csv", H, [("2026-02-23至2026-02-15", "放假", "春节")]),
            ("第2行「日期」列：“2026-02-23至2026-02-15”的结束日期早于开始日期",),
        ),
        ImportCase(
            "holidays.csv: a make-up working day on a weekday",
            "holidays",
            write_csv(
                "weekday.csv", H, [("2026-02-16", "放假", "春节"), ("2026-02-17", "上班", "春节")]
            ),
            ("第3行「日期」列：2026年2月17日是工作日（星期二），无需调休上班",),
        ),
        ImportCase(
            "holidays.csv: a day given twice",
            "holidays",
            write_csv(
                "twice.csv",
                H,
                [("2026-02-15至2026-02-23", "放假", "春节"), ("2026-02-18", "放假", "春节")],
            ),
            ("第3行「日期」列：2026年2月18日已在第1条填写过",),
        ),
        ImportCase(
            "holidays.csv: a date outside the year given",
            "holidays",
            write_csv("outside.csv", H, [("2027-02-05", "放假", "春节")]),
            ("第2行「日期」列：2027年2月5日不在2026年内",),
        ),
        ImportCase(
            "holidays.csv: neither 放假 nor 上班",
            "holidays",
            write_csv("kind.csv", H, [("2026-02-16", "调休", "春节")]),
            ("第2行「类型」列：“调休”不是放假或上班",),
        ),
        ImportCase(
            "holidays.csv: RTL override in a name",
            "holidays",
            write_csv("rtl.csv", H, [("2026-02-16", "放假", "春\u202e节")]),
            ("第2行「名称」列：第2个字符是看不见的控制字符（U+202E",),
        ),
        ImportCase(
            "holidays.csv: full-width dates (normalised)",
            "holidays",
            write_csv(
                "fullwidth.csv", H, [("２０２６－０１－０１至２０２６－０１－０３", "放假", "元旦")]
            ),
            None,
            holiday_stored(2026, 3),
        ),
    ]


def holiday_stored(year: int, days: int) -> Callable[[], bool]:
    def check() -> bool:
        from models.holidays import HolidayEntry

        with session_scope() as session:
            found = session.exec(select(HolidayEntry).where(HolidayEntry.year == year)).all()
            return len(found) == days

    return check


IMPORT_CASES: list[ImportCase] = (
    teacher_cases()
    + idea_cases()
    + award_cases()
    + volunteer_cases()
    + judge_cases()
    + holiday_cases()
)


# ------------------------------------------------------------------------------------ profiles


@dataclass(frozen=True)
class ProfileCase:
    name: str
    text: str | bytes | Callable[[Path], Path]
    expect: tuple[str, ...]


MINIMAL = """district: 示例区
streets:
  - name: 嘉兴路街道
    pilot: true
    communities: [嘉兴一居委, 嘉兴二居委]
schools:
  - name: 人民路第一小学
    street: 嘉兴路街道
"""

BOMB = "district: 炸弹区\nstreets: [{name: 甲}]\nsecondment:\n  quotas:\n    甲: 1\n"
BOMB += "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
for _level in range(1, 10):
    _refs = ", ".join([f"*l{_level - 1}"] * 9)
    BOMB += f"lol{_level}: &l{_level} [{_refs}]\n"


def fifty_megabytes(folder: Path) -> Path:
    path = folder / "huge.yaml"
    line = "# " + "注" * 40 + "\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(MINIMAL)
        handle.write(line * (50 * MB // len(line.encode())))
    return path


PROFILE_CASES: list[ProfileCase] = [
    ProfileCase(
        "profile: YAML syntax error",
        MINIMAL + "  - name: [未闭合\n",
        ("第10行", "不是有效的YAML格式"),
    ),
    ProfileCase(
        "profile: tab indentation",
        MINIMAL.replace("    street", "\tstreet"),
        ("不是有效的YAML格式",),
    ),
    ProfileCase(
        "profile: wrong type (min_years: five)",
        MINIMAL + "secondment:\n  min_years: five\n",
        ("第10行（secondment.min_years）：应为整数（填的是 five）",),
    ),
    ProfileCase(
        "profile: streets is a string",
        "district: 区\nstreets: 嘉兴路街道\n",
        ("第2行（streets）：应为一组值",),
    ),
    ProfileCase(
        "profile: unknown key",
        MINIMAL + "secondment:\n  quota: {嘉兴路街道: 5}\n",
        ("第10行（secondment.quota）：不是区情配置中的项",),
    ),
    ProfileCase(
        "profile: negative quota",
        MINIMAL + "secondment:\n  quotas: {嘉兴路街道: -5}\n",
        ("第10行（secondment.quotas.嘉兴路街道）：应不小于 0（填的是 -5）",),
    ),
    ProfileCase(
        "profile: award quota of a million",
        MINIMAL + "awards:\n  quotas: {family: 1000000}\n",
        ("第10行（awards.quotas.family）：应不大于 1000（填的是 1000000）",),
    ),
    ProfileCase(
        "profile: negative min_years",
        MINIMAL + "secondment:\n  min_years: -1\n",
        ("第10行（secondment.min_years）：应不小于 0（填的是 -1）",),
    ),
    ProfileCase(
        "profile: merit weights summing to 1.5",
        MINIMAL + "secondment:\n  weights: {political: 0.8}\n",
        ("第10行（secondment.weights）：择优各项权重之和应为1",),
    ),
    ProfileCase(
        "profile: duplicate street names",
        MINIMAL.replace("schools:", "  - name: 嘉兴路街道\nschools:"),
        ("第6行（streets[1].name）：街道名称“嘉兴路街道”重复",),
    ),
    ProfileCase(
        "profile: recursive alias",
        MINIMAL + "kpi: &loop [*loop]\n",
        ("第9行：YAML别名（*名称）出现在它自己的锚点之内",),
    ),
    ProfileCase(
        "profile: duplicate YAML key",
        MINIMAL + "district: 另一个区\n",
        ("第9行（district）：键“district”重复（第1行已有）",),
    ),
    ProfileCase(
        "profile: school on an unknown street",
        MINIMAL + "  - name: 二小\n    street: 火星街道\n",
        ("第10行（schools[1].street）：学校“二小”所在的“火星街道”不在街道名单（streets）中",),
    ),
    ProfileCase(
        "profile: billion laughs (YAML alias bomb)",
        BOMB,
        ("第15行（lol9）：YAML别名（*名称）展开后超过 100,000 个值",),
    ),
    ProfileCase(
        "profile: nested 5,000 levels deep (crashed with RecursionError)",
        MINIMAL + "kpi: " + "[" * 5000 + "]" * 5000 + "\n",
        ("第9行：嵌套超过20层",),
    ),
    ProfileCase("profile: 50 MB file", fifty_megabytes, ("字节，区情配置最多 500,000 字节",)),
    ProfileCase("profile: empty file", "", ("文件是空的",)),
    ProfileCase(
        "profile: a list, not a mapping", "- 嘉兴路街道\n", ("第1行：区情配置应是“键: 值”的对应表",)
    ),
    ProfileCase("profile: GBK-encoded file", MINIMAL.encode("gbk"), ("不是UTF-8编码的文本",)),
    ProfileCase(
        "profile: python object tag",
        MINIMAL + "kpi: !!python/object/apply:os.system [echo hi]\n",
        ("第9行第6列：不是有效的YAML格式：含有不受支持的“!!”类型标签",),
    ),
]
