"""The secondment's papers (R10.2): operator artifacts (phones masked), and the documents for
schools and streets.

The proposal table and summary are read before sign-off. After it, the notice to schools and
streets and the workbook (who, school, street, score, reason; the ineligible with theirs) are read
from the signed-off year and written under `<data dir>/reports/<year>/`; after a decline and its
replacement they are written again with who now goes where.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from models.db import session_scope
from models.profile.contacts import OfficeContact
from models.secondment import Assignment, SecondmentRound, Teacher
from tasks.common.clock import local_date
from tasks.common.district import active_profile
from tasks.common.documents import (
    WrittenFile,
    files_markdown,
    plain,
    render_docx,
    year_dir,
    zh_date,
)
from tasks.common.holidays import work_calendar
from tasks.common.xlsx import Column, add_table, new_workbook, save_workbook
from tasks.secondment.rules import Placement, Proposal


def proposal_table(proposal: Proposal, *, phones: dict[str, str]) -> list[dict[str, object]]:
    """Rows of the proposal table artifact (phones masked)."""
    from tasks.common.privacy import mask_phone

    return [
        {
            "街道": p.street,
            "工号": p.staff_id,
            "姓名": p.name,
            "学校": p.school,
            "骨干": "是" if p.backbone else "",
            "综合得分": p.merit,
            "意向加分": "是" if p.preferred else "",
            "得分": p.score,
            "手机": mask_phone(phones.get(p.staff_id, "")),
            "理由": p.reason,
        }
        for p in proposal.placements
    ]


def _why(placement: Placement) -> str:
    """The placement's reason in a few words: merit, preferred street, backbone teacher."""
    parts = [f"综合得分{placement.merit:.2f}"]
    if placement.preferred:
        parts.append("意向街道")
    if placement.backbone:
        parts.append("骨干教师")
    return "，".join(parts)


def proposal_markdown(proposal: Proposal) -> str:
    """A short summary an operator reads before signing off."""
    per_street = Counter(p.street for p in proposal.placements)
    backbone = sum(1 for p in proposal.placements if p.backbone)
    lines = [
        f"## {proposal.year}年度教师挂职选派方案（R10.2）",
        "",
        f"- 符合条件教师 {proposal.eligible_count} 名，不符合条件 {len(proposal.ineligible)} 名",
        f"- 选派 {len(proposal.placements)} 名，其中骨干教师 {backbone} 名；总分 "
        f"{proposal.total_score:.3f}（{proposal.proof_note}）",
        "- 各街道：" + "，".join(f"{s} {n} 名" for s, n in per_street.items()),
        "",
        "| 街道 | 工号 | 姓名 | 学校 | 得分 | 理由 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.street} | {p.staff_id} | {p.name} | {p.school} | {p.score:.2f} | {_why(p)} |"
        for p in proposal.placements
    ]
    return "\n".join(lines)


class SecondmentYear(BaseModel):
    """What the documents of a signed-off year say, read from the record."""

    year: int
    district: str
    office: OfficeContact
    issued_on: date
    start: date  # the teachers report by then, and the term runs from it
    term_months: int
    placements: list[dict[str, Any]]  # active assignments, street order then score
    declined: list[dict[str, Any]]
    ineligible: list[dict[str, Any]]


def load_year(year: int) -> SecondmentYear | None:
    """The signed-off year, or None when it is not signed off."""
    with session_scope() as session:
        rnd = session.get(SecondmentRound, year)
        if rnd is None:
            return None
        profile = active_profile(session)
        rows = session.exec(
            select(Assignment).where(Assignment.year == year).order_by(col(Assignment.id))
        ).all()
        ids = [a.staff_id for a in rows]
        names = {
            t.staff_id: t.name
            for t in session.exec(select(Teacher).where(col(Teacher.staff_id).in_(ids))).all()
        }
        streets = profile.street_names
        issued_on = local_date(rnd.approved_at, profile)
        workdays = work_calendar(session)

        def row(a: Assignment) -> dict[str, Any]:
            return a.model_dump() | {"name": names.get(a.staff_id, "")}

        active = sorted(
            (a for a in rows if a.status == "active"),
            key=lambda a: (streets.index(a.street) if a.street in streets else 999, -a.score),
        )
        return SecondmentYear(
            year=year,
            district=profile.district,
            office=profile.contacts.centre,
            issued_on=issued_on,
            # the day the teachers' own messages give them to report by (same working days)
            start=workdays.add_working_days(issued_on, profile.secondment.report_within_days),
            term_months=profile.secondment.term_months,
            placements=[row(a) for a in active],
            declined=[row(a) for a in rows if a.status == "declined"],
            ineligible=list(rnd.ineligible),
        )


def _term(months: int) -> str:
    return f"{months // 12}年" if months % 12 == 0 else f"{months}个月"


def _note(placement: dict[str, Any]) -> str:
    notes = ["骨干教师"] if placement["backbone"] else []
    return "，".join([*notes, "递补"] if placement["replaces"] else notes)


def write_notice(data: SecondmentYear) -> WrittenFile:
    """The notice to the schools and streets: who goes where, and from when."""
    streets = list(dict.fromkeys(p["street"] for p in data.placements))
    placements = [
        {
            "name": p["name"],
            "school": p["school"],
            "street": p["street"],
            "note": _note(p),
        }
        for p in data.placements
    ]
    joined = "、".join(streets[:-1]) + "和" + streets[-1] if len(streets) > 1 else "".join(streets)
    path = render_docx(
        "secondment_notice",
        {
            "year": data.year,
            "count": len(placements),
            "backbone": sum(1 for p in data.placements if p["backbone"]),
            "streets": joined,
            "placements": placements,
            "start": zh_date(data.start),
            "term": _term(data.term_months),
            "office": data.office.model_dump(),
            "issued_on": zh_date(data.issued_on),
        },
        year_dir(data.year) / f"secondment-notice-{data.year}.docx",
    )
    return WrittenFile(label=f"{data.year}年度街道社区教育助理选派通知（Word）", path=str(path))


def write_workbook(data: SecondmentYear) -> WrittenFile:
    """Who goes where with score and reason; the ineligible with theirs; the declines."""
    book = new_workbook()
    names = {p["staff_id"]: p["name"] for p in data.placements + data.declined}
    add_table(
        book,
        sheet_name="选派名单",
        title=f"{data.district}{data.year}年度教师挂职选派名单",
        columns=[
            Column("序号", "int"),
            Column("姓名"),
            Column("工号"),
            Column("学校"),
            Column("挂职街道"),
            Column("骨干教师"),
            Column("综合得分", "decimal"),
            Column("得分", "decimal"),
            Column("选派理由", "wrap"),
            Column("备注"),
        ],
        rows=[
            [
                i,
                p["name"],
                p["staff_id"],
                p["school"],
                p["street"],
                "是" if p["backbone"] else "",
                round(p["merit"], 2),
                round(p["score"], 2),
                plain(p["reason"]),
                f"递补{names.get(p['replaces'], p['replaces'])}" if p["replaces"] else "",
            ]
            for i, p in enumerate(data.placements, start=1)
        ],
        note="得分 = 综合得分（政治素质、教龄、综合能力、群众工作加权），填报意向街道的另加意向分；"
        "在各街道名额、每校人数上限和骨干教师比例之内，选派总得分最高的方案。",
    )
    add_table(
        book,
        sheet_name="不符合条件",
        title=f"{data.district}{data.year}年度教师挂职不符合条件名单",
        columns=[Column("序号", "int"), Column("姓名"), Column("工号"), Column("原因", "wrap")],
        rows=[
            [i, item.get("name", ""), item["staff_id"], "；".join(map(plain, item["reasons"]))]
            for i, item in enumerate(data.ineligible, start=1)
        ],
    )
    if data.declined:
        add_table(
            book,
            sheet_name="不能到岗",
            title=f"{data.district}{data.year}年度挂职教师不能到岗情况",
            columns=[
                Column("姓名"),
                Column("工号"),
                Column("学校"),
                Column("原定街道"),
                Column("原因", "wrap"),
            ],
            rows=[
                [d["name"], d["staff_id"], d["school"], d["street"], d["decline_reason"]]
                for d in data.declined
            ],
        )
    path = save_workbook(book, year_dir(data.year) / f"secondment-{data.year}.xlsx")
    return WrittenFile(label=f"{data.year}年度教师挂职选派名单及不符合条件名单", path=str(path))


def secondment_documents(year: int) -> list[WrittenFile]:
    """The notice and the workbook of a signed-off year (nothing before sign-off)."""
    data = load_year(year)
    if data is None or not data.placements:
        return []
    return [write_notice(data), write_workbook(data)]


def documents_markdown(year: int, files: list[WrittenFile]) -> str:
    """The artifact listing the year's notice and workbook."""
    return files_markdown(f"{year}年度教师挂职选派文件", files)
