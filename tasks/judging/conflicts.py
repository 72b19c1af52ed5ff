"""A conflict of interest a judge declares on one item, and the item's reassignment (R11.2).

One transaction: the judge's assignment ends (their draft and any submitted score of the item
with it: a declared conflict is recused like a shared street or unit), the item goes to the
next judge free of conflicts and below the load limit (`rules.next_judge`), who is told with a
link to their page; both are decision records. With nobody free, the item is short of a judge
and the decision says so; the progress table and the deadline flag it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import col, delete, select

from models.db import session_scope
from models.judging import JudgeAssignment, ScoreDraft
from models.timeutil import utcnow
from tasks.common.decisions import keep_inputs, payload_digest
from tasks.common.district import active_profile
from tasks.common.text import clean_text
from tasks.judging.audit import RULE_VERSION, reassignment_outcome, reassignment_payload
from tasks.judging.records import (
    FLOW,
    decide,
    find_round,
    open_view,
    page_of,
    process_of,
    tell_judge,
)
from tasks.judging.rules import Candidate, next_judge, read_reason


class Declared(BaseModel):
    """What became of a declaration: refused (`state`/`problem`), or who took the item."""

    model_config = ConfigDict(frozen=True)

    state: str | None = None
    problem: str = ""
    ref: str = ""
    taken_by: str | None = None  # the new judge's code; None: nobody free (a shortage)


def declare_conflict(token: str, ref: str, reason: str, *, now: datetime | None = None) -> Declared:
    """The judge behind TOKEN declares a conflict on REF with REASON; reassign it."""
    now = now or utcnow()
    reason, problem = read_reason(clean_text(reason))
    with session_scope() as session:
        view = open_view(token, now)
        if isinstance(view, str):
            return Declared(state=view)
        page = page_of(session, view)
        if ref not in {i.ref for i in page.items}:
            return Declared(state="not_assigned")
        if problem:
            return Declared(problem=problem, ref=ref)
        year, judge = view.year, page.judge
        process = process_of(page.process)
        profile = active_profile(session)
        rnd = find_round(session, process, year)
        if rnd is None:
            return Declared(state="not_assigned")
        held = session.exec(
            select(JudgeAssignment).where(
                JudgeAssignment.process == process.key, JudgeAssignment.year == year
            )
        ).all()
        mine = next(a for a in held if a.ref == ref and a.judge == judge.code)
        mine.status, mine.reason, mine.changed_at = "conflict", reason, now
        session.add(mine)
        session.exec(
            delete(ScoreDraft).where(
                col(ScoreDraft.process) == process.key,
                col(ScoreDraft.year) == year,
                col(ScoreDraft.ref) == ref,
                col(ScoreDraft.judge) == judge.code,
            )
        )
        process.drop(session, year=year, ref=ref, judge=judge.name)
        role, rule = process.role, process.rule
        decide(
            session,
            year,
            f"{ref}/{judge.name}",
            "conflict_declared",
            f"{role}{judge.name}申报与{ref}存在利益冲突：{reason}；该{role}不再评此项（{rule}）",
            rule=rule,
        )
        item = next(i for i in page.items if i.ref == ref)
        keys = item.conflicts
        loads: dict[str, int] = {}
        for a in held:
            if a.status == "assigned":
                loads[a.judge] = loads.get(a.judge, 0) + 1
        judges = process.members(session, profile)
        candidates = [
            Candidate(code=m.code, conflicts=m.conflicts, load=loads.get(m.code, 0))
            for m in judges.values()
        ]
        excluded = {a.judge for a in held if a.ref == ref}
        chosen = next_judge(
            ref=ref,
            item_conflicts=keys,
            candidates=candidates,
            excluded=excluded,
            load_limit=rnd.load_limit,
            seed=rnd.seed,
        )
        names = {m.code: m.name for m in judges.values()}
        payload = reassignment_payload(
            ref=ref,
            declined_by=judge.code,
            item_conflicts=keys,
            candidates=candidates,
            excluded=excluded,
            load_limit=rnd.load_limit,
            seed=rnd.seed,
            names=names,
        )
        digest = payload_digest(payload)
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind="reassignment",
            digest=digest,
            payload=payload,
            rule_version=RULE_VERSION,
        )
        _, kind, outcome = reassignment_outcome(
            ref=ref, declined_by=judge.code, chosen=chosen, names=names
        )
        if chosen is None:
            decide(
                session,
                year,
                ref,
                kind,
                f"{ref}改派时没有不需回避且评审量低于{rnd.load_limit}项的{role}，"
                f"有效评分可能不足（{rule}）",
                rule=rule,
                recorded=(digest, rnd.seed, outcome),
            )
            return Declared(ref=ref)
        taker = judges[chosen]
        session.add(
            JudgeAssignment(
                process=process.key,
                year=year,
                ref=ref,
                judge=taker.code,
                source="reassigned",
                reason=f"{judge.name}申报回避后改派",
                assigned_at=now,
            )
        )
        decide(
            session,
            year,
            f"{ref}/{taker.name}",
            "reassigned",
            f"{ref}因{role}{judge.name}申报回避，改派{role}{taker.name}"
            f"（不属同一{process.kept_from}，评审量{loads.get(taker.code, 0)}项，"
            f"低于上限{rnd.load_limit}项）（{rule}）",
            rule=rule,
            recorded=(digest, rnd.seed, outcome),
        )
        tell_judge(
            session,
            process,
            taker,
            "judging_reassigned",
            kind=f"reassigned-{ref}",
            year=year,
            deadline=rnd.deadline,
            profile=profile,
            ref=ref,
            item=process.item_names(session, year).get(ref, ref),
        )
        return Declared(ref=ref, taken_by=taker.code)


def declared_pairs(year: int, process: str = "awards") -> list[dict[str, Any]]:
    """Every conflict of PROCESS declared in YEAR: ref, judge's code, reason."""
    with session_scope() as session:
        rows = session.exec(
            select(JudgeAssignment)
            .where(
                JudgeAssignment.process == process,
                JudgeAssignment.year == year,
                JudgeAssignment.status == "conflict",
            )
            .order_by(col(JudgeAssignment.ref), col(JudgeAssignment.judge))
        ).all()
        return [{"ref": a.ref, "judge": a.judge, "reason": a.reason} for a in rows]
