"""Documents of the learning awards (R11.2): the 公示 notice, the commendation and the workbook.

Read from the recorded year (one session each) and written under `<data dir>/reports/<year>/`;
writing again gives the same files, so a re-run or a retry is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from models.awards import CATEGORIES, AwardEntry, AwardRound
from models.db import session_scope
from models.profile.contacts import OfficeContact
from tasks.awards.rules import AwardsProposal
from tasks.common.district import active_profile
from tasks.common.documents import (
    WrittenFile,
    files_markdown,
    ordinal,
    plain,
    render_docx,
    year_dir,
    zh_date,
)
from tasks.common.xlsx import Column, add_table, new_workbook, save_workbook

CALIBRATION_NOTE = (
    "说明：评委宽严不一，故每位评委的打分先换算为相对于该评委本人平均水平的标准分"
    "（高于其平均为正、低于为负），再取各有效评委的平均，即“校准得分”，排名以校准得分为准；"
    "“原始均分”为各评委加权总分的简单平均，仅供参考。"
)
STATUS = {"listed": "公示中", "awarded": "表彰", "reserve": "候补", "withdrawn": "撤销"}
COLUMNS = [
    Column("排名", "int"),
    Column("编号"),
    Column("名称"),
    Column("街道"),
    Column("社区"),
    Column("原始均分", "decimal"),
    Column("校准得分", "decimal"),
    Column("有效评分", "int"),
    Column("结果"),
    Column("备注", "wrap"),
]


class AwardsYear(BaseModel):
    """What the documents of a year say, read from the record."""

    year: int
    district: str
    office: OfficeContact
    publicity: tuple[date, date]
    publicity_days: int
    final_on: date | None
    entries: list[dict[str, Any]]  # every recorded entry, in category and rank order


def _order(entry: AwardEntry) -> tuple[int, int, str]:
    return (list(CATEGORIES).index(entry.category), entry.rank or 10_000, entry.ref)


def load_year(year: int) -> AwardsYear | None:
    """The recorded year, or None before the committee approved a list."""
    with session_scope() as session:
        rnd = session.get(AwardRound, year)
        if rnd is None:
            return None
        profile = active_profile(session)
        entries = session.exec(select(AwardEntry).where(col(AwardEntry.year) == year)).all()
        period = rnd.result["publicity"]
        assert isinstance(period, list)  # [first day, last day] of the 公示
        first, end = (date.fromisoformat(str(d)) for d in period)
        final_on = rnd.result.get("final_on")
        return AwardsYear(
            year=year,
            district=profile.district,
            office=profile.contacts.awards,
            publicity=(first, end),
            publicity_days=int(rnd.parameters.get("publicity_days", 5)),  # type: ignore[call-overload]
            final_on=date.fromisoformat(str(final_on)) if final_on else None,
            entries=[e.model_dump() for e in sorted(entries, key=_order)],
        )


def _groups(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries by category, in the categories' order, each group numbered 一, 二, …"""
    groups: list[dict[str, Any]] = []
    for code, zh in CATEGORIES.items():
        members = [e for e in entries if e["category"] == code]
        if members:
            groups.append(
                {
                    "ordinal": ordinal(len(groups)),
                    "category": zh,
                    "count": len(members),
                    "entries": members,
                }
            )
    return groups


def write_publicity_notice(data: AwardsYear) -> WrittenFile:
    """The 公示 as published on its first day: every nominee listed then, all categories."""
    first, end = data.publicity
    listed = [e for e in data.entries if e["publicity_start"] == first]
    groups = _groups(listed)
    path = render_docx(
        "awards_publicity",
        {
            "year": data.year,
            "district": data.district,
            "categories": "、".join(g["category"] for g in groups),
            "total": len(listed),
            "groups": groups,
            "start": zh_date(first),
            "end": zh_date(end),
            "days": data.publicity_days,
            "deadline": zh_date(end),
            "office": data.office.model_dump(),
            "issued_on": zh_date(first),
        },
        year_dir(data.year) / f"awards-publicity-{data.year}.docx",
    )
    return WrittenFile(label=f"{data.year}年度学习型组织评选拟表彰对象公示（Word）", path=str(path))


def write_commendation(data: AwardsYear) -> WrittenFile:
    """The commendation decision with the final list attached (after every 公示 ended)."""
    assert data.final_on is not None, "the list is not final yet"
    awarded = [e for e in data.entries if e["status"] == "awarded"]
    groups = _groups(awarded)
    first, end = data.publicity
    last_end = max((e["publicity_end"] for e in awarded if e["publicity_end"]), default=end)
    path = render_docx(
        "awards_commendation",
        {
            "year": data.year,
            "categories": "、".join(g["category"] for g in groups),
            "total": len(awarded),
            "groups": groups,
            "start": zh_date(first),
            "end": zh_date(last_end),
            "office": data.office.model_dump(),
            "issued_on": zh_date(data.final_on),
        },
        year_dir(data.year) / f"awards-commendation-{data.year}.docx",
    )
    return WrittenFile(label=f"{data.year}年度学习型组织表彰决定及名单（Word）", path=str(path))


def _remark(entry: dict[str, Any]) -> str:
    """What happened to an entry beyond its rank: a tie drawn, a committee addition, an upheld
    objection, a promotion (the ranking itself is in the other columns)."""
    notes = ["得分并列，抽签确定名次"] if entry["draw"] else []
    for part in entry["reason"].split("；"):
        if not part.startswith((CATEGORIES[entry["category"]], "名额")):
            notes.append(plain(part))
    return "；".join(n for n in notes if n)


def _result(entry: dict[str, Any]) -> str:
    status = STATUS.get(entry["status"], entry["status"])
    return f"递补{status}" if entry["promoted_from"] and entry["status"] != "reserve" else status


def write_workbook(data: AwardsYear) -> WrittenFile:
    """One sheet per category: rank, raw mean beside calibrated score, result and reason."""
    book = new_workbook()
    stage = "表彰结果" if data.final_on else "评审结果（公示期）"
    for code, zh in CATEGORIES.items():
        rows = [
            [
                e["rank"] if e["rank"] is not None else "增列",
                e["ref"],
                e["name"],
                e["street"],
                e["community"],
                round(e["raw_mean"], 2),
                round(e["final"], 2),
                e["n_valid"],
                _result(e),
                _remark(e),
            ]
            for e in data.entries
            if e["category"] == code
        ]
        if rows:
            add_table(
                book,
                sheet_name=zh,
                title=f"{data.district}{data.year}年度{zh}{stage}",
                columns=COLUMNS,
                rows=rows,
                note=CALIBRATION_NOTE,
            )
    path = save_workbook(book, year_dir(data.year) / f"awards-{data.year}.xlsx")
    return WrittenFile(label=f"{data.year}年度学习型组织评选结果（分类别工作表）", path=str(path))


def publicity_documents(year: int) -> list[WrittenFile]:
    """The 公示 notice and the workbook of the approved list (nothing before approval)."""
    data = load_year(year)
    if data is None:
        return []
    return [write_publicity_notice(data), write_workbook(data)]


def final_documents(year: int) -> list[WrittenFile]:
    """The commendation and the final workbook; the 公示 notice too, should it be missing."""
    data = load_year(year)
    if data is None or data.final_on is None:
        return []
    return [write_publicity_notice(data), write_commendation(data), write_workbook(data)]


def proposal_table(proposal: AwardsProposal) -> list[dict[str, object]]:
    """Rows of the ranking artifact the committee reads: every ranked entry and reserve."""
    return [
        {
            "类别": CATEGORIES[e.category],
            "排名": e.rank,
            "编号": e.ref,
            "名称": e.name,
            "街道": e.street,
            "校准得分": round(e.final, 4),
            "原始均分": round(e.raw_mean, 2),
            "有效评分": e.n_valid,
            "状态": "拟表彰" if e.status == "listed" else "候补",
        }
        for e in proposal.entries
    ]


def proposal_markdown(proposal: AwardsProposal, notice: str = "") -> str:
    """The proposed list the committee signs off, with why a last decision was not carried out."""
    lines = [f"# {proposal.year}年度学习型组织评选拟表彰名单（R11.2）", ""]
    if notice:
        lines += [f"> {notice}", ""]
    for code, zh in CATEGORIES.items():
        listed = proposal.listed(code)
        if listed:
            names = "、".join(f"{e.ref} {e.name}（{e.street}，{e.final:.3f}）" for e in listed)
            lines.append(f"- **{zh}**：{names}")
    if proposal.flagged:
        lines.append("")
        lines.append("有效评分不足、未参与排名：" + "、".join(f.ref for f in proposal.flagged))
    for category, why in proposal.shortfalls.items():
        lines.append(f"- 名额不足（{category}）：{why}")
    lines.append("")
    lines.append(f"回避评分 {len(proposal.recused)} 份；评委不足 {len(proposal.shortages)} 项。")
    return "\n".join(lines)


def documents_markdown(year: int, files: list[WrittenFile]) -> str:
    """The artifact listing the year's award documents."""
    return files_markdown(f"{year}年度学习型组织评选文件", files)
