"""Import award nominations and judges' scores (spec "nominations", "scores"; R11.2).

The columns come from the generic import machinery (`tasks/importing/columns.py`); the
evidence-metric columns of nominations and the rubric columns of scores are named in the profile,
so the kinds are built from the awards policy in force (the kinds registered in
`tasks/importing/kinds.py` use the bundled defaults, for templates). A file is validated whole and
written in one transaction, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlmodel import select

from models.awards import CATEGORIES, AwardScore, AwardScoreBase, Nomination, NominationBase
from models.db import session_scope
from models.judging import Judge, JudgeAssignment
from models.profile.schema import AwardsPolicy, DistrictProfile
from tasks.common.district import active_profile
from tasks.importing.cells import (
    parse_decimal,
    parse_optional_year,
    parse_score,
    parse_text,
    parse_yes_no,
)
from tasks.importing.columns import CellError, Column, Kind, parse_rows, show_cell, unknown_name
from tasks.importing.fields import YEAR_COLUMN, other_year
from tasks.importing.reading import ImportRejected, read_rows
from tasks.importing.store import ImportSummary, import_year_file, upsert_records

_CODES = {zh: code for code, zh in CATEGORIES.items()}


def parse_category(text: str) -> str:
    """A category by its Chinese name (学习型小区, …) or its code (residential_area, …)."""
    if text in CATEGORIES:
        return text
    if text in _CODES:
        return _CODES[text]
    if text.casefold() in CATEGORIES:
        return text.casefold()
    names = "、".join(CATEGORIES.values())
    raise CellError(f"{show_cell(text)}不是评选类别（可填：{names}）")


def parse_metric(text: str) -> float:
    """A number ≥ 0; an empty cell is 0."""
    if not text:
        return 0.0
    number = parse_decimal(text)
    if number < 0:
        raise CellError(f"{text}是负数，应为0或以上")
    return float(number)


def nominations_kind(policy: AwardsPolicy) -> Kind:
    metrics = tuple(
        Column(
            code, zh, parse_metric, "数字 ≥ 0", notes="证明材料数据，可留空（记 0）", example="24"
        )
        for code, zh in policy.metrics.items()
    )
    return Kind(
        name="nominations",
        title_zh="评选提名",
        columns=(
            YEAR_COLUMN,
            Column(
                "category",
                "类别",
                parse_category,
                "类别名称或代码",
                required=True,
                example="学习型小区",
                choices=tuple(CATEGORIES.values()),
            ),
            Column(
                "ref",
                "编号",
                parse_text,
                "文本",
                required=True,
                notes="同一年度内唯一；再次导入时按年度+编号更新",
                example="XQ-001",
                text_format=True,
            ),
            Column("name", "名称", parse_text, "文本", required=True, example="香烟桥小区"),
            Column("street", "街道", parse_text, "本区街道", required=True, example="嘉兴路街道"),
            Column("community", "社区", parse_text, "该街道的社区", example="香烟桥居委"),
            Column("nominated_by", "推荐单位", parse_text, "文本", example="嘉兴路街道办事处"),
            Column(
                "last_award_year",
                "上次获评年度",
                parse_optional_year,
                "年份，可留空",
                notes="曾获同类表彰的年度",
            ),
            Column("new_merit", "新增事迹", parse_yes_no, "是/否", notes="上次获评后有新增事迹"),
            *metrics,
        ),
    )


def scores_kind(policy: AwardsPolicy) -> Kind:
    labels = policy.criteria_labels
    criteria = tuple(
        Column(
            code,
            labels.get(code, code),
            parse_score,
            "0-100",
            required=True,
            notes=f"权重 {weight:g}",
            example="85",
        )
        for code, weight in policy.criteria.items()
    )
    return Kind(
        name="scores",
        title_zh="评委评分",
        columns=(
            YEAR_COLUMN,
            Column("ref", "编号", parse_text, "提名编号", required=True, text_format=True),
            Column("judge", "评委", parse_text, "配置中的评委", required=True, example="评委甲"),
            *criteria,
        ),
    )


def validate_nominations(
    path: Path, *, profile: DistrictProfile, year: int | None
) -> list[NominationBase]:
    table = read_rows(path)
    policy = profile.awards
    streets = {s.name: set(s.communities) for s in profile.streets}
    seen: set[tuple[object, object]] = set()

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        problems = other_year(values, year)
        street = values.get("street")
        if isinstance(street, str):
            if street not in streets:
                problems.append(("street", unknown_name("区情配置中的街道", street, set(streets))))
            else:
                community = values.get("community")
                if isinstance(community, str) and community and community not in streets[street]:
                    message = unknown_name(f"{street}的社区", community, streets[street])
                    problems.append(("community", message))
        last, nominated = values.get("last_award_year"), values.get("year")
        if isinstance(last, int) and isinstance(nominated, int) and last > nominated:
            problems.append(("last_award_year", f"{last}年晚于提名年度{nominated}年"))
        key = (values.get("year"), values.get("ref"))
        if key[1] is not None:
            if key in seen:
                message = f"{show_cell(str(key[1]))}在{key[0]}年度已出现在前面的行中"
                problems.append(("ref", message))
            seen.add(key)
        return problems

    rows = parse_rows(table, nominations_kind(policy), check_row=check)
    return [
        NominationBase.model_validate(
            {
                **{k: v for k, v in row.values.items() if k not in policy.metrics},
                "metrics": {m: row.values.get(m, 0.0) for m in policy.metrics},
            }
        )
        for row in rows
    ]


def validate_scores(
    path: Path,
    *,
    profile: DistrictProfile,
    year: int | None,
    known: set[tuple[int, str]],
    imported: frozenset[str] = frozenset(),
    declared: frozenset[tuple[int, str, str]] = frozenset(),
) -> list[AwardScoreBase]:
    """Every score row checked; IMPORTED are the names of imported judges, DECLARED the
    (year, ref, judge name) of conflicts judges declared (their scores are not taken)."""
    table = read_rows(path)
    policy = profile.awards
    judges = {j.name for j in policy.judges} | set(imported)
    seen: set[tuple[object, object, object]] = set()

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        problems = other_year(values, year)
        judge = values.get("judge")
        if isinstance(judge, str) and judge not in judges:
            problems.append(("judge", unknown_name("区情配置中的评委", judge, judges)))
        ref, y = values.get("ref"), values.get("year")
        if isinstance(ref, str) and isinstance(y, int) and (y, ref) not in known:
            problems.append(("ref", f"{y}年度没有提名{show_cell(ref)}，请先导入提名"))
        key = (y, ref, judge)
        if key in declared:
            problems.append(("judge", f"{judge}已申报与{ref}回避，其评分不计入"))
        if key in seen:
            problems.append(("judge", f"{judge}在本文件中已为{ref}评过分"))
        seen.add(key)
        return problems

    rows = parse_rows(table, scores_kind(policy), check_row=check)
    return [
        AwardScoreBase.model_validate(
            {
                "year": row.values["year"],
                "ref": row.values["ref"],
                "judge": row.values["judge"],
                "criteria": {c: row.values[c] for c in policy.criteria},
            }
        )
        for row in rows
    ]


def import_nominations_file(path: Path, *, year: int | None = None) -> ImportSummary:
    """Validate a nominations file whole, then upsert by (year, ref) in one transaction."""
    return import_year_file(path, Nomination, ("year", "ref"), validate_nominations, year)


def import_scores_file(path: Path, *, year: int | None = None) -> ImportSummary:
    """Validate a scores file whole (judges and nominations must exist), then upsert."""
    path = Path(path)
    with session_scope() as session:
        profile = active_profile(session)
        known = {(n.year, n.ref) for n in session.exec(select(Nomination)).all()}
        names = dict(session.exec(select(Judge.code, Judge.name)).all())
        declared = frozenset(
            (a.year, a.ref, names.get(a.judge, a.judge))
            for a in session.exec(
                select(JudgeAssignment).where(
                    JudgeAssignment.process == "awards", JudgeAssignment.status == "conflict"
                )
            ).all()
        )
        scores = validate_scores(
            path,
            profile=profile,
            year=year,
            known=known,
            imported=frozenset(
                session.exec(select(Judge.name).where(Judge.role == "awards")).all()
            ),
            declared=declared,
        )
        if not scores:
            raise ImportRejected(path, ["文件中没有评分行"])
        return upsert_records(session, AwardScore, scores, key=("year", "ref", "judge"), path=path)
