"""Import the year's volunteers (R10.3) and lecturer group (R10.4): import kind `volunteers`.

A file is validated whole (streets and communities from the profile, one row per person and
year, lessons only at a community school) and written in one transaction, or not at all. Rows
are upserted by (year, person_id), so a corrected file can be imported again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from models.profile.schema import DistrictProfile
from models.volunteers import ROLES, Volunteer, VolunteerBase
from tasks.importing.cells import parse_count, parse_text
from tasks.importing.columns import CellError, Column, Kind, parse_rows, show_cell, unknown_name
from tasks.importing.fields import YEAR_COLUMN, name_column, other_year, ref_column
from tasks.importing.reading import read_rows
from tasks.importing.store import ImportSummary, import_year_file

_CODES = {zh: code for code, zh in ROLES.items()}


def parse_role(text: str) -> str:
    """志愿者 / 讲师团, or volunteer / lecturer."""
    if text in _CODES:
        return _CODES[text]
    if text.casefold() in ROLES:
        return text.casefold()
    raise CellError(f"{show_cell(text)}不是“志愿者”或“讲师团”")


def parse_lessons(text: str) -> int:
    """A whole number ≥ 0; an empty cell is 0."""
    return parse_count(text) if text else 0


VOLUNTEERS = Kind(
    name="volunteers",
    title_zh="志愿者和讲师团",
    columns=(
        YEAR_COLUMN,
        ref_column("person_id", notes="同一年度内每人唯一；再次导入时按编号更新", example="V0001"),
        name_column("姓名", example="王芳"),
        Column(
            "role",
            "类别",
            parse_role,
            "志愿者/讲师团",
            required=True,
            notes="志愿者（R10.3）或讲师团（R10.4）",
            example="志愿者",
            choices=tuple(ROLES.values()),
        ),
        Column(
            "background",
            "背景",
            parse_text,
            "文本",
            notes="志愿者填特长；讲师团填老党员、退休干部或退休教师",
            example="书法",
            max_chars=100,
        ),
        Column(
            "street", "街道", parse_text, "区情配置中的街道", required=True, example="嘉兴路街道"
        ),
        Column(
            "community",
            "授课社区",
            parse_text,
            "该街道的社区",
            notes="在社区学校授课的所在社区；未授课可留空",
        ),
        Column(
            "lessons",
            "授课次数",
            parse_lessons,
            "整数 ≥ 0",
            notes="本年度在社区学校义务授课次数，空为 0",
            example="6",
        ),
    ),
)


def validate_volunteers(
    path: Path, *, profile: DistrictProfile, year: int | None
) -> list[VolunteerBase]:
    """Every row checked against the profile; ImportRejected naming each row and column."""
    table = read_rows(path)
    streets = {s.name: set(s.communities) for s in profile.streets}
    seen: set[tuple[object, object]] = set()

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        problems = other_year(values, year)
        street, community = values.get("street"), values.get("community") or ""
        if isinstance(street, str):
            if street not in streets:
                problems.append(("street", unknown_name("区情配置中的街道", street, set(streets))))
            elif isinstance(community, str) and community and community not in streets[street]:
                problems.append(
                    (
                        "community",
                        unknown_name(f"{street}的社区", community, streets[street]),
                    )
                )
        if (values.get("lessons") or 0) and not community:
            problems.append(("community", "填了授课次数，请写明授课社区"))
        key = (values.get("year"), values.get("person_id"))
        if key[1] is not None:
            if key in seen:
                message = f"{show_cell(str(key[1]))}在{key[0]}年度已出现在前面的行中"
                problems.append(("person_id", message))
            seen.add(key)
        return problems

    rows = parse_rows(table, VOLUNTEERS, check_row=check)
    return [
        VolunteerBase.model_validate(
            {
                **row.values,
                "background": row.values.get("background") or "",
                "community": row.values.get("community") or "",
                "lessons": row.values.get("lessons") or 0,
            }
        )
        for row in rows
    ]


def import_volunteers_file(path: Path, *, year: int | None = None) -> ImportSummary:
    """Validate the file whole, then upsert by (year, person_id) in one transaction."""
    return import_year_file(path, Volunteer, ("year", "person_id"), validate_volunteers, year)
