"""The shared importer: reading CSV/XLSX, header aliases, teacher validation, upsert, templates."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from models.db import migrate, session_scope
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from models.secondment import RATINGS, Teacher, TeacherBase
from models.settings import get_settings
from tasks.common.district import sync_registry
from tasks.importing.kinds import KINDS
from tasks.importing.reading import ImportRejected, read_rows
from tasks.importing.teachers import TEACHERS, import_teachers_file, validate_teachers
from tasks.importing.template import write_template

YEAR = 2026
ZH = [c.zh for c in TEACHERS.columns]
EN = [c.key for c in TEACHERS.columns]
PROFILE, _ = load_profile()
SCHOOLS = sorted(s.name for s in PROFILE.schools)
STREETS = sorted(PROFILE.street_names)


def teacher_row(**overrides: str) -> dict[str, str]:
    """A valid teacher row as file text, keyed by English header."""
    row = {
        "staff_id": "T0001",
        "name": "张三",
        "school": "人民路第一小学",
        "subject": "语文",
        "years_teaching": "12",
        "in_service": "是",
        "annual_rating": "良好",
        "political_score": "85",
        "ability_score": "82.5",
        "community_work_score": "78",
        "backbone": "否",
        "last_secondment_year": "",
        "preferred_streets": "嘉兴路街道；海伦路街道",
        "deferred": "否",
        "phone": "13800138000",
    }
    row.update(overrides)
    return row


def rows_of(count: int, **overrides: str) -> list[dict[str, str]]:
    return [teacher_row(staff_id=f"T{n:04d}", **overrides) for n in range(1, count + 1)]


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    *,
    headers: Sequence[str] = tuple(ZH),
    keys: Sequence[str] = tuple(EN),
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(key, "") for key in keys])
    return path


def write_xlsx(path: Path, table: Sequence[Sequence[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in table:
        sheet.append(list(values))
    workbook.save(path)
    return path


def stored() -> dict[str, Teacher]:
    with session_scope() as session:
        return {t.staff_id: t for t in session.exec(select(Teacher)).all()}


def teacher_count() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Teacher)).one()


def problems_of(exc: pytest.ExceptionInfo[ImportRejected]) -> list[str]:
    return exc.value.problems


# ---------------------------------------------------------------- reading and encodings


def test_csv_utf8_imports_every_field(registry: DistrictProfile, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            teacher_row(),
            teacher_row(
                staff_id="T0002",
                annual_rating="excellent",
                in_service="否",
                backbone="Y",
                deferred="1",
                last_secondment_year="2023",
                preferred_streets="",
                phone="",
                subject="",
            ),
        ],
    )
    summary = import_teachers_file(path, current_year=YEAR)
    assert (summary.rows, summary.inserted, summary.updated, summary.unchanged) == (2, 2, 0, 0)
    assert summary.encoding == "utf-8"
    teachers = stored()
    first = teachers["T0001"]
    assert first.name == "张三" and first.school == "人民路第一小学" and first.subject == "语文"
    assert first.years_teaching == 12 and first.in_service is True
    assert first.annual_rating == "良好"
    assert (first.political_score, first.ability_score, first.community_work_score) == (
        85.0,
        82.5,
        78.0,
    )
    assert first.backbone is False and first.deferred is False
    assert first.last_secondment_year is None
    assert first.preferred_streets == ["嘉兴路街道", "海伦路街道"]
    assert first.phone == "13800138000"
    second = teachers["T0002"]
    assert second.annual_rating == "优秀" and second.in_service is False
    assert second.backbone is True and second.deferred is True
    assert second.last_secondment_year == 2023
    assert second.preferred_streets == [] and second.phone == "" and second.subject == ""


def test_csv_with_bom(registry: DistrictProfile, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", rows_of(2), encoding="utf-8-sig")
    summary = import_teachers_file(path, current_year=YEAR)
    assert summary.encoding == "utf-8-sig"
    assert summary.inserted == 2


def test_gbk_csv_is_decoded(registry: DistrictProfile, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", [teacher_row(name="欧阳晓燕")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    summary = import_teachers_file(path, current_year=YEAR)
    assert summary.encoding == "gb18030"
    assert stored()["T0001"].name == "欧阳晓燕"


def test_bytes_in_no_known_encoding_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("工号,姓名\n".encode() + b"T1,\xff\xfe\x80 caf\xe9\n")
    with pytest.raises(ImportRejected) as exc:
        read_rows(path)
    assert "既不是UTF-8也不是GBK" in str(exc.value)
    assert str(path) in str(exc.value)


def test_english_headers_case_insensitive(registry: DistrictProfile, tmp_path: Path) -> None:
    headers = [key.upper() if n % 2 else key for n, key in enumerate(EN)]
    headers[0] = "Staff ID"
    path = write_csv(tmp_path / "en.csv", rows_of(3), headers=headers)
    assert import_teachers_file(path, current_year=YEAR).inserted == 3


def test_mixed_order_mixed_languages_and_extra_columns(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    keys = list(reversed(EN))
    headers = [c.key if n % 2 else c.zh for n, c in enumerate(reversed(TEACHERS.columns))]
    path = tmp_path / "mixed.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["备注", *headers, "unused"])
        writer.writerow(["新调入", *[teacher_row()[k] for k in keys], "x"])
    assert import_teachers_file(path, current_year=YEAR).inserted == 1
    assert stored()["T0001"].preferred_streets == ["嘉兴路街道", "海伦路街道"]


def test_header_is_first_non_empty_row_and_row_numbers_are_file_rows(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text("\n,,\n工号,姓名\n\nT1,张三\n", encoding="utf-8")
    table = read_rows(path)
    assert table.header_row == 3
    assert table.headers == ("工号", "姓名")
    assert [(r.number, r.cells) for r in table.rows] == [(5, ("T1", "张三"))]


def test_full_width_digits_and_spaces_are_accepted(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    row = teacher_row(
        staff_id="Ｔ０００１",
        years_teaching="１２",
        political_score=" ８５．５ ",
        last_secondment_year="２０２２",
        phone="１３８ ００１３ ８０００",
    )
    path = write_csv(tmp_path / "fw.csv", [row])
    import_teachers_file(path, current_year=YEAR)
    teacher = stored()["T0001"]
    assert teacher.years_teaching == 12
    assert teacher.political_score == 85.5
    assert teacher.last_secondment_year == 2022
    assert teacher.phone == "13800138000"


@pytest.mark.parametrize(
    "written",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "8613800138000",
        "0086 13800138000",
    ],
)
def test_phone_is_normalised(written: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [teacher_row(phone=written)])
    (teacher,) = validate_teachers(
        read_rows(path),
        known_schools=set(SCHOOLS),
        known_streets=set(STREETS),
        current_year=YEAR,
    )
    assert teacher.phone == "13800138000"


@pytest.mark.parametrize("written", ["12800138000", "1380013800", "138001380001", "phone"])
def test_bad_phone_is_refused_without_echoing_it(written: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [teacher_row(phone=written)])
    with pytest.raises(ImportRejected) as exc:
        validate_teachers(
            read_rows(path),
            known_schools=set(SCHOOLS),
            known_streets=set(STREETS),
            current_year=YEAR,
        )
    (problem,) = problems_of(exc)
    assert problem.startswith("第2行「手机」列：不是以13至19开头的11位手机号码")
    assert written not in problem  # PII stays out of messages and logs


# ---------------------------------------------------------------- XLSX


def test_xlsx_round_trip_through_the_template(registry: DistrictProfile, tmp_path: Path) -> None:
    template = write_template("teachers", tmp_path / "out" / "teachers.xlsx")
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == ZH
    assert all(c.font.b for c in sheet[1])
    assert sheet.max_row == 1
    assert workbook.sheetnames[1] == "说明"
    notes = list(workbook["说明"].iter_rows(values_only=True))
    assert notes[0][:4] == ("中文列名", "英文列名", "类型", "必填")
    assert [(r[0], r[1]) for r in notes[1 : len(ZH) + 1]] == list(zip(ZH, EN, strict=True))
    assert {r[1]: r[3] for r in notes[1 : len(ZH) + 1]}["staff_id"] == "是"
    # A clerk fills rows; Excel keeps numbers as numbers.
    sheet.append(
        [
            "T0001",
            "张三",
            "人民路第一小学",
            "语文",
            12,
            "是",
            "优秀",
            85,
            82.5,
            78,
            "是",
            2022,
            "嘉兴路街道、洛阳路街道",
            "否",
            "13800138000",
        ]
    )
    sheet.append(
        [
            "T0002",
            "李四",
            "洛阳中学",
            None,
            7.0,
            True,
            "合格",
            60,
            70,
            80,
            None,
            None,
            None,
            None,
            13912345678,
        ]
    )
    workbook.save(template)

    summary = import_teachers_file(template, current_year=YEAR)
    assert (summary.inserted, summary.encoding) == (2, "xlsx")
    teachers = stored()
    assert teachers["T0001"].annual_rating == "优秀"
    assert teachers["T0001"].preferred_streets == ["嘉兴路街道", "洛阳路街道"]
    assert teachers["T0001"].ability_score == 82.5
    assert teachers["T0001"].last_secondment_year == 2022
    assert teachers["T0002"].years_teaching == 7 and teachers["T0002"].in_service is True
    assert teachers["T0002"].phone == "13912345678" and teachers["T0002"].subject == ""


def test_merged_cells_are_refused_with_their_range(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(ZH)
    sheet.append(list(teacher_row().values()))
    sheet.append(list(teacher_row(staff_id="T0002").values()))
    sheet.merge_cells("C2:C3")
    workbook.save(tmp_path / "merged.xlsx")
    with pytest.raises(ImportRejected) as exc:
        read_rows(tmp_path / "merged.xlsx")
    assert problems_of(exc) == ["单元格C2:C3：不支持合并单元格，请取消合并并逐格填写"]


def test_formula_without_saved_value_is_refused(tmp_path: Path) -> None:
    values: list[object] = list(teacher_row().values())
    values[4] = "=3+4"  # 教龄, in column E; openpyxl saves formulas without a cached result
    path = write_xlsx(tmp_path / "formula.xlsx", [ZH, values])
    with pytest.raises(ImportRejected) as exc:
        read_rows(path)
    (problem,) = problems_of(exc)
    assert problem.startswith("第2行「教龄」列：公式没有保存计算结果")


def test_formula_with_saved_value_reads_the_value(tmp_path: Path) -> None:
    values: list[object] = list(teacher_row().values())
    values[4] = "=3+4"
    path = write_xlsx(tmp_path / "formula.xlsx", [ZH, values])
    # What Excel does on save: keep the formula's result beside it.
    patched = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<f>3\+4</f>\s*(?:<v\s*/>|<v></v>)", b"<f>3+4</f><v>7</v>", data)
                assert b"<v>7</v>" in data
            dst.writestr(item, data)
    table = read_rows(patched)
    assert table.rows[0].cells[4] == "7"


def test_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("工号,姓名\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="不是可以读取的.xlsx工作簿"):
        read_rows(path)


# ---------------------------------------------------------------- empty and unknown files


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "文件是空的"),
        ("blank.csv", b"\r\n , \r\n\r\n", "文件是空的"),
        ("header.csv", "工号,姓名\n\n".encode(), "只有列名行（第1行），没有数据行"),
        ("header-bom.csv", "\ufeff工号,姓名\n".encode(), "只有列名行（第1行），没有数据行"),
    ],
)
def test_empty_and_header_only_files(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRejected, match=re.escape(expected)) as exc:
        read_rows(path)
    assert exc.value.path == path


def test_empty_workbook(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(ImportRejected, match="文件是空的"):
        read_rows(path)


@pytest.mark.parametrize("name", ["teachers.xls", "teachers.txt", "teachers"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("工号\nT1\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="请使用.csv或.xlsx文件"):
        read_rows(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="找不到这个文件"):
        read_rows(tmp_path / "absent.csv")


# ---------------------------------------------------------------- headers


def test_missing_required_header_names_both_spellings(tmp_path: Path) -> None:
    keys = [k for k in EN if k not in ("years_teaching", "annual_rating")]
    headers = [TEACHERS.columns[EN.index(k)].zh for k in keys]
    path = write_csv(tmp_path / "m.csv", rows_of(1), headers=headers, keys=keys)
    with pytest.raises(ImportRejected) as exc:
        read_then_validate(path)
    assert problems_of(exc) == [
        "第1行「教龄」列：缺少这一必填列，请加一列，列名为“教龄”",
        "第1行「年度考核」列：缺少这一必填列，请加一列，列名为“年度考核”",
    ]


def test_duplicate_header_is_a_problem(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv", rows_of(1), headers=[*ZH, "STAFF_ID"], keys=[*EN, "staff_id"]
    )
    with pytest.raises(ImportRejected) as exc:
        read_then_validate(path)
    assert problems_of(exc) == ["第1行「STAFF_ID」列：与「工号」列重复（都是工号），只保留一列"]


# ---------------------------------------------------------------- rows


def read_then_validate(path: Path) -> list[TeacherBase]:
    return validate_teachers(
        read_rows(path),
        known_schools=set(SCHOOLS),
        known_streets=set(STREETS),
        current_year=YEAR,
    )


def test_duplicate_staff_id(tmp_path: Path) -> None:
    rows = [teacher_row(), teacher_row(staff_id="T0002"), teacher_row(name="王五")]
    with pytest.raises(ImportRejected) as exc:
        read_then_validate(write_csv(tmp_path / "dup.csv", rows))
    assert problems_of(exc) == ["第4行「工号」列：“T0001”与第2行重复"]


def test_unknown_school_and_street_suggest_the_close_name(tmp_path: Path) -> None:
    rows = [teacher_row(school="人民路一小", preferred_streets="嘉兴路, 火星街道")]
    with pytest.raises(ImportRejected) as exc:
        read_then_validate(write_csv(tmp_path / "s.csv", rows))
    assert problems_of(exc) == [
        "第2行「学校」列：“人民路一小”不是区情配置中的学校（是否为“人民路第一小学”？）",
        "第2行「意向街道」列：“嘉兴路”不是区情配置中的街道（是否为“嘉兴路街道”？）",
        "第2行「意向街道」列：“火星街道”不是区情配置中的街道",
    ]


def test_whole_numbers_and_years(tmp_path: Path) -> None:
    rows = [
        teacher_row(staff_id="A", years_teaching="5.0", last_secondment_year=str(YEAR + 1)),
        teacher_row(staff_id="B", years_teaching="5.5"),
        teacher_row(staff_id="C", years_teaching="-1"),
        teacher_row(staff_id="D", last_secondment_year=str(YEAR + 2)),
        teacher_row(staff_id="E", last_secondment_year="1948"),
        teacher_row(staff_id="F", last_secondment_year="去年"),
    ]
    with pytest.raises(ImportRejected) as exc:
        read_then_validate(write_csv(tmp_path / "n.csv", rows))
    assert problems_of(exc) == [
        "第3行「教龄」列：“5.5”不是整数",
        "第4行「教龄」列：-1是负数，应为0或以上",
        f"第5行「上次挂职年份」列：{YEAR + 2}年晚于{YEAR + 1}年",
        "第6行「上次挂职年份」列：1948年早于1949年",
        "第7行「上次挂职年份」列：“去年”不是数字",
    ]


def test_a_bad_file_lists_every_problem_and_writes_nothing(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    import_teachers_file(write_csv(tmp_path / "good.csv", rows_of(3)), current_year=YEAR)
    before = {k: t.model_dump() for k, t in stored().items()}
    rows = [
        teacher_row(staff_id="T0001", name="改名"),  # a valid update: must not be written
        teacher_row(staff_id="T0009"),  # a valid insert: must not be written
        teacher_row(staff_id="X1", name="", in_service="maybe", political_score="101"),
        teacher_row(staff_id="X2", annual_rating="很好", ability_score="abc", backbone="是的"),
        teacher_row(staff_id="X3", school="不存在学校", phone="123", deferred="?"),
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ImportRejected) as exc:
        import_teachers_file(path, current_year=YEAR)
    assert problems_of(exc) == [
        "第4行「姓名」列：未填写，此列必须填写",
        "第4行「在职」列：“maybe”不是“是”或“否”",
        "第4行「政治素质」列：101不在0至100之间",
        "第5行「年度考核」列：“很好”不是优秀、良好、合格、不合格之一",
        "第5行「综合能力」列：“abc”不是数字",
        "第5行「骨干教师」列：“是的”不是“是”或“否”",
        "第6行「暂缓」列：“?”不是“是”或“否”",
        "第6行「手机」列：不是以13至19开头的11位手机号码（填了3位数字）",
        "第6行「学校」列：“不存在学校”不是区情配置中的学校",
    ]
    text = str(exc.value)
    assert text.splitlines()[0] == f"{path}：未导入，未写入任何内容（9 处问题）"
    assert text.splitlines()[1:] == problems_of(exc)
    assert teacher_count() == 3
    assert {k: t.model_dump() for k, t in stored().items()} == before


def test_a_row_with_only_extra_columns_filled_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "note.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*ZH, "备注"])
        writer.writerow([*teacher_row().values(), ""])
        writer.writerow([""] * len(ZH) + ["合计 1 人"])
    assert [t.staff_id for t in read_then_validate(path)] == ["T0001"]


def test_import_needs_a_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    get_settings.cache_clear()
    try:
        migrate()
        with pytest.raises(ImportRejected, match="区情配置中还没有学校"):
            import_teachers_file(write_csv(tmp_path / "t.csv", rows_of(1)), current_year=YEAR)
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- upsert


def test_second_import_updates_by_staff_id(registry: DistrictProfile, tmp_path: Path) -> None:
    first = import_teachers_file(write_csv(tmp_path / "a.csv", rows_of(3)), current_year=YEAR)
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    stamps = {k: t.updated_at for k, t in stored().items()}

    rows = rows_of(3)
    rows[1]["years_teaching"] = "13"
    rows[2]["preferred_streets"] = "洛阳路街道"
    rows.append(teacher_row(staff_id="T0004"))
    second = import_teachers_file(write_csv(tmp_path / "b.csv", rows), current_year=YEAR)
    assert (second.rows, second.inserted, second.updated, second.unchanged) == (4, 1, 2, 1)

    teachers = stored()
    assert len(teachers) == 4
    assert teachers["T0002"].years_teaching == 13
    assert teachers["T0003"].preferred_streets == ["洛阳路街道"]
    assert teachers["T0001"].updated_at == stamps["T0001"]
    assert teachers["T0002"].updated_at > stamps["T0002"]
    assert teachers["T0003"].updated_at > stamps["T0003"]

    again = import_teachers_file(write_csv(tmp_path / "c.csv", rows), current_year=YEAR)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_progress_bar_runs(
    registry: DistrictProfile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "p.csv", rows_of(2500))
    summary = import_teachers_file(path, current_year=YEAR, progress=True)
    assert summary.inserted == 2500
    err = capsys.readouterr().err
    assert "校验" in err and "写入" in err


def test_default_year_is_this_year(registry: DistrictProfile, tmp_path: Path) -> None:
    row = teacher_row(last_secondment_year=str(datetime.now(UTC).year + 1))
    assert import_teachers_file(write_csv(tmp_path / "y.csv", [row])).inserted == 1


# ---------------------------------------------------------------- templates


def test_unknown_template_kind_lists_known_kinds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="没有“pets”这种模板：可用的种类为.*teachers"):
        write_template("pets", tmp_path / "x.xlsx")
    assert "teachers" in KINDS  # other processes register their kinds too


# ---------------------------------------------------------------- property


def _spelling(draw: st.DrawFn, value: bool) -> str:
    yes = ["是", "true", "TRUE", "1", "yes", "Y", "y"]
    no = ["否", "false", "False", "0", "no", "N", "n"]
    return draw(st.sampled_from(yes if value else no))


_RATING_EN = dict(zip(RATINGS, ("excellent", "good", "pass", "fail"), strict=True))
_HAN = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程"


@st.composite
def teacher_and_row(draw: st.DrawFn, staff_id: str) -> tuple[TeacherBase, dict[str, str]]:
    """A valid teacher and one of the many ways a clerk may write it."""
    years = draw(st.integers(0, 60))
    rating = draw(st.sampled_from(RATINGS))
    scores = [draw(st.integers(0, 1000)) / 10 for _ in range(3)]
    last = draw(st.none() | st.integers(1949, YEAR + 1))
    streets = draw(st.lists(st.sampled_from(STREETS), unique=True, max_size=4))
    separator = draw(st.sampled_from([";", "；", "、", ",", "，", " ; "]))
    mobile = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)) if draw(st.booleans()) else ""
    phone_text = mobile and draw(
        st.sampled_from([mobile, f"+86 {mobile}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"])
    )
    flags = [draw(st.booleans()) for _ in range(3)]
    teacher = TeacherBase(
        staff_id=staff_id,
        name=draw(st.text(alphabet=_HAN, min_size=1, max_size=4)),
        school=draw(st.sampled_from(SCHOOLS)),
        subject=draw(st.sampled_from(["", "语文", "数学", "信息技术"])),
        years_teaching=years,
        in_service=flags[0],
        annual_rating=rating,
        political_score=scores[0],
        ability_score=scores[1],
        community_work_score=scores[2],
        backbone=flags[1],
        last_secondment_year=last,
        preferred_streets=streets,
        deferred=flags[2],
        phone=mobile,
    )
    row = {
        "staff_id": staff_id,
        "name": teacher.name,
        "school": teacher.school,
        "subject": teacher.subject,
        "years_teaching": draw(st.sampled_from([str(years), f"{years}.0"])),
        "in_service": _spelling(draw, flags[0]),
        "annual_rating": draw(st.sampled_from([rating, _RATING_EN[rating]])),
        "political_score": f"{scores[0]:g}",
        "ability_score": f"{scores[1]:g}",
        "community_work_score": f"{scores[2]:g}",
        "backbone": "" if not flags[1] and draw(st.booleans()) else _spelling(draw, flags[1]),
        "last_secondment_year": "" if last is None else str(last),
        "preferred_streets": separator.join(streets),
        "deferred": "" if not flags[2] and draw(st.booleans()) else _spelling(draw, flags[2]),
        "phone": phone_text,
    }
    return teacher, row


@st.composite
def teacher_files(draw: st.DrawFn) -> tuple[list[TeacherBase], list[dict[str, str]], bool]:
    ids = draw(
        st.lists(
            st.from_regex(r"[A-Z]{0,2}[0-9]{1,6}", fullmatch=True),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    pairs = [draw(teacher_and_row(staff_id)) for staff_id in ids]
    return [t for t, _ in pairs], [r for _, r in pairs], draw(st.booleans())


@pytest.fixture(scope="module")
def shared_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One database for every example of the property test (a fresh one each would be slow)."""
    folder = tmp_path_factory.mktemp("shared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LD_DATA_DIR", str(folder))
        patch.setenv("LD_DATABASE_URL", f"sqlite:///{folder}/t.db")
        get_settings.cache_clear()
        migrate()
        profile, text = load_profile()
        with session_scope() as session:
            sync_registry(session, profile=profile, text=text, source="bundled")
        yield folder
        get_settings.cache_clear()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=teacher_files())
def test_valid_generated_rows_always_import_and_round_trip(
    shared_registry: Path,
    generated: tuple[list[TeacherBase], list[dict[str, str]], bool],
) -> None:
    expected, rows, as_xlsx = generated
    if as_xlsx:
        path = write_xlsx(shared_registry / "t.xlsx", [EN, *[[r[k] for k in EN] for r in rows]])
    else:
        path = write_csv(shared_registry / "t.csv", rows)
    summary = import_teachers_file(path, current_year=YEAR)
    assert summary.rows == summary.inserted + summary.updated + summary.unchanged == len(rows)
    teachers = stored()
    for teacher in expected:
        assert TeacherBase.model_validate(teachers[teacher.staff_id].model_dump()) == teacher
