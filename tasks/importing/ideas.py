"""Import kinds of the golden-idea campaign: `ideas` (docs/spec.md) and `idea-scores` (R7.3).

A bad file is rejected whole (`row N, column C: problem`), nothing written. `import ideas`
returns once the imported ideas are screened: they are screened here, in batches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from models.db import session_scope
from models.profile.ideas import IdeasPolicy
from models.timeutil import utcnow
from tasks.common import clock
from tasks.common.district import active_profile
from tasks.ideas import intake, records
from tasks.ideas.screening import category_choices, choice_of
from tasks.importing.cells import parse_phone, parse_text
from tasks.importing.columns import CellError, Column, Kind, parse_rows, place
from tasks.importing.reading import ImportRejected, read_rows

_DATETIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_submitted_at(text: str) -> datetime | None:
    """ISO date-time or `YYYY-MM-DD HH:MM` (naive: district time, see `_in_district`); empty =
    now."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        match = _DATETIME.fullmatch(text)
        if match is None:
            raise CellError(f"“{text}”不是日期时间，应写作2026-09-05 14:30") from None
        parts = [int(p) if p else 0 for p in match.groups()]
        try:
            moment = datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        except ValueError:
            raise CellError(f"“{text}”不是有效的日期时间") from None
    if not 2000 <= moment.year <= 2100:
        raise CellError(f"“{text}”不在2000年至2100年之间")
    return moment


def _in_district(values: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    """The row with a submission time without offset read as the district's wall clock."""
    moment = values.get("submitted_at")
    if isinstance(moment, datetime) and moment.tzinfo is None:
        return {**values, "submitted_at": moment.replace(tzinfo=zone)}
    return dict(values)


@dataclass(frozen=True)
class CategoryCell:
    """The 类别 cell: a category of the profile by its Chinese name or its code; empty = none
    chosen (screening's keyword rules decide). Equal for equal choices, as a kind's columns
    are compared."""

    choices: tuple[tuple[str, str], ...]  # (code, Chinese name)

    def __call__(self, text: str) -> str:
        code = choice_of(text, self.choices)
        if code is None:
            names = "、".join(label for _, label in self.choices)
            raise CellError(f"“{text}”不是金点子的类别，应为{names}之一，或留空")
        return code


def category_parser(policy: IdeasPolicy) -> CategoryCell:
    return CategoryCell(tuple(category_choices(policy)))


def ideas_kind(policy: IdeasPolicy) -> Kind:
    """The `ideas` columns of docs/spec.md, with the length bounds of the policy."""
    return Kind(
        name="ideas",
        title_zh="金点子",
        columns=(
            Column(
                "ref",
                "编号",
                parse_text,
                "文本",
                unique=True,
                notes="纸质表格上的编号；留空自动生成；同一年度内唯一",
                example="JX-0001",
                text_format=True,
            ),
            Column("submitter", "提交人", parse_text, "文本", required=True, example="王芳"),
            Column(
                "phone",
                "手机",
                parse_phone,
                "11 位手机号",
                required=True,
                notes="个人信息，系统中只显示掩码",
                example="13800138000",
                text_format=True,
            ),
            Column(
                "community",
                "社区",
                parse_text,
                "文本",
                required=True,
                notes="须为区情配置中的社区（居委会）",
                example="嘉兴一居委",
            ),
            Column(
                "title",
                "标题",
                parse_text,
                f"1-{policy.title_max} 字",
                required=True,
                example="社区读书会",
            ),
            Column(
                "content",
                "内容",
                parse_text,
                f"{policy.content_min}-{policy.content_max} 字",
                required=True,
                example="建议每月在社区学校举办一次读书分享会……",
            ),
            Column(
                "category",
                "类别",
                category_parser(policy),
                "文本",
                notes="选填；区情配置中的金点子类别；留空由工作人员按关键词归类",
                example=policy.category_labels.get("reading", "全民阅读"),
                choices=tuple(label for _, label in category_choices(policy)),
            ),
            Column(
                "submitted_at",
                "提交时间",
                parse_submitted_at,
                "日期时间",
                notes="如 2026-09-05 14:30；留空为导入时间",
                example="2026-09-05 14:30",
            ),
        ),
    )


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"“{text}”不是数字") from None
    if not 0 <= value <= 100:
        raise CellError(f"{text}不在0至100之间")
    return value


def idea_scores_kind(policy: IdeasPolicy) -> Kind:
    """Reviewer scores of idea representatives: one 0-100 column per criterion of the profile."""
    return Kind(
        name="idea-scores",
        title_zh="金点子评分",
        columns=(
            Column("ref", "编号", parse_text, "文本", required=True, example="2026-000001"),
            Column("reviewer", "评审", parse_text, "文本", required=True, example="专家甲"),
            *(
                Column(name, name, _score, "0-100 的数", required=True, example="80")
                for name in policy.criteria
            ),
        ),
    )


class IdeasImportSummary(BaseModel):
    path: Path
    rows: int
    inserted: int
    unchanged: int
    screened: int
    rejected: int
    encoding: str


def import_ideas_file(
    path: Path, *, year: int | None = None, now: datetime | None = None
) -> IdeasImportSummary:
    """Validate an ideas file whole, store it, then screen the new ideas in batches."""
    path = Path(path)
    now = now or utcnow()
    table = read_rows(path)
    with session_scope() as session:
        profile = active_profile(session)
        policy, zone = profile.ideas, clock.district_zone(profile)
        communities = set(records.known_communities(session))
    year = year if year is not None else clock.this_year(profile)

    def check(values: Mapping[str, object]) -> list[tuple[str, str]]:
        values = _in_district(values, zone)
        problems: list[tuple[str, str]] = []
        community = values.get("community")
        if isinstance(community, str) and community not in communities:
            problems.append(("community", f"“{community}”不是区情配置中的社区"))
        title = values.get("title")
        if isinstance(title, str) and len(title) > policy.title_max:
            problems.append(("title", f"有{len(title)}个字，最多{policy.title_max}个字"))
        submitted_at = values.get("submitted_at")
        if isinstance(submitted_at, datetime) and submitted_at > now:
            problems.append(("submitted_at", f"{submitted_at:%Y-%m-%d %H:%M}晚于现在"))
        content = values.get("content")
        if isinstance(content, str) and not (
            policy.content_min <= len(content) <= policy.content_max
        ):
            problems.append(
                (
                    "content",
                    f"有{len(content)}个字，应为{policy.content_min}至{policy.content_max}个字",
                )
            )
        return problems

    parsed = parse_rows(table, ideas_kind(policy), check_row=check)
    rows = [{**_in_district(p.values, zone), "_row": p.number} for p in parsed]
    try:
        stored = intake.store_imported(year=year, rows=rows, now=now, path=path)
    except records.SubmissionRejected as exc:  # e.g. no campaign open for the year
        raise ImportRejected(path, list(exc.problems.values())) from None
    screened = records.screen_ids(ids=stored.ids, now=now)
    with session_scope() as session:
        from models.ideas import Idea

        rejected = len(
            session.exec(select(Idea.id).where(Idea.year == year, Idea.status == "rejected")).all()
        )
    return IdeasImportSummary(
        path=path,
        rows=len(rows),
        inserted=stored.inserted,
        unchanged=stored.unchanged,
        screened=screened,
        rejected=rejected,
        encoding=table.encoding,
    )


def read_idea_scores(path: Path, *, policy: IdeasPolicy) -> list[dict[str, Any]]:
    """Parsed score rows (ref, reviewer, criterion scores); ImportRejected when anything is bad."""
    table = read_rows(Path(path))
    seen: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    parsed = parse_rows(table, idea_scores_kind(policy))
    out = []
    for row in parsed:
        key = (str(row.values["ref"]), str(row.values["reviewer"]))
        if key in seen:
            problems.append(
                f"{place(row.number, '评审')}：{key[1]}已在第{seen[key]}行为{key[0]}评过分"
            )
            continue
        seen[key] = row.number
        out.append({**row.values, "_row": row.number})
    if problems:
        raise ImportRejected(Path(path), problems)
    return out
