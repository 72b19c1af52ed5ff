"""Import the State Council's holiday notice: import kind `holidays` (日期, 类型, 名称).

One row per day or range of days: `2027-02-05至2027-02-13, 放假, 春节` or
`2027-02-20, 上班, 春节`. A file is validated whole (dates, types, each day once, a make-up
working day on a weekend, every year with a day off) and then replaces every stored day of the
years it covers, in one transaction; nothing is written when anything is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, delete, select

from models.db import session_scope
from models.holidays import HolidayEntry
from models.profile.holidays import (
    DAY_OFF,
    DAY_WORKED,
    NoticeEntry,
    notice_problems,
    parse_days,
    parse_kind,
)
from tasks.common.holidays import work_calendar
from tasks.importing.columns import CellError, Column, Kind, parse_rows, place
from tasks.importing.fields import name_column
from tasks.importing.reading import ImportRejected, read_rows


def parse_day_range(text: str) -> tuple[date, date]:
    """A date or a range of dates (2027-02-05至2027-02-13)."""
    try:
        return parse_days(text)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def parse_day_kind(text: str) -> str:
    """放假 or 上班."""
    try:
        return parse_kind(text)
    except ValueError as exc:
        raise CellError(str(exc)) from None


HOLIDAYS = Kind(
    name="holidays",
    title_zh="节假日安排",
    columns=(
        Column(
            "date",
            "日期",
            parse_day_range,
            "日期或日期范围",
            required=True,
            notes="一天写2027-02-20；连续几天写2027-02-05至2027-02-13；按国务院办公厅通知逐项填写",
            example="2027-02-05至2027-02-13",
            text_format=True,
        ),
        Column(
            "type",
            "类型",
            parse_day_kind,
            f"{DAY_OFF}/{DAY_WORKED}",
            required=True,
            notes=f"{DAY_OFF}：放假调休的日子；{DAY_WORKED}：调休上班的周六、周日",
            example=DAY_OFF,
            choices=(DAY_OFF, DAY_WORKED),
        ),
        name_column(
            "名称",
            notes="节日名称，如 元旦、春节、清明节、劳动节、端午节、中秋节、国庆节",
            example="春节",
        ),
    ),
)


class HolidayImport(BaseModel):
    """What an import entered: per year, the days off on weekdays and the make-up days."""

    model_config = ConfigDict(frozen=True)

    path: Path
    rows: int
    years: dict[int, tuple[int, int]]  # year -> (weekdays off, make-up working days)
    replaced: list[int]  # years that had imported days before
    warnings: list[str]  # where the library knows a year and disagrees


def _notice_year(first: date, last: date, years_in_file: set[int]) -> int:
    """The year a row belongs to: its last day's, or next year's for 元旦 days at year end."""
    if first.year == last.year and (first.month, first.day) >= (12, 25):
        if first.year + 1 in years_in_file:
            return first.year + 1
    return last.year


def validate_holidays(path: Path, *, year: int | None = None) -> dict[int, list[NoticeEntry]]:
    """Every row of the file as notice lines by year; ImportRejected naming each problem."""
    table = read_rows(path)
    rows = parse_rows(table, HOLIDAYS)
    spans: list[tuple[int, tuple[date, date], Mapping[str, object]]] = []
    for row in rows:
        days = row.values["date"]
        assert isinstance(days, tuple)
        spans.append((row.number, days, row.values))
    last_years = {days[1].year for _, days, _ in spans}
    by_year: dict[int, list[tuple[int, NoticeEntry]]] = {}
    problems: list[str] = []
    for number, (first, last), values in spans:
        belongs = year if year is not None else _notice_year(first, last, last_years)
        entry = NoticeEntry.model_validate(
            {"日期": (first, last), "类型": values["type"], "名称": values["name"]}
        )
        by_year.setdefault(belongs, []).append((number, entry))
    for belongs, numbered in sorted(by_year.items()):
        entries = [entry for _, entry in numbered]
        for index, problem in notice_problems(belongs, entries):
            where = f"{place(numbered[index][0], '日期')}：" if index is not None else ""
            problems.append(f"{where}{problem}")
    if problems:
        raise ImportRejected(path, problems)
    return {y: [entry for _, entry in numbered] for y, numbered in sorted(by_year.items())}


def store_notices(
    session: Session, *, notices: Mapping[int, list[NoticeEntry]], source: str
) -> list[int]:
    """Replace the stored days of each year with its notice; return the years replaced."""
    years = sorted(notices)
    replaced = sorted(
        set(session.exec(select(HolidayEntry.year).where(col(HolidayEntry.year).in_(years))).all())
    )
    session.exec(delete(HolidayEntry).where(col(HolidayEntry.year).in_(years)))
    session.flush()
    for year in years:
        for entry in notices[year]:
            for day in entry.each_day():
                session.add(
                    HolidayEntry(
                        year=year, day=day, off=entry.kind == "off", name=entry.name, source=source
                    )
                )
    return replaced


def counts(entries: list[NoticeEntry]) -> tuple[int, int]:
    """(weekdays off, make-up working days) of one year's notice."""
    days = [(day, e.kind) for e in entries for day in e.each_day()]
    off = sum(1 for day, kind in days if kind == "off" and day.weekday() < 5)
    return off, sum(1 for _, kind in days if kind == "on")


def import_holidays_file(path: Path, *, year: int | None = None) -> HolidayImport:
    """Validate the file whole, then replace the stored days of its years in one transaction."""
    path = Path(path)
    notices = validate_holidays(path, year=year)
    with session_scope() as session:
        replaced = store_notices(session, notices=notices, source=path.name)
        session.flush()
        calendar = work_calendar(session)
    return HolidayImport(
        path=path,
        rows=sum(len(entries) for entries in notices.values()),
        years={y: counts(entries) for y, entries in notices.items()},
        replaced=replaced,
        warnings=[w for y in notices for w in calendar.warnings(y)],
    )
