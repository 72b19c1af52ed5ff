"""Database side of the learning awards (R11.2): inputs in; list, 公示, objections, final out.

Each public function is one transaction: a decision and the messages it causes are written
together, and re-running any step changes nothing and stages nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models.audit import Decision
from models.awards import (
    CATEGORIES,
    AwardEntry,
    AwardObjection,
    AwardRound,
    AwardScore,
    AwardScoreBase,
    Nomination,
    NominationBase,
)
from models.db import session_scope
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.timeutil import utcnow
from tasks.awards.reports import final_documents
from tasks.awards.rules import (
    RULE,
    AwardsProposal,
    AwardsRules,
    JudgeInfo,
    NothingToList,
    empty_list_reason,
    result_json,
)
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.notify.delivery import stage_message, undelivered_message_ids
from tasks.notify.render import render

FLOW = "awards"


class AwardsError(Refusal):
    """A request that cannot be carried out (unknown objection, not in 公示, …)."""


def resolve_rules(params: AwardsParameters) -> AwardsRules:
    """The year's rules: the run's choices on top of the awards policy of the profile."""
    with session_scope() as session:
        profile = active_profile(session)
    policy = profile.awards
    unknown = sorted(set(policy.quotas) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"award quotas name unknown categories: {', '.join(unknown)}")
    return AwardsRules(
        year=params.year,
        seed=params.year if params.seed is None else params.seed,
        quotas=dict(policy.quotas),
        min_judges=policy.min_judges,
        criteria=dict(policy.criteria),
        judges=tuple(JudgeInfo(name=j.name, street=j.street, unit=j.unit) for j in policy.judges),
        streets=tuple(profile.street_names),
        repeat_cooldown_years=policy.repeat_cooldown_years,
        requirements={c: dict(r) for c, r in policy.requirements.items()},
        metric_labels=dict(policy.metrics),
        publicity_days=policy.publicity_days,
        objection_publicity_days=policy.objection_publicity_days,
        method=params.method,
        strike=dict(params.strike),
        add=dict(params.add),
    )


def load_inputs(year: int) -> tuple[list[NominationBase], list[AwardScoreBase]]:
    """The year's nominations and scores as plain records (the snapshot the decision uses)."""
    with session_scope() as session:
        noms = session.exec(
            select(Nomination).where(Nomination.year == year).order_by(col(Nomination.ref))
        ).all()
        scores = session.exec(
            select(AwardScore).where(AwardScore.year == year).order_by(col(AwardScore.id))
        ).all()
        return (
            [NominationBase.model_validate(n.model_dump()) for n in noms],
            [AwardScoreBase.model_validate(s.model_dump()) for s in scores],
        )


def _offices(profile: DistrictProfile) -> list[tuple[str, str]]:
    """(name, audience) of every street and community office."""
    offices = []
    for street in profile.streets:
        offices.append((street.name, f"street-{street.name}"))
        offices.extend((c, f"community-{c}") for c in street.communities)
    return offices


def round_result(year: int) -> dict[str, Any] | None:
    """The recorded list of a year in the shape of `awards --json`, or None."""
    with session_scope() as session:
        rnd = session.get(AwardRound, year)
        if rnd is None:
            return None
        entries = session.exec(
            select(AwardEntry)
            .where(AwardEntry.year == year, col(AwardEntry.status).in_(["listed", "awarded"]))
            .order_by(col(AwardEntry.category), col(AwardEntry.rank), col(AwardEntry.ref))
        ).all()
        categories: dict[str, list[dict[str, Any]]] = {}
        for c in CATEGORIES:
            for e in entries:
                if e.category == c:
                    categories.setdefault(c, []).append(
                        {
                            "ref": e.ref,
                            "score": round(e.final, 6),
                            "rank": e.rank,
                            "name": e.name,
                            "publicity_end": e.publicity_end.isoformat()
                            if e.publicity_end
                            else None,
                        }
                    )
        result = {k: v for k, v in rnd.result.items() if k != "workdays"}  # the basis stays inside
        result.update({"year": year, "status": rnd.status, "categories": categories})
        return result


def record_approval(
    *, proposal: AwardsProposal, rules: AwardsRules, operator: str, comment: str, start: date
) -> bool:
    """Store the approved list, its reasons and the 公示 notices in one transaction.

    Returns False (and writes nothing) when the year is already approved. A proposal that lists
    nobody is refused (`NothingToList`): an empty 公示 is never stored or sent.
    """
    year = proposal.year
    refusal = empty_list_reason(proposal)
    if refusal is not None:
        raise NothingToList(refusal)
    with session_scope() as session:
        if session.get(AwardRound, year) is not None:
            return False
        profile = active_profile(session)
        workdays = work_calendar(session)
        first = workdays.next_working_day(start)
        end = workdays.period_end(first, rules.publicity_days)
        listed = proposal.listed()
        summary = result_json(
            year=year, listed=listed, flagged=[f.ref for f in proposal.flagged], status="publicity"
        )
        session.add(
            AwardRound(
                year=year,
                approved_by=operator,
                comment=comment,
                seed=proposal.seed,
                inputs_digest=proposal.inputs_digest,
                parameters=rules.model_dump(mode="json"),
                result={
                    "flagged": summary["flagged"],
                    "shortfalls": proposal.shortfalls,
                    "shortages": [s.model_dump() for s in proposal.shortages],
                    "publicity": [first.isoformat(), end.isoformat()],
                    # the calendar the 公示 was counted on, to re-check when a notice comes
                    "workdays": workdays.pinned([year, year + 1]).model_dump(mode="json"),
                },
            )
        )
        session.flush()
        for e in proposal.entries:
            is_listed = e.status == "listed"
            session.add(
                AwardEntry(
                    year=year,
                    ref=e.ref,
                    category=e.category,
                    name=e.name,
                    street=e.street,
                    community=e.community,
                    rank=e.rank,
                    final=e.final,
                    raw_mean=e.raw_mean,
                    n_valid=e.n_valid,
                    draw=e.draw,
                    status=e.status,
                    reason=e.reason,
                    publicity_start=first if is_listed else None,
                    publicity_end=end if is_listed else None,
                )
            )
            _decide(session, year, e.ref, e.status, e.reason, proposal, draw=e.draw)
        for f in proposal.flagged:
            _decide(session, year, f.ref, "flagged", f.reason, proposal)
        for i in proposal.ineligible:
            _decide(session, year, i.ref, "ineligible", "；".join(i.reasons), proposal)
        for r in proposal.recused:
            _decide(session, year, f"{r.ref}/{r.reviewer}", "recused", r.reason, proposal)
        for s in proposal.shortages:
            reason = f"需{s.needed}名评委，回避后仅{s.available}名可评（{RULE}）"
            _decide(session, year, s.ref, "judge_shortage", reason, proposal)
        for ref, why in sorted(rules.strike.items()):
            _decide(session, year, ref, "struck", f"评审委员会删除：{why}（{RULE}）", proposal)
        groups = [
            (CATEGORIES[c], [e for e in listed if e.category == c])
            for c in CATEGORIES
            if any(e.category == c for e in listed)
        ]
        for office, audience in _offices(profile):
            title, body = render(
                "awards_publicity",
                year=year,
                office=office,
                start=first,
                end=end,
                days=rules.publicity_days,
                groups=groups,
                contact=profile.contacts.awards,
            )
            stage_message(
                session,
                flow=FLOW,
                year=year,
                kind="publicity",
                recipient=office,
                audience=audience,
                title=title,
                body=body,
            )
    return True


def _decide(
    session: Session,
    year: int,
    subject: str,
    kind: str,
    reason: str,
    proposal: AwardsProposal,
    *,
    draw: int | None = None,
) -> None:
    session.add(
        Decision(
            process=FLOW,
            year=year,
            subject=subject,
            kind=kind,
            rule=RULE,
            reason=reason,
            inputs_digest=proposal.inputs_digest,
            seed=proposal.seed if draw is not None else None,
        )
    )


def file_objection(
    *, year: int, ref: str, objector: str, content: str, today: date, phone: str = ""
) -> dict[str, Any]:
    """Record a real-name objection to a listed nominee during its 公示 (same one twice: once)."""
    objector, content = objector.strip(), content.strip()
    if not objector:
        raise AwardsError("an objection must carry the objector's real name (实名)")
    if not content:
        raise AwardsError("an objection must say what is objected to")
    with session_scope() as session:
        entry = _entry(session, year, ref)
        if entry.status != "listed" or entry.publicity_end is None:
            raise AwardsError(f"{ref} is not on the {year} list in 公示 (status {entry.status})")
        existing = session.exec(
            select(AwardObjection).where(
                AwardObjection.year == year,
                AwardObjection.ref == ref,
                AwardObjection.objector == objector,
                AwardObjection.content == content,
            )
        ).first()
        if existing is not None:
            return {
                "id": existing.id,
                "year": year,
                "status": existing.status,
                "already_recorded": True,
            }
        if today > entry.publicity_end:
            raise AwardsError(
                f"the 公示 of {ref} ended on {entry.publicity_end.isoformat()}; "
                "objections are no longer accepted"
            )
        objection = AwardObjection(
            year=year, ref=ref, objector=objector, phone=phone, content=content, filed_on=today
        )
        session.add(objection)
        session.flush()
        return {"id": objection.id, "year": year, "status": "open", "already_recorded": False}


def _entry(session: Session, year: int, ref: str) -> AwardEntry:
    entry = session.exec(
        select(AwardEntry).where(AwardEntry.year == year, AwardEntry.ref == ref)
    ).first()
    if entry is None:
        raise AwardsError(f"{ref} is not on the {year} award list")
    return entry


def rule_objection(
    *,
    objection_id: int,
    decision: str,
    ruling: str,
    operator: str,
    today: date,
) -> dict[str, Any]:
    """Uphold (withdraw the nominee, promote the next in rank with its own short 公示) or dismiss.

    Ruling an objection already ruled returns the first ruling and writes nothing.
    """
    if decision not in ("uphold", "dismiss"):
        raise AwardsError(f"decision must be uphold or dismiss, not {decision!r}")
    if not ruling.strip():
        raise AwardsError("a ruling must be written (裁定意见)")
    with session_scope() as session:
        objection = session.get(AwardObjection, objection_id)
        if objection is None:
            raise AwardsError(f"no objection {objection_id}")
        if objection.status != "open":
            return {
                "id": objection_id,
                "year": objection.year,
                "status": objection.status,
                "promoted": _promoted(session, objection.year, objection.ref),
                "already_recorded": True,
            }
        year, ref = objection.year, objection.ref
        rnd = session.get(AwardRound, year)
        assert rnd is not None  # an objection exists only for a recorded list
        rules = AwardsRules.model_validate(rnd.parameters)
        entry = _entry(session, year, ref)
        objection.status = "upheld" if decision == "uphold" else "dismissed"
        objection.ruling = ruling.strip()
        objection.ruled_by = operator
        objection.ruled_on = today
        session.add(objection)
        outcome = "异议成立，撤销拟表彰资格" if decision == "uphold" else "异议不成立，维持公示"
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=f"objection-{objection_id}",
                kind=objection.status,
                rule=RULE,
                reason=f"{objection.objector}对{entry.name}的实名异议：{outcome}。裁定：{ruling}",
            )
        )
        # the nominee's street hears the outcome; who objected stays with the committee
        title, body = render(
            "awards_ruling",
            year=year,
            office=entry.street,
            name=entry.name,
            outcome=outcome,
            ruling=ruling.strip(),
            contact=active_profile(session).contacts.awards,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind="ruling",
            recipient=f"objection-{objection_id}",
            audience=f"street-{entry.street}",
            title=title,
            body=body,
        )
        promoted = None
        if decision == "uphold" and entry.status == "listed":
            entry.status = "withdrawn"
            entry.reason += f"；异议成立，撤销：{ruling.strip()}"
            session.add(entry)
            _decide_plain(session, year, ref, "withdrawn", f"异议成立，撤销拟表彰资格：{ruling}")
            promoted = _promote_next(session, entry=entry, rules=rules, today=today)
        return {
            "id": objection_id,
            "year": year,
            "status": objection.status,
            "promoted": promoted,
            "already_recorded": False,
        }


def _decide_plain(session: Session, year: int, subject: str, kind: str, reason: str) -> None:
    session.add(
        Decision(process=FLOW, year=year, subject=subject, kind=kind, rule=RULE, reason=reason)
    )


def _promoted(session: Session, year: int, ref: str) -> str | None:
    row = session.exec(
        select(AwardEntry).where(AwardEntry.year == year, AwardEntry.promoted_from == ref)
    ).first()
    return row.ref if row else None


def _promote_next(
    session: Session, *, entry: AwardEntry, rules: AwardsRules, today: date
) -> str | None:
    """The best-ranked reserve of the category takes the place, with its own short 公示."""
    reserve = session.exec(
        select(AwardEntry)
        .where(
            AwardEntry.year == entry.year,
            AwardEntry.category == entry.category,
            AwardEntry.status == "reserve",
        )
        .order_by(col(AwardEntry.rank))
    ).first()
    if reserve is None:
        _decide_plain(
            session,
            entry.year,
            entry.ref,
            "no_reserve",
            f"{CATEGORIES[entry.category]}无可递补的排名提名，名额空缺（{RULE}）",
        )
        return None
    workdays = work_calendar(session)
    first = workdays.next_working_day(today, include=False)
    end = workdays.period_end(first, rules.objection_publicity_days)
    reserve.status = "listed"
    reserve.promoted_from = entry.ref
    reserve.publicity_start = first
    reserve.publicity_end = end
    reserve.reason += f"；因{entry.name}异议成立，按排名递补，单独公示至{end.isoformat()}"
    session.add(reserve)
    _decide_plain(session, entry.year, reserve.ref, "promoted", reserve.reason)
    profile = active_profile(session)
    for office, audience in _offices(profile):
        title, body = render(
            "awards_promotion",
            year=entry.year,
            office=office,
            withdrawn=entry.name,
            name=reserve.name,
            category=CATEGORIES[reserve.category],
            street=reserve.street,
            start=first,
            end=end,
            days=rules.objection_publicity_days,
            contact=profile.contacts.awards,
        )
        stage_message(
            session,
            flow=FLOW,
            year=entry.year,
            kind=f"promotion-{reserve.ref}",
            recipient=office,
            audience=audience,
            title=title,
            body=body,
        )
    return reserve.ref


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
        raise AwardsError(f"no approved award list for {year}")
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
        _decide_plain(
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


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's awards not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
