"""The learning-awards part of the demo: generated nominations and scores, a year run end to end."""

from __future__ import annotations

import asyncio
from datetime import date

from rich.console import Console
from sqlmodel import select

from models.awards import AwardScore, Nomination
from models.db import session_scope
from models.params.awards import AwardsParameters
from tasks.awards import final_list, objections, records
from tasks.common.district import active_profile
from tasks.common.holidays import current_work_calendar
from tasks.notify.delivery import deliver_pending
from tasks.samples.awards import generate_nominations, generate_scores

DEMO_SEED = 2026


def _store_sample(year: int) -> None:
    """Generated nominations (8 per category) and every judge's scores, unless already stored."""
    with session_scope() as session:
        if session.exec(select(Nomination).where(Nomination.year == year)).first() is not None:
            return
        profile = active_profile(session)
        noms = generate_nominations(profile, year=year, per_category=8, seed=DEMO_SEED)
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(profile, noms, seed=DEMO_SEED):
            session.add(AwardScore(**s.model_dump()))


def run_awards_demo(*, year: int, console: Console) -> None:
    """Nominations, judging, committee (auto) approval, 公示, one objection dismissed and one
    upheld (the next in rank promoted with its own short 公示), then the final list."""
    from flows.learning_awards import learning_awards

    _store_sample(year)
    workdays = current_work_calendar()
    start = workdays.next_working_day(date(year, 12, 1))
    result = asyncio.run(
        learning_awards(AwardsParameters(year=year, approval="auto", publicity_start=start))
    )
    for category, listed in result.categories.items():
        names = "、".join(f"{e.name}({e.score:.2f})" for e in listed)
        console.print(f"[bold]{category}[/bold]: {names}")
    family = result.categories["family"]
    day = workdays.add_working_days(start, 1)
    first = objections.file_objection(
        year=year, ref=family[0].ref, objector="王建国", content="活动记录有重复", today=day
    )
    second = objections.file_objection(
        year=year, ref=family[1].ref, objector="李秀英", content="该家庭已迁出本区", today=day
    )
    ruled_on = workdays.add_working_days(start, 3)
    objections.rule_objection(
        objection_id=first["id"],
        decision="dismiss",
        ruling="经核实活动记录属实",
        operator="评审委员会",
        today=ruled_on,
    )
    upheld = objections.rule_objection(
        objection_id=second["id"],
        decision="uphold",
        ruling="经核实已迁出，不符合条件",
        operator="评审委员会",
        today=ruled_on,
    )
    console.print(f"异议：{family[0].ref} 不成立；{family[1].ref} 成立，递补 {upheld['promoted']}")
    final = final_list.finalise(year=year, today=workdays.add_working_days(ruled_on, 10))
    # rulings, the replacement's 公示, winners and final lists go out like the flows send them
    sent = deliver_pending(message_ids=records.pending_message_ids(year))
    winners, export = final.get("winners", 0), final.get("export", "")
    console.print(f"公示期满：{final['status']}，表彰 {winners} 个，名单 {export}")
    console.print(f"异议裁定、递补公示、表彰通知和名单：{sent.messages_delivered} 条已发送")
