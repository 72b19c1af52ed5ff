"""The final list after the 公示: winners notified, the workbook and the per-category reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models.awards import (
    CATEGORIES,
    AwardEntry,
    AwardObjection,
    AwardRound,
)
from models.db import session_scope
from models.timeutil import utcnow
from tasks.awards.records import FLOW, AwardsError, decide_plain
from tasks.awards.reports import final_documents
from tasks.awards.rules import (
    RULE,
)
from tasks.common.district import active_profile
from tasks.notify.render import render
from tasks.notify.staging import stage_message


def _publicity_fact(entry: AwardEntry, objections: Sequence[AwardObjection]) -> str:
    """What happened to this entry in its 公示, from the recorded objections."""
    against = [o for o in objections if o.ref == entry.ref]
    dismissed = sum(o.status == "dismissed" for o in against)
    lead = "递补公示期满" if entry.promoted_from else "公示期满"
    if dismissed:
        return f"{lead}，公示期内{dismissed}件实名异议经核实不成立"
    return f"{lead}无异议"


def finalise(*, year: int, today: date) -> dict[str, Any]:
    """After every 公示 period with no open objection: the list is final, winners notified.

    Before that, says why not (and writes nothing). Finalising twice changes nothing. A list
    left with nobody on it is refused (`AwardsError`, in Chinese): nothing is final, nothing
    sent.
    """
    with session_scope() as session:
        outcome = _finalise(session, year=year, today=today)
    return _with_documents(outcome) if outcome["status"] == "final" else outcome


def _finalise(session: Session, *, year: int, today: date) -> dict[str, Any]:
    rnd = session.get(AwardRound, year)
    if rnd is None:
        raise AwardsError(f"{year}年度尚无已审定的拟表彰名单，不能定稿")
    if rnd.status == "final":
        return {"year": year, "status": "final", "already_final": True}
    entries = session.exec(
        select(AwardEntry).where(AwardEntry.year == year, AwardEntry.status == "listed")
    ).all()
    objections = session.exec(select(AwardObjection).where(AwardObjection.year == year)).all()
    open_refs = sorted(o.ref for o in objections if o.status == "open")
    if open_refs:
        return {"year": year, "status": "publicity", "open_objections": open_refs}
    last = max((e.publicity_end for e in entries if e.publicity_end), default=None)
    if last is not None and today <= last:
        return {"year": year, "status": "publicity", "publicity_ends": last.isoformat()}
    if not entries:
        raise AwardsError(
            f"{year}年度拟表彰名单上已没有任何对象（均已撤销且无可递补），"
            "无法确定表彰名单：未定稿，未发送任何消息。"
        )
    profile = active_profile(session)
    contact = profile.contacts.awards
    by_street: dict[str, list[dict[str, str]]] = defaultdict(list)
    for e in sorted(entries, key=lambda x: (list(CATEGORIES).index(x.category), x.rank or 0)):
        e.status = "awarded"
        session.add(e)
        decide_plain(
            session, year, e.ref, "awarded", f"{_publicity_fact(e, objections)}，{e.reason}"
        )
        title, body = render(
            "awards_winner",
            year=year,
            name=e.name,
            category=CATEGORIES[e.category],
            start=e.publicity_start,
            end=e.publicity_end,
            contact=contact,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind="winner",
            recipient=e.ref,
            audience=f"community-{e.community}" if e.community else f"street-{e.street}",
            title=title,
            body=body,
        )
        by_street[e.street].append(
            {"category": CATEGORIES[e.category], "name": e.name, "community": e.community}
        )
    ruled = {
        "total": sum(o.status in ("upheld", "dismissed") for o in objections),
        "upheld": sum(o.status == "upheld" for o in objections),
        "dismissed": sum(o.status == "dismissed" for o in objections),
    }
    for street, members in sorted(by_street.items()):
        title, body = render(
            "awards_street_final",
            year=year,
            street=street,
            entries=members,
            objections=ruled,
            contact=contact,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind="final-street",
            recipient=street,
            audience=f"street-{street}",
            title=title,
            body=body,
        )
    rnd.status = "final"
    rnd.finalised_at = utcnow()
    rnd.result = {**rnd.result, "final_on": today.isoformat()}  # the commendation's date
    session.add(rnd)
    return {"year": year, "status": "final", "already_final": False, "winners": len(entries)}


def _with_documents(outcome: dict[str, Any]) -> dict[str, Any]:
    """The final list's documents, written after the transaction that made it final (again on
    every later call, so a crash between the two leaves nothing missing for long)."""
    files = final_documents(outcome["year"])
    return outcome | {
        "export": next(f.path for f in files if f.path.endswith(".xlsx")),
        "documents": [f.model_dump() for f in files],
    }


def category_reports(year: int) -> dict[str, str]:
    """A Markdown report per category of the year's list (all entries with their status)."""
    with session_scope() as session:
        entries = session.exec(
            select(AwardEntry).where(AwardEntry.year == year).order_by(col(AwardEntry.rank))
        ).all()
        reports: dict[str, str] = {}
        for code, zh in CATEGORIES.items():
            rows = [e for e in entries if e.category == code]
            if not rows:
                continue
            lines = [
                f"# {year}年度{zh}评选结果（{RULE}）",
                "",
                "| 排名 | 编号 | 名称 | 街道 | 校准得分 | 原始均分 | 有效评分 | 状态 | 说明 |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            status_zh = {
                "listed": "公示中",
                "reserve": "候补",
                "withdrawn": "撤销",
                "awarded": "表彰",
            }
            for e in rows:
                lines.append(
                    f"| {e.rank or '增列'} | {e.ref} | {e.name} | {e.street} | {e.final:.4f} | "
                    f"{e.raw_mean:.2f} | {e.n_valid} | {status_zh.get(e.status, e.status)} | "
                    f"{e.reason} |"
                )
            reports[code] = "\n".join(lines)
        return reports
