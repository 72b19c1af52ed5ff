"""Import the district's network (R5, R6): kinds `bases` and `team`.

Each file is validated whole against the profile (streets, communities, schools) and written in
one transaction, or not at all:

- `bases`: the register of the bases and their venues, one row per venue; importing it again
  replaces the register (a venue left out is removed).
- `team`: the year's managers, counsellors and theory-research group, one row per person,
  upserted by (year, 编号). Seconded teachers, volunteers and lecturers have registers of their
  own and are not entered here. (Community schools: `tasks.importing.community_schools`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlmodel import Session, select

from models.db import session_scope
from models.network import (
    BASE_KINDS,
    LEVELS,
    TEAMS,
    BaseVenue,
    BaseVenueBase,
    TeamMember,
    TeamMemberBase,
)
from models.profile.schema import DistrictProfile
from tasks.common.district import active_profile
from tasks.importing.cells import parse_text, parse_yes_no
from tasks.importing.columns import Column, Kind, parse_rows
from tasks.importing.fields import (
    YEAR_COLUMN,
    anchored,
    choice,
    name_column,
    parse_capacity,
    present_columns,
    quoted,
    ref_column,
    row_numbers,
    unknown_zh,
)
from tasks.importing.reading import read_rows
from tasks.importing.store import ImportSummary, import_year_file

_TEAM_WORDS = {
    **{label: code for code, label in TEAMS.items()},
    "管理者": "manager",
    "辅导员": "counsellor",
    "理论研究组": "researcher",
    "课题研究组": "researcher",
}
_LEVEL_WORDS = {**{label: code for code, label in LEVELS.items()}, "居委": "community"}
_BASE_WORDS = {
    **{label: code for code, label in BASE_KINDS.items()},
    "党员教育基地": "party_school",
    "成人教育基地": "community_management_school",
    "老年人教育基地": "elderly_university",
    "老年教育基地": "elderly_university",
    "少儿教育基地": "children_centre",
}


def parse_team(text: str) -> str:
    return choice(_TEAM_WORDS, text, "队伍", ("管理者", "辅导员", "理论研究组"))


def parse_level(text: str) -> str:
    return choice(_LEVEL_WORDS, text, "层级", tuple(LEVELS.values()))


def parse_base_kind(text: str) -> str:
    return choice(_BASE_WORDS, text, "基地类型", tuple(BASE_KINDS.values()))


BASES = Kind(
    name="bases",
    title_zh="教育基地",
    columns=(
        Column(
            "base", "基地", parse_text, "文本", required=True, example="区老年大学", max_chars=50
        ),
        Column(
            "kind",
            "类型",
            parse_base_kind,
            "四类基地之一",
            required=True,
            notes="社区党员教育基地、社区成人教育基地、社区老年人教育基地、社区少儿教育基地",
            example="社区老年人教育基地",
            choices=tuple(BASE_KINDS.values()),
        ),
        Column(
            "street", "街道", parse_text, "区情配置中的街道", required=True, example="海伦路街道"
        ),
        Column(
            "venue",
            "场地",
            parse_text,
            "文本",
            required=True,
            notes="每个场地一行；同一基地可有多行",
            example="多功能教室",
            max_chars=50,
        ),
        Column("capacity", "容纳人数", parse_capacity, "整数 ≥ 1", required=True, example="80"),
    ),
)

TEAM = Kind(
    name="team",
    title_zh="社区教育队伍",
    columns=(
        YEAR_COLUMN,
        ref_column("person_id", notes="同一年度内每人唯一；再次导入时按编号更新", example="M0001"),
        name_column("姓名", example="王芳"),
        Column(
            "team",
            "队伍",
            parse_team,
            "管理者/辅导员/理论研究组",
            required=True,
            notes="挂职教师、志愿者和讲师团另有登记，不在此填写",
            example="管理者",
            choices=("管理者", "辅导员", "理论研究组"),
        ),
        Column(
            "level",
            "层级",
            parse_level,
            "区/街道/社区",
            required=True,
            notes="理论研究组为区级",
            example="街道",
            choices=tuple(LEVELS.values()),
        ),
        Column(
            "street",
            "街道",
            parse_text,
            "区情配置中的街道",
            notes="区级可留空",
            example="嘉兴路街道",
        ),
        Column("community", "社区", parse_text, "该街道的社区", notes="社区级必填"),
        Column("unit", "单位", parse_text, "文本", example="嘉兴路街道办事处", max_chars=100),
        Column(
            "dedicated",
            "专职",
            parse_yes_no,
            "是/否",
            notes="专职人员填是；留空为否",
            example="是",
            choices=("是", "否"),
        ),
        Column(
            "background",
            "背景",
            parse_text,
            "文本",
            notes="理论研究组填部门抽调或专家",
            example="部门抽调",
            max_chars=100,
        ),
    ),
)


def street_problems(
    values: Mapping[str, object], profile: DistrictProfile, *, community: bool = False
) -> list[tuple[str, str]]:
    streets = {s.name: set(s.communities) for s in profile.streets}
    street = values.get("street") or ""
    problems: list[tuple[str, str]] = []
    if isinstance(street, str) and street and street not in streets:
        problems.append(("street", unknown_zh("区情配置中的街道", street, set(streets))))
    place = values.get("community") or ""
    if community and isinstance(place, str) and place and street in streets:
        if place not in streets[str(street)]:
            problems.append(
                ("community", unknown_zh(f"{street}的社区", place, streets[str(street)]))
            )
    return problems


def validate_bases(path: Path, *, profile: DistrictProfile) -> list[BaseVenueBase]:
    """Every venue row checked; a base keeps one type and one street on all its rows."""
    table = read_rows(path)
    first: dict[str, tuple[int, object, object]] = {}
    venues: dict[tuple[object, object], int] = {}
    number = row_numbers(table, BASES)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        row = next(number)
        problems = street_problems(values, profile)
        base, venue = values.get("base"), values.get("venue")
        if base is None:
            return problems
        seen = first.setdefault(str(base), (row, values.get("kind"), values.get("street")))
        for index, key in ((1, "kind"), (2, "street")):
            if values.get(key) is not None and seen[index] is not None:
                if values[key] != seen[index] and row != seen[0]:
                    label = "类型" if key == "kind" else "街道"
                    problems.append((key, f"{quoted(str(base))}在第{seen[0]}行的{label}不同"))
        if venue is not None:
            if (base, venue) in venues:
                message = (
                    f"{quoted(str(base))}的场地{quoted(str(venue))}已在第{venues[base, venue]}行"
                )
                problems.append(("venue", message))
            venues.setdefault((base, venue), row)
        return problems

    rows = parse_rows(table, BASES, check_row=check)
    return [BaseVenueBase.model_validate(row.values) for row in rows]


class RegisterSummary(ImportSummary):
    """What an import that replaces a register did."""

    removed: int
    groups: int  # bases in the file


def store_bases(session: Session, venues: list[BaseVenueBase], *, path: Path) -> RegisterSummary:
    """Make the register equal to VENUES: insert, update, delete; in the caller's transaction."""
    stored = {(v.base, v.venue): v for v in session.exec(select(BaseVenue)).all()}
    inserted = updated = unchanged = 0
    for venue in venues:
        found = stored.pop((venue.base, venue.venue), None)
        if found is None:
            session.add(BaseVenue(**venue.model_dump()))
            inserted += 1
        elif BaseVenueBase.model_validate(found.model_dump()) != venue:
            for name, value in venue.model_dump().items():
                setattr(found, name, value)
            session.add(found)
            updated += 1
        else:
            unchanged += 1
    for gone in stored.values():
        session.delete(gone)
    return RegisterSummary(
        path=path,
        rows=len(venues),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        removed=len(stored),
        groups=len({v.base for v in venues}),
        encoding="",
    )


def import_bases_file(path: Path) -> RegisterSummary:
    """Validate the file whole, then replace the register of bases in one transaction."""
    path = Path(path)
    with session_scope() as session:
        venues = validate_bases(path, profile=active_profile(session))
        return store_bases(session, venues, path=path)


def validate_team(
    path: Path, *, profile: DistrictProfile, year: int | None
) -> list[TeamMemberBase]:
    """Every person checked: the year, the street and community of the level, one row each."""
    table = read_rows(path)
    seen: dict[tuple[object, object], int] = {}
    number = row_numbers(table, TEAM)
    present = present_columns(table, TEAM)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        return anchored(checked(values), present, "level")

    def checked(values: Mapping[str, object]) -> list[tuple[str, str]]:
        row = next(number)
        problems = street_problems(values, profile, community=True)
        if year is not None and values.get("year") not in (None, year):
            problems.append(("year", f"{values['year']}不是本次导入的年度（{year}）"))
        level, team = values.get("level"), values.get("team")
        street, community = values.get("street") or "", values.get("community") or ""
        if level in ("street", "community") and not street:
            problems.append(("street", f"{LEVELS[str(level)]}级人员须填写所在街道"))
        if level == "community" and not community:
            problems.append(("community", "社区级人员须填写所在社区"))
        if level in ("district", "street") and community:
            problems.append(("community", f"{LEVELS[str(level)]}级人员不填社区"))
        if team == "researcher" and level not in (None, "district"):
            problems.append(("level", "理论研究组为区级队伍，层级应为区"))
        key = (values.get("year"), values.get("person_id"))
        if key[1] is not None:
            if key in seen:
                problems.append(("person_id", f"{quoted(str(key[1]))}已在第{seen[key]}行"))
            seen.setdefault(key, row)
        return problems

    rows = parse_rows(table, TEAM, check_row=check)
    defaults = {"street": "", "community": "", "unit": "", "background": "", "dedicated": False}
    return [
        TeamMemberBase.model_validate(
            {**row.values, **{k: row.values.get(k) or v for k, v in defaults.items()}}
        )
        for row in rows
    ]


def import_team_file(path: Path, *, year: int | None = None) -> ImportSummary:
    """Validate the file whole, then upsert by (year, 编号) in one transaction."""
    return import_year_file(path, TeamMember, ("year", "person_id"), validate_team, year)
