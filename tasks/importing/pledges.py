"""Import community units' pledges (R7.6): kind `pledges`, one row per pledge.

A unit offers ideas (出谋), money (出钱) or effort (出力: volunteer hours, a venue lent). A file
is validated whole — the year, the street, what each form needs (content, an amount, hours or a
venue), one name per unit code, no change to a pledge the office already confirmed — and then
upserted by (year, 编号) in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from models.profile.schema import DistrictProfile
from models.units import PLEDGE_KINDS, UNIT_KINDS, Pledge, PledgeBase
from tasks.importing.cells import parse_text
from tasks.importing.columns import CellError, Column, Kind, parse_rows
from tasks.importing.fields import (
    YEAR_COLUMN,
    anchored,
    choice,
    parse_code,
    parse_date,
    parse_optional_count,
    present_columns,
    quoted,
    ref_column,
    row_numbers,
    unknown_zh,
)
from tasks.importing.reading import read_rows
from tasks.importing.store import ImportSummary, import_records

MAX_AMOUNT = 100_000_000  # yuan: a larger pledge is a typo
MAX_HOURS = 100_000


def parse_pledge_kind(text: str) -> str:
    words = {label: code for code, label in PLEDGE_KINDS.items()}
    return choice(words, text, "形式", tuple(PLEDGE_KINDS.values()))


def parse_unit_kind(text: str) -> str:
    if text not in UNIT_KINDS:
        raise CellError(f"{quoted(text)}不是单位类别（可填：{'、'.join(UNIT_KINDS)}）")
    return text


def parse_amount(text: str) -> int:
    value = parse_optional_count(text)
    if value > MAX_AMOUNT:
        raise CellError(f"{value:,}元超过{MAX_AMOUNT:,}元，请核对")
    return value


def parse_hours(text: str) -> int:
    value = parse_optional_count(text)
    if value > MAX_HOURS:
        raise CellError(f"{value:,}小时超过{MAX_HOURS:,}小时，请核对")
    return value


PLEDGES = Kind(
    name="pledges",
    title_zh="社区单位支持承诺",
    columns=(
        YEAR_COLUMN,
        ref_column("ref", notes="同一年度内每项承诺唯一；再次导入时按编号更新", example="P0001"),
        Column(
            "unit_code",
            "单位代码",
            parse_code,
            "字母、数字",
            required=True,
            notes="本区给单位的代码，同一单位各项承诺相同",
            example="U001",
            text_format=True,
        ),
        Column("unit", "单位名称", parse_text, "文本", required=True, example="示例科技有限公司"),
        Column(
            "unit_kind",
            "单位类别",
            parse_unit_kind,
            "/".join(UNIT_KINDS),
            required=True,
            example="企业",
            choices=UNIT_KINDS,
        ),
        Column(
            "street", "街道", parse_text, "区情配置中的街道", required=True, example="嘉兴路街道"
        ),
        Column(
            "kind",
            "形式",
            parse_pledge_kind,
            "出谋/出钱/出力",
            required=True,
            notes="出谋填内容；出钱填金额；出力填服务时长或出借场地",
            example="出力",
            choices=tuple(PLEDGE_KINDS.values()),
        ),
        Column(
            "content",
            "内容",
            parse_text,
            "文本",
            notes="出谋必填",
            example="每月派员到社区学校开设理财讲座",
            max_chars=500,
        ),
        Column(
            "amount", "出资金额", parse_amount, "整数（元）", notes="出钱必填，单位为元", example=""
        ),
        Column(
            "hours",
            "服务时长",
            parse_hours,
            "整数（小时）",
            notes="出力时填写，单位为小时",
            example="40",
        ),
        Column(
            "venue", "出借场地", parse_text, "文本", notes="出力时填写", example="", max_chars=100
        ),
        Column(
            "venue_capacity",
            "场地容纳人数",
            parse_optional_count,
            "整数 ≥ 0",
            notes="填写出借场地时必填",
            example="",
        ),
        Column("pledged_on", "承诺日期", parse_date, "日期", required=True, example="2026-03-15"),
    ),
)


def _form_problems(values: Mapping[str, object]) -> list[tuple[str, str]]:
    """What each form of contribution needs, and what it must leave empty."""
    kind = values.get("kind")
    amount, hours = values.get("amount") or 0, values.get("hours") or 0
    venue, capacity = values.get("venue") or "", values.get("venue_capacity") or 0
    problems: list[tuple[str, str]] = []
    if kind == "idea" and not values.get("content"):
        problems.append(("content", "出谋须填写内容"))
    if kind == "money" and not amount:
        problems.append(("amount", "出钱须填写金额"))
    if kind != "money" and amount:
        problems.append(("amount", "只有出钱填写金额"))
    if kind == "effort" and not hours and not venue:
        problems.append(("hours", "出力须填写服务时长或出借场地"))
    if kind != "effort" and (hours or venue):
        problems.append(("hours" if hours else "venue", "只有出力填写服务时长和出借场地"))
    if venue and not capacity:
        problems.append(("venue_capacity", "填写了出借场地，须填写容纳人数"))
    if capacity and not venue:
        problems.append(("venue", "填写了容纳人数，须填写出借场地"))
    return problems


def validate_pledges(
    path: Path,
    *,
    profile: DistrictProfile,
    year: int | None,
    confirmed: Mapping[tuple[int, str], PledgeBase],
) -> list[PledgeBase]:
    """Every pledge checked; a confirmed pledge may be imported again only unchanged."""
    table = read_rows(path)
    streets = set(profile.street_names)
    refs: dict[tuple[object, object], int] = {}
    units: dict[str, tuple[int, str]] = {}
    number = row_numbers(table, PLEDGES)
    present = present_columns(table, PLEDGES)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        return anchored(checked(values), present, "kind")

    def checked(values: Mapping[str, object]) -> list[tuple[str, str]]:
        row = next(number)
        problems = _form_problems(values)
        if year is not None and values.get("year") not in (None, year):
            problems.append(("year", f"{values['year']}不是本次导入的年度（{year}）"))
        street = values.get("street")
        if isinstance(street, str) and street not in streets:
            problems.append(("street", unknown_zh("区情配置中的街道", street, streets)))
        pledged = values.get("pledged_on")
        given = values.get("year")
        if isinstance(pledged, date) and isinstance(given, int) and pledged.year != given:
            problems.append(("pledged_on", f"承诺日期不在{given}年内"))
        code, unit = values.get("unit_code"), values.get("unit")
        if isinstance(code, str) and isinstance(unit, str):
            first = units.setdefault(code, (row, unit))
            if first[1] != unit:
                problems.append(("unit", f"单位代码{code}在第{first[0]}行是{quoted(first[1])}"))
        key = (values.get("year"), values.get("ref"))
        if key[1] is not None:
            if key in refs:
                problems.append(("ref", f"{quoted(str(key[1]))}已在第{refs[key]}行"))
            refs.setdefault(key, row)
            stored = confirmed.get((int(str(key[0])), str(key[1]))) if key[0] else None
            if stored is not None and not problems:
                incoming = PledgeBase.model_validate(_complete(values))
                if incoming != stored:
                    problems.append(("ref", f"{quoted(str(key[1]))}已经确认，不能再修改"))
        return problems

    rows = parse_rows(table, PLEDGES, check_row=check)
    return [PledgeBase.model_validate(_complete(row.values)) for row in rows]


def _complete(values: Mapping[str, object]) -> dict[str, object]:
    defaults: dict[str, object] = {
        "content": "",
        "amount": 0,
        "hours": 0,
        "venue": "",
        "venue_capacity": 0,
    }
    return {**values, **{k: values.get(k) or v for k, v in defaults.items()}}


def _confirmed(session: Session) -> dict[tuple[int, str], PledgeBase]:
    rows = session.exec(select(Pledge).where(Pledge.status == "confirmed")).all()
    return {(p.year, p.ref): PledgeBase.model_validate(p.model_dump()) for p in rows}


def import_pledges_file(path: Path, *, year: int | None = None) -> ImportSummary:
    """Validate the file whole, then upsert by (year, 编号) in one transaction."""
    return import_records(
        path,
        Pledge,
        key=("year", "ref"),
        validate=lambda session, profile: validate_pledges(
            Path(path), profile=profile, year=year, confirmed=_confirmed(session)
        ),
    )
