"""Import the street community schools (R8.3): kind `community_schools`, one row per street.

A file is validated whole — a street of the profile, hosted by a primary school of that street,
the standard reached after the opening, each street and name once — and upserted by street in
one transaction, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from models.network import CommunitySchool, CommunitySchoolBase
from models.profile.playgrounds import is_primary
from models.profile.schema import DistrictProfile
from tasks.importing.cells import parse_text
from tasks.importing.columns import Column, Kind, parse_rows
from tasks.importing.fields import (
    name_column,
    parse_date,
    parse_optional_date,
    quoted,
    row_numbers,
    unknown_zh,
)
from tasks.importing.network import street_problems
from tasks.importing.reading import read_rows
from tasks.importing.store import ImportSummary, import_records

COMMUNITY_SCHOOLS = Kind(
    name="community_schools",
    title_zh="街道社区学校",
    columns=(
        Column(
            "street", "街道", parse_text, "区情配置中的街道", required=True, example="嘉兴路街道"
        ),
        name_column("名称", example="嘉兴路街道社区学校", max_chars=100),
        Column(
            "host_school",
            "承办学校",
            parse_text,
            "该街道的小学",
            required=True,
            notes="依托街道内的一所小学设立",
            example="人民路第一小学",
        ),
        Column("opened_on", "开办日期", parse_date, "日期", required=True, example="2026-09-01"),
        Column(
            "standard_on",
            "达标日期",
            parse_optional_date,
            "日期",
            notes="达到区标准化社区学校的日期；未达标留空",
            example="",
        ),
    ),
)


def validate_community_schools(
    path: Path, *, profile: DistrictProfile
) -> list[CommunitySchoolBase]:
    """One school per street, hosted by a primary school of that street, dates in order."""
    table = read_rows(path)
    hosts = profile.school_streets
    streets: dict[object, int] = {}
    names: dict[object, int] = {}
    number = row_numbers(table, COMMUNITY_SCHOOLS)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        row = next(number)
        problems = street_problems(values, profile)
        street, host = values.get("street"), values.get("host_school")
        if isinstance(host, str):
            if host not in hosts:
                problems.append(("host_school", unknown_zh("区情配置中的学校", host, set(hosts))))
            elif street is not None and hosts[host] != street:
                problems.append(("host_school", f"{quoted(host)}在{hosts[host]}，不在{street}"))
            elif not is_primary(host):
                problems.append(
                    ("host_school", f"{quoted(host)}不是小学；街道社区学校依托小学设立")
                )
        opened, standard = values.get("opened_on"), values.get("standard_on")
        if isinstance(opened, date) and isinstance(standard, date) and standard < opened:
            problems.append(("standard_on", "达标日期早于开办日期"))
        for key, seen in (("street", streets), ("name", names)):
            value = values.get(key)
            if value is not None:
                if value in seen:
                    problems.append((key, f"{quoted(str(value))}已在第{seen[value]}行"))
                seen.setdefault(value, row)
        return problems

    rows = parse_rows(table, COMMUNITY_SCHOOLS, check_row=check)
    return [
        CommunitySchoolBase.model_validate(
            {**row.values, "standard_on": row.values.get("standard_on")}
        )
        for row in rows
    ]


def import_community_schools_file(path: Path) -> ImportSummary:
    """Validate the file whole, then upsert by street in one transaction."""
    return import_records(
        path,
        CommunitySchool,
        key=("street",),
        validate=lambda _, profile: validate_community_schools(Path(path), profile=profile),
    )
