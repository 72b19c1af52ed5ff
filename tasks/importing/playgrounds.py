"""Import the open playgrounds' hours (R8.2): kind `playgrounds`, one row per school and season.

A file is validated whole: primary schools of the profile, the profile's seasons, a morning
span (between 05:00 and 09:00) and an evening span (between 16:00 and 22:00), every season of
each school the file names. It then replaces the hours of those schools, in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from pathlib import Path

from sqlmodel import Session, col, delete, select

from models.db import session_scope
from models.playgrounds import PlaygroundHours, PlaygroundHoursBase
from models.profile.playgrounds import is_primary
from models.profile.schema import DistrictProfile
from tasks.common.district import active_profile
from tasks.importing.cells import parse_text
from tasks.importing.columns import Column, Kind, parse_rows, place
from tasks.importing.fields import parse_time_span, quoted, row_numbers, unknown_zh
from tasks.importing.reading import ImportRejected, read_rows
from tasks.importing.store import ImportSummary

MORNING = (time(5, 0), time(9, 0))
EVENING = (time(16, 0), time(22, 0))

PLAYGROUNDS = Kind(
    name="playgrounds",
    title_zh="操场开放时间",
    columns=(
        Column(
            "school",
            "学校",
            parse_text,
            "区情配置中的小学",
            required=True,
            example="人民路第一小学",
        ),
        Column(
            "season",
            "季节",
            parse_text,
            "区情配置中的季节",
            required=True,
            notes="每所学校每个季节一行（默认为夏季、冬季）",
            example="夏季",
            choices=("夏季", "冬季"),
        ),
        Column(
            "morning",
            "早间开放",
            parse_time_span,
            "时间段",
            required=True,
            notes="在05:00至09:00之间",
            example="06:00-07:30",
            text_format=True,
        ),
        Column(
            "evening",
            "晚间开放",
            parse_time_span,
            "时间段",
            required=True,
            notes="在16:00至22:00之间",
            example="18:00-20:30",
            text_format=True,
        ),
        Column(
            "facilities",
            "开放设施",
            parse_text,
            "文本",
            notes="如 操场、篮球场、乒乓球台",
            example="操场、篮球场",
            max_chars=100,
        ),
    ),
)


def _span_problem(span: object, bounds: tuple[time, time], label: str) -> str:
    if not isinstance(span, tuple):
        return ""
    first, last = span
    if first < bounds[0] or last > bounds[1]:
        return f"{label}应在{bounds[0]:%H:%M}至{bounds[1]:%H:%M}之间"
    return ""


def validate_playgrounds(path: Path, *, profile: DistrictProfile) -> list[PlaygroundHoursBase]:
    """Every row checked; each school named gives every season exactly once."""
    table = read_rows(path)
    streets = profile.school_streets
    seasons = [s.name for s in profile.playgrounds.seasons]
    seen: dict[tuple[object, object], int] = {}
    first_row: dict[str, int] = {}
    number = row_numbers(table, PLAYGROUNDS)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        row = next(number)
        problems: list[tuple[str, str]] = []
        school, season = values.get("school"), values.get("season")
        if isinstance(school, str):
            if school not in streets:
                problems.append(("school", unknown_zh("区情配置中的学校", school, set(streets))))
            elif not is_primary(school):
                problems.append(("school", f"{quoted(school)}不是小学；向居民开放的是小学操场"))
            first_row.setdefault(school, row)
        if isinstance(season, str) and season not in seasons:
            problems.append(("season", unknown_zh("区情配置中的季节", season, seasons)))
        for key, bounds, label in (("morning", MORNING, "早间"), ("evening", EVENING, "晚间")):
            problem = _span_problem(values.get(key), bounds, label)
            if problem:
                problems.append((key, problem))
        if school is not None and season is not None:
            if (school, season) in seen:
                where = seen[school, season]
                problems.append(("season", f"{quoted(str(school))}的{season}已在第{where}行"))
            seen.setdefault((school, season), row)
        return problems

    rows = parse_rows(table, PLAYGROUNDS, check_row=check)
    missing = [
        f"{place(first_row[school], '季节')}：{quoted(school)}缺少{season}的开放时间"
        for school in first_row
        for season in seasons
        if (school, season) not in seen
    ]
    if missing:
        raise ImportRejected(path, missing)
    hours = []
    for row in rows:
        values = row.values
        morning, evening = values["morning"], values["evening"]
        assert isinstance(morning, tuple) and isinstance(evening, tuple)
        hours.append(
            PlaygroundHoursBase(
                school=str(values["school"]),
                street=streets[str(values["school"])],
                season=str(values["season"]),
                morning_open=morning[0],
                morning_close=morning[1],
                evening_open=evening[0],
                evening_close=evening[1],
                facilities=str(values.get("facilities") or ""),
            )
        )
    return hours


def store_hours(session: Session, hours: list[PlaygroundHoursBase], *, path: Path) -> ImportSummary:
    """Replace the hours of every school in HOURS; count what changed (the caller commits)."""
    schools = sorted({h.school for h in hours})
    before = {
        (h.school, h.season): PlaygroundHoursBase.model_validate(h.model_dump())
        for h in session.exec(
            select(PlaygroundHours).where(col(PlaygroundHours.school).in_(schools))
        ).all()
    }
    session.exec(delete(PlaygroundHours).where(col(PlaygroundHours.school).in_(schools)))
    session.flush()
    inserted = updated = unchanged = 0
    for entry in hours:
        session.add(PlaygroundHours(**entry.model_dump()))
        old = before.get((entry.school, entry.season))
        inserted += old is None
        updated += old is not None and old != entry
        unchanged += old == entry
    return ImportSummary(
        path=path,
        rows=len(hours),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        encoding="",
    )


def import_playgrounds_file(path: Path) -> ImportSummary:
    """Validate the file whole, then replace the hours of its schools in one transaction."""
    path = Path(path)
    with session_scope() as session:
        hours = validate_playgrounds(path, profile=active_profile(session))
        return store_hours(session, hours, path=path)
