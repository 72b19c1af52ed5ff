"""Import award judges and idea reviewers: import kind `judges`.

Headers 编号, 姓名, 单位, 街道, 类别/角色 (评委: learning awards; 评审: golden ideas), 手机.
A judge's unit and street are the conflicts every assignment keeps them from (R11.2, R7.3).
A file is validated whole (streets from the profile, one row per 编号, one judge per name, since
score rows name their judge) and upserted by 编号 in one transaction, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlmodel import Session, col, select

from models.judging import ROLES, Judge, JudgeBase
from models.profile.schema import DistrictProfile
from tasks.importing.cells import parse_phone, parse_text
from tasks.importing.columns import CellError, Column, Kind, parse_rows, show_cell, unknown_name
from tasks.importing.reading import ImportRejected, read_rows
from tasks.importing.store import ImportSummary, import_records

_CODES = {zh: code for code, zh in ROLES.items()} | {
    "学习型组织评委": "awards",
    "金点子评审": "ideas",
}


def parse_role(text: str) -> str:
    """评委 (learning awards) / 评审 (golden ideas), or awards / ideas."""
    if text in _CODES:
        return _CODES[text]
    if text.casefold() in ROLES:
        return text.casefold()
    raise CellError(f"{show_cell(text)}不是“评委”或“评审”")


JUDGES = Kind(
    name="judges",
    title_zh="评委和评审",
    columns=(
        Column(
            "code",
            "编号",
            parse_text,
            "文本",
            required=True,
            unique=True,
            notes="每人唯一；再次导入时按编号更新",
            example="PW001",
            text_format=True,
            max_chars=50,
        ),
        Column("name", "姓名", parse_text, "文本", required=True, example="李明", max_chars=50),
        Column(
            "unit",
            "单位",
            parse_text,
            "文本",
            notes="本人单位；不评本单位的提名",
            example="区文明办",
            max_chars=100,
        ),
        Column(
            "street",
            "街道",
            parse_text,
            "区情配置中的街道",
            notes="本人所在街道；不评本街道的提名",
            example="嘉兴路街道",
        ),
        Column(
            "role",
            "类别/角色",
            parse_role,
            "评委/评审",
            required=True,
            notes="评委：学习型组织评选；评审：金点子评审",
            example="评委",
            choices=tuple(ROLES.values()),
        ),
        Column(
            "phone",
            "手机",
            parse_phone,
            "11位手机号",
            notes="接收评分链接和提醒",
            example="13800138000",
            text_format=True,
        ),
    ),
)


def validate_judges(
    path: Path, *, profile: DistrictProfile, taken: Mapping[str, str]
) -> list[JudgeBase]:
    """Every row checked; TAKEN maps names already stored to their 编号 (names stay unique)."""
    table = read_rows(path)
    streets = set(profile.street_names)
    names: dict[str, object] = {}

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        street = values.get("street")
        if isinstance(street, str) and street and street not in streets:
            problems.append(("street", unknown_name("区情配置中的街道", street, streets)))
        name, code = values.get("name"), values.get("code")
        if isinstance(name, str) and code is not None:
            other = names.get(name, taken.get(name, code))
            if other != code:
                problems.append(
                    (
                        "name",
                        f"{show_cell(name)}已是编号为{other}的评委，评分按姓名记录，姓名不能重复",
                    )
                )
            names.setdefault(name, code)
        return problems

    rows = parse_rows(table, JUDGES, check_row=check)
    if not rows:
        raise ImportRejected(path, ["文件中没有评委行"])
    return [
        JudgeBase.model_validate(
            {
                **row.values,
                "unit": row.values.get("unit") or "",
                "street": row.values.get("street") or "",
                "phone": row.values.get("phone") or "",
            }
        )
        for row in rows
    ]


def import_judges_file(path: Path) -> ImportSummary:
    """Validate the file whole, then upsert by 编号 in one transaction."""

    def validate(session: Session, profile: DistrictProfile) -> list[JudgeBase]:
        stored = session.exec(select(Judge.name, Judge.code).order_by(col(Judge.code))).all()
        return validate_judges(Path(path), profile=profile, taken=dict(stored))

    return import_records(path, Judge, key=("code",), validate=validate)
