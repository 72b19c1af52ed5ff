"""The teachers kind (the secondment roster): columns, checks against the registry, bulk upsert."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.db import session_scope
from models.registry import School, Street
from models.secondment import RATINGS, Teacher, TeacherBase
from models.timeutil import utcnow
from tasks.common import clock
from tasks.importing.cells import (
    MAX_YEARS_TEACHING,
    parse_name_list,
    parse_optional_year,
    parse_phone,
    parse_rating,
    parse_score,
    parse_text,
    parse_years_teaching,
    parse_yes_no,
)
from tasks.importing.columns import (
    Column,
    Kind,
    parse_rows,
    unknown_name,
)
from tasks.importing.reading import (
    PROGRESS_STEP,
    ImportRejected,
    ProgressCallback,
    TableRows,
    read_rows,
)
from tasks.importing.store import ImportSummary, progress_bars

FIRST_SECONDMENT_YEAR = 1949
_DB_CHUNK = 500


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
            problems.append(("school", unknown_name("区情配置中的学校", school, known_schools)))
        year = values.get("last_secondment_year")
        if isinstance(year, int) and not FIRST_SECONDMENT_YEAR <= year <= latest_year:
            limit = (
                f"早于{FIRST_SECONDMENT_YEAR}年"
                if year < FIRST_SECONDMENT_YEAR
                else f"晚于{latest_year}年"
            )
            problems.append(("last_secondment_year", f"{year}年{limit}"))
        streets = values.get("preferred_streets")
        if isinstance(streets, list):
            for street in streets:
                if street not in known_streets:
                    message = unknown_name("区情配置中的街道", street, known_streets)
                    problems.append(("preferred_streets", message))
        return problems

    rows = parse_rows(table, TEACHERS, check_row=check, on_progress=on_progress)
    teachers = []
    for row in rows:
        try:
            teachers.append(TeacherBase.model_validate(row.values))
        except ValidationError:  # the parsers above should make this unreachable
            raise ImportRejected(table.path, [f"第{row.number}行：填写有误"]) from None
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
        for chunk in _chunks(rows, PROGRESS_STEP):
            session.exec(statement, params=list(chunk))
            if on_progress is not None:
                on_progress(len(chunk))
    return UpsertCounts(inserted=len(new_rows), updated=len(changed_rows), unchanged=unchanged)


def import_teachers_file(
    path: Path, *, current_year: int | None = None, progress: bool = False
) -> ImportSummary:
    """Validate a teachers file whole, then upsert it by staff_id in one transaction.

    Schools and streets are checked against the registry loaded by `init`. Nothing is written
    when anything is wrong (ImportRejected lists every problem).
    """
    path = Path(path)
    year = current_year if current_year is not None else clock.this_year()
    with progress_bars(progress) as bar:
        reading = bar("读取", None)
        table = read_rows(path, on_progress=reading.advance)
        reading.finish()
        with session_scope() as session:
            schools = set(session.exec(select(School.name)).all())
            streets = set(session.exec(select(Street.name)).all())
            if not schools:
                raise ImportRejected(path, ["区情配置中还没有学校，请先完成初始化"])
            teachers = validate_teachers(
                table,
                known_schools=schools,
                known_streets=streets,
                current_year=year,
                on_progress=bar("校验", len(table.rows)).advance,
            )
            counts = upsert_teachers(
                session, teachers=teachers, on_progress=bar("写入", len(teachers)).advance
            )
    return ImportSummary(
        path=path,
        rows=len(teachers),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        encoding=table.encoding,
    )
