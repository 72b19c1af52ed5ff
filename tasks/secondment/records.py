"""Database side of the secondment: roster in, signed-off decision and its messages out (R10.2).

Each public function is one transaction, so a retry or a re-run never half-writes a decision.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models.audit import Decision
from models.db import session_scope
from models.params.secondment import SecondmentParameters
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.results.secondment import (
    DeclinedTeacher,
    IneligibleTeacher,
    SecondedTeacher,
    SecondmentResult,
)
from models.secondment import Assignment, SecondmentRound, Teacher, TeacherBase
from models.timeutil import utcnow
from tasks.common import clock, links
from tasks.common.decisions import DecidingRule, keep_inputs, record_outcomes
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import message_key, stage_message
from tasks.secondment.audit import (
    placement_outcomes,
    placement_payload,
)
from tasks.secondment.rules import (
    RULE_VERSION,
    Placement,
    Proposal,
    SecondmentRules,
    inputs_digest,
    placement_reason,
)

FLOW = "secondment"
RULE = "R10.2"
DECIDING = DecidingRule(FLOW, RULE, RULE_VERSION)


def load_roster() -> list[TeacherBase]:
    """Every teacher on file, as plain records (the snapshot the decision is made on)."""
    with session_scope() as session:
        rows = session.exec(select(Teacher).order_by(col(Teacher.staff_id))).all()
        return [TeacherBase.model_validate(row.model_dump()) for row in rows]


def resolve_rules(params: SecondmentParameters) -> SecondmentRules:
    """The year's rules: the run's overrides on top of the district profile in force."""
    with session_scope() as session:
        profile = active_profile(session)
    policy = profile.secondment
    quotas = params.quotas if params.quotas is not None else profile.secondment_quotas()
    unknown = sorted(set(quotas) - set(profile.street_names))
    if unknown:
        raise Refusal(f"各街道名额中有区情配置里没有的街道：{'、'.join(unknown)}")

    def pick(value: Any, default: Any) -> Any:
        return default if value is None else value

    return SecondmentRules(
        year=params.year or clock.this_year(profile),
        quotas={s: n for s, n in quotas.items() if n > 0},
        min_years=pick(params.min_years, policy.min_years),
        cooldown_years=pick(params.cooldown_years, policy.cooldown_years),
        max_per_school=pick(params.max_per_school, policy.max_per_school),
        min_backbone_share=pick(params.min_backbone_share, policy.min_backbone_share),
        preference_bonus=pick(params.preference_bonus, policy.preference_bonus),
        weights=pick(params.weights, policy.weights),
        exclude=tuple(sorted(set(params.exclude))),
    )


def round_result(year: int) -> SecondmentResult | None:
    """The signed-off result of a year (what `secondment --json` prints), or None."""
    with session_scope() as session:
        rnd = session.get(SecondmentRound, year)
        if rnd is None:
            return None
        rows = session.exec(
            select(Assignment).where(Assignment.year == year).order_by(col(Assignment.id))
        ).all()
        active = [a for a in rows if a.status == "active"]
        return SecondmentResult(
            year=year,
            status="approved",
            comment=rnd.comment,
            assignments=[SecondedTeacher.model_validate(a.model_dump()) for a in active],
            total_score=round(sum(a.score for a in active), 3),
            ineligible=[IneligibleTeacher.model_validate(i) for i in rnd.ineligible],
            declined=[
                DeclinedTeacher(staff_id=a.staff_id, street=a.street, reason=a.decline_reason)
                for a in rows
                if a.status == "declined"
            ],
        )


def _reply_by(session: Session, profile: DistrictProfile) -> date:
    """The day a teacher notified today reports (or says why not) by: working days from today."""
    return work_calendar(session).add_working_days(
        clock.today(profile), profile.secondment.report_within_days
    )


def stage_placement_messages(
    session: Session, *, year: int, placements: list[Placement], replaces: dict[str, str]
) -> date:
    """Queue the teacher, school and street notices for these placements (same transaction).

    Returns the day the teachers report by. A replacement's notices say it replaces someone,
    never whom: the teacher, the school and the street learn the place, not the decliner.
    """
    profile = active_profile(session)
    contact, reply_by = profile.contacts.centre, _reply_by(session, profile)
    for p in placements:
        link = links.ask_in_message(
            session,
            message_key=message_key(flow=FLOW, year=year, kind="selected", recipient=p.staff_id),
            purpose="secondment",
            year=year,
            recipient=p.staff_id,
            subject=p.street,
            audience=f"teacher-{p.staff_id}",
            deadline=clock.end_of_day(reply_by, profile),
            details={
                "recipient_name": p.name,
                "title": f"{year}年度社区教育助理",
                "year": year,
                "street": p.street,
                "school": p.school,
            },
        )
        title, body = render(
            "secondment_teacher_selected",
            year=year,
            name=p.name,
            street=p.street,
            replaces=bool(replaces.get(p.staff_id)),
            reply_by=reply_by,
            contact=contact,
            link=link,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind="selected",
            recipient=p.staff_id,
            audience=f"teacher-{p.staff_id}",
            title=title,
            body=body,
        )
    kind = "replacement" if replaces else "selected"
    for group_key, audience_prefix in (("school", "school"), ("street", "street")):
        groups: dict[str, list[dict[str, Any]]] = {}
        for p in placements:
            entry = {**p.model_dump(), "replaces": bool(replaces.get(p.staff_id))}
            groups.setdefault(getattr(p, group_key), []).append(entry)
        for name, members in groups.items():
            title, body = render(
                f"secondment_{group_key}",
                year=year,
                placements=members,
                school=name,
                street=name,
                reply_by=reply_by,
                contact=contact,
            )
            recipient = name if not replaces else f"{name}:{'+'.join(sorted(replaces))}"
            stage_message(
                session,
                flow=FLOW,
                year=year,
                kind=f"{kind}-{group_key}",
                recipient=recipient,
                audience=f"{audience_prefix}-{name}",
                title=title,
                body=body,
            )
    return reply_by


def record_approval(
    *, proposal: Proposal, rules: SecondmentRules, operator: str, comment: str
) -> bool:
    """Store the signed-off proposal, its reasons and its messages in one transaction.

    Returns False (and writes nothing) when the year is already signed off: re-runs are no-ops.
    """
    year = proposal.year
    with session_scope() as session:
        if session.get(SecondmentRound, year) is not None:
            return False
        session.add(
            SecondmentRound(
                year=year,
                approved_by=operator,
                comment=comment,
                total_score=proposal.total_score,
                inputs_digest=proposal.inputs_digest,
                parameters=rules.model_dump(mode="json"),
                ineligible=[i.model_dump() for i in proposal.ineligible],
            )
        )
        session.flush()
        roster = [
            TeacherBase.model_validate(t.model_dump()) for t in session.exec(select(Teacher)).all()
        ]
        if inputs_digest(roster, rules) != proposal.inputs_digest:
            raise Refusal(
                "教师名册在方案提出后已有变动，请重新生成方案后再审批，本次未写入任何内容"
            )
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind="placement",
            digest=proposal.inputs_digest,
            payload=placement_payload(roster, rules),
            rule_version=RULE_VERSION,
        )
        outcomes = placement_outcomes(proposal)
        reasons = {p.staff_id: p.reason for p in proposal.placements}
        reasons |= {i.staff_id: "；".join(i.reasons) for i in proposal.ineligible}
        reasons[f"proposal-{proposal.inputs_digest}"] = placement_reason(proposal)
        for p in proposal.placements:
            session.add(
                Assignment(
                    year=year,
                    staff_id=p.staff_id,
                    street=p.street,
                    school=p.school,
                    score=p.score,
                    merit=p.merit,
                    preferred=p.preferred,
                    backbone=p.backbone,
                    reason=p.reason,
                )
            )
        record_outcomes(
            session,
            DECIDING,
            outcomes,
            {key: reasons[key[0]] for key in outcomes},
            year=year,
            inputs_digest=proposal.inputs_digest,
        )
        stage_placement_messages(session, year=year, placements=proposal.placements, replaces={})
    return True


def record_rejection(*, proposal: Proposal, operator: str, comment: str) -> SecondmentResult:
    """Keep the operator's rejection of a proposal on record; nothing else is written.

    Returns the rejected year's result: nobody placed, the proposal's ineligible teachers."""
    with session_scope() as session:
        subject = f"proposal-{proposal.inputs_digest}"
        existing = session.exec(
            select(Decision).where(
                Decision.process == FLOW,
                Decision.year == proposal.year,
                Decision.subject == subject,
                Decision.kind == "rejected",
            )
        ).first()
        reason = f"{operator or '经办人员'}退回方案：{comment or '（无意见）'}"
        if existing is None:
            session.add(
                Decision(
                    process=FLOW,
                    year=proposal.year,
                    subject=subject,
                    kind="rejected",
                    rule=RULE,
                    reason=reason,
                    inputs_digest=proposal.inputs_digest,
                )
            )
        else:
            existing.reason = reason
            existing.decided_at = utcnow()
    return SecondmentResult(
        year=proposal.year,
        status="rejected",
        comment=comment,
        total_score=proposal.total_score,
        ineligible=[IneligibleTeacher.model_validate(i.model_dump()) for i in proposal.ineligible],
    )


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's secondment not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)


def teacher_phones(staff_ids: list[str]) -> dict[str, str]:
    """Phones of these teachers (to be masked by whoever shows them)."""
    with session_scope() as session:
        rows = session.exec(select(Teacher).where(col(Teacher.staff_id).in_(staff_ids))).all()
        return {t.staff_id: t.phone for t in rows}
