"""Objections during the 公示: filing, the ruling, and the reserve that replaces an upheld entry."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from sqlmodel import Session, select

from models.audit import Decision
from models.awards import (
    CATEGORIES,
    AwardEntry,
    AwardObjection,
    AwardRound,
)
from models.db import session_scope
from models.params.awards import Ruling
from tasks.awards.audit import next_in_rank, promotion_outcome, promotion_payload
from tasks.awards.records import DECIDING, FLOW, AwardsError, decide_plain, offices_of
from tasks.awards.rules import (
    RULE,
    RULE_VERSION,
    AwardsRules,
)
from tasks.common.decisions import keep_inputs, payload_digest, record_outcomes
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.common.workdays import date_zh
from tasks.notify.render import render
from tasks.notify.staging import stage_message, stage_rendered


def file_objection(
    *, year: int, ref: str, objector: str, content: str, today: date, phone: str = ""
) -> dict[str, Any]:
    """Record a real-name objection to a listed nominee during its 公示 (same one twice: once)."""
    objector, content = objector.strip(), content.strip()
    if not objector:
        raise AwardsError("异议须署实名：请填写异议人姓名")
    if not content:
        raise AwardsError("请写明异议的内容")
    with session_scope() as session:
        entry = _entry(session, year, ref)
        if entry.status != "listed" or entry.publicity_end is None:
            raise AwardsError(f"{ref}不在{year}年度正在公示的名单中，不受理异议")
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
            raise AwardsError(f"{ref}的公示已于{date_zh(entry.publicity_end)}结束，不再受理异议")
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
        raise AwardsError(f"{year}年度评选名单中没有编号为{ref}的提名")
    return entry


def rule_objection(
    *,
    objection_id: int,
    decision: Ruling,
    ruling: str,
    operator: str,
    today: date,
) -> dict[str, Any]:
    """Uphold (withdraw the nominee, promote the next in rank with its own short 公示) or dismiss.

    Ruling an objection already ruled returns the first ruling and writes nothing.
    """
    if decision not in ("uphold", "dismiss"):
        raise AwardsError(f"裁定结果应为“异议成立”或“异议不成立”，不能是“{decision}”")
    if not ruling.strip():
        raise AwardsError("请填写裁定意见")
    with session_scope() as session:
        objection = session.get(AwardObjection, objection_id)
        if objection is None:
            raise AwardsError(f"没有编号为{objection_id}的异议")
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
        ruled: dict[str, Any] = {
            "name": entry.name,
            "outcome": outcome,
            "ruling": ruling.strip(),
            "contact": active_profile(session).contacts.awards,
        }
        tell = partial(
            stage_rendered, session, flow=FLOW, year=year, recipient=f"objection-{objection_id}"
        )
        street, objector = f"street-{entry.street}", f"award-objector-{objection_id}"
        tell("awards_ruling", kind="ruling", audience=street, office=entry.street, **ruled)
        if objection.phone:  # filed with a contact (the portal's form): the objector hears too
            tell(
                "awards_objection_ruled",
                kind="ruling-objector",
                audience=objector,
                objector=objection.objector,
                **ruled,
            )
        promoted = None
        if decision == "uphold" and entry.status == "listed":
            entry.status = "withdrawn"
            entry.reason += f"；异议成立，撤销：{ruling.strip()}"
            session.add(entry)
            decide_plain(session, year, ref, "withdrawn", f"异议成立，撤销拟表彰资格：{ruling}")
            promoted = _promote_next(session, entry=entry, rules=rules, today=today)
        return {
            "id": objection_id,
            "year": year,
            "status": objection.status,
            "promoted": promoted,
            "already_recorded": False,
        }


def _promoted(session: Session, year: int, ref: str) -> str | None:
    row = session.exec(
        select(AwardEntry).where(AwardEntry.year == year, AwardEntry.promoted_from == ref)
    ).first()
    return row.ref if row else None


def _promote_next(
    session: Session, *, entry: AwardEntry, rules: AwardsRules, today: date
) -> str | None:
    """The best-ranked reserve of the category takes the place, with its own short 公示."""
    reserves = session.exec(
        select(AwardEntry).where(
            AwardEntry.year == entry.year,
            AwardEntry.category == entry.category,
            AwardEntry.status == "reserve",
        )
    ).all()
    payload = promotion_payload(
        withdrawn=entry.ref, category=entry.category, reserves=[(r.ref, r.rank) for r in reserves]
    )
    digest = payload_digest(payload)
    keep_inputs(
        session,
        process=FLOW,
        year=entry.year,
        kind="promotion",
        digest=digest,
        payload=payload,
        rule_version=RULE_VERSION,
    )
    chosen = next_in_rank(payload["reserves"])
    reserve = next((r for r in reserves if r.ref == chosen), None)
    outcomes = promotion_outcome(withdrawn=entry.ref, category=entry.category, promoted=chosen)
    if reserve is None:
        vacant = f"{CATEGORIES[entry.category]}无可递补的排名提名，名额空缺（{RULE}）"
        record_outcomes(
            session,
            DECIDING,
            outcomes,
            dict.fromkeys(outcomes, vacant),
            year=entry.year,
            inputs_digest=digest,
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
    record_outcomes(
        session,
        DECIDING,
        outcomes,
        dict.fromkeys(outcomes, reserve.reason),
        year=entry.year,
        inputs_digest=digest,
    )
    profile = active_profile(session)
    for office, audience in offices_of(profile):
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
