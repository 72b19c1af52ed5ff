"""A teacher who cannot take up a placement: the decline and its replacement (R10.2).

One transaction records the decline, places the next-best teacher on the same street and
stages the notices; declining twice returns the first replacement.
"""

from __future__ import annotations

from sqlmodel import select

from models.audit import Decision
from models.db import session_scope
from models.refusal import Refusal
from models.results.secondment import (
    DeclineOutcome,
)
from models.secondment import Assignment, SecondmentRound, Teacher, TeacherBase
from models.timeutil import utcnow
from tasks.common.decisions import keep_inputs, payload_digest, record_outcomes
from tasks.common.district import active_profile
from tasks.notify.render import render
from tasks.notify.staging import stage_message
from tasks.secondment.audit import (
    replacement_outcome,
    replacement_payload,
)
from tasks.secondment.records import DECIDING, FLOW, RULE, stage_placement_messages
from tasks.secondment.rules import (
    RULE_VERSION,
    Placement,
    SecondmentRules,
    choose_replacement,
    points,
    replacement_placement,
    screen,
)


class DeclineError(Refusal):
    """A decline that cannot be recorded (unknown teacher, not placed this year, …)."""


def decline_and_replace(*, year: int, staff_id: str, reason: str = "") -> DeclineOutcome:
    """Record a decline and place the next-best teacher on that street, in one transaction.

    Declining twice is a no-op that returns the first replacement.
    """
    with session_scope() as session:
        rnd = session.get(SecondmentRound, year)
        if rnd is None:
            raise DeclineError(f"{year}年度尚无已批准的挂职选派方案，无法登记不能到岗")
        declined = session.exec(
            select(Assignment).where(Assignment.year == year, Assignment.staff_id == staff_id)
        ).first()
        if declined is None:
            raise DeclineError(f"工号 {staff_id} 不在{year}年度的挂职选派名单中")
        if declined.status == "declined":
            again = session.exec(
                select(Assignment).where(Assignment.year == year, Assignment.replaces == staff_id)
            ).first()
            return DeclineOutcome(
                year=year,
                declined=staff_id,
                street=declined.street,
                replacement=again.staff_id if again else None,
                already_recorded=True,
            )
        rules = SecondmentRules.model_validate(rnd.parameters)
        roster = [
            TeacherBase.model_validate(t.model_dump()) for t in session.exec(select(Teacher)).all()
        ]
        candidates, _ = screen(roster, rules=rules)
        rows = session.exec(select(Assignment).where(Assignment.year == year)).all()
        active = [
            Placement(
                staff_id=a.staff_id,
                name="",
                school=a.school,
                street=a.street,
                merit=a.merit,
                score=a.score,
                preferred=a.preferred,
                backbone=a.backbone,
                reason=a.reason,
            )
            for a in rows
            if a.status == "active" and a.staff_id != staff_id
        ]
        unavailable = {a.staff_id for a in rows}  # decliners and everyone placed this year
        chosen, score = choose_replacement(
            candidates,
            active=active,
            street=declined.street,
            leaving_backbone=declined.backbone,
            unavailable=unavailable,
            rules=rules,
        )
        teacher_names = {t.staff_id: t.name for t in roster}
        placement = replacement_placement(
            chosen, street=declined.street, score=score, decliner=staff_id, rules=rules
        )
        declined.status = "declined"
        declined.decline_reason = reason
        declined.declined_at = utcnow()
        session.add(declined)
        session.add(
            Assignment(
                year=year,
                staff_id=chosen.staff_id,
                street=declined.street,
                school=chosen.school,
                score=score,
                merit=points(chosen.merit),
                preferred=placement.preferred,
                backbone=chosen.backbone,
                replaces=staff_id,
                reason=placement.reason,
            )
        )
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=staff_id,
                kind="declined",
                rule=RULE,
                reason=f"本人不能到岗：{reason or '未说明'}",
            )
        )
        payload = replacement_payload(
            roster=roster,
            rules=rules,
            active=active,
            unavailable=unavailable,
            street=declined.street,
            leaving_backbone=declined.backbone,
            decliner=staff_id,
        )
        digest = payload_digest(payload)
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind="replacement",
            digest=digest,
            payload=payload,
            rule_version=RULE_VERSION,
        )
        outcomes = replacement_outcome(
            staff_id=chosen.staff_id, street=declined.street, score=score
        )
        record_outcomes(
            session,
            DECIDING,
            outcomes,
            dict.fromkeys(outcomes, placement.reason),
            year=year,
            inputs_digest=digest,
        )
        reply_by = stage_placement_messages(
            session, year=year, placements=[placement], replaces={chosen.staff_id: staff_id}
        )
        # the street hears who cannot come and who comes instead; the reason stays on record
        title, body = render(
            "secondment_declined",
            year=year,
            street=declined.street,
            decliner_name=teacher_names.get(staff_id, staff_id),
            replacement_name=chosen.name,
            replacement_school=chosen.school,
            reply_by=reply_by,
            contact=active_profile(session).contacts.centre,
        )
        stage_message(
            session,
            flow=FLOW,
            year=year,
            kind="declined",
            recipient=staff_id,
            audience=f"street-{declined.street}",
            title=title,
            body=body,
        )
        return DeclineOutcome(
            year=year,
            declined=staff_id,
            street=declined.street,
            replacement=chosen.staff_id,
            score=score,
            reason=placement.reason,
        )
