"""The audit's database side: read a year's decisions and the snapshots they were made on."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from models.audit import Decision, DecisionInputs
from models.db import session_scope
from tasks.audit.reports import lines
from tasks.audit.rules import AuditResult, RecordedDecision, Snapshot, compare
from tasks.common.decisions import payload_digest
from tasks.common.district import active_profile
from tasks.notify.protocol import OPERATOR_TAG
from tasks.notify.render import render
from tasks.notify.staging import stage_message

FLOW = "audit"


def load_year(year: int) -> tuple[list[RecordedDecision], list[Snapshot]]:
    """Every decision of the year and every snapshot one of them names (one read)."""
    with session_scope() as session:
        rows = session.exec(
            select(Decision)
            .where(Decision.year == year)
            .order_by(col(Decision.process), col(Decision.id))
        ).all()
        decisions = [RecordedDecision.model_validate(r.model_dump()) for r in rows]
        digests = sorted({d.inputs_digest for d in decisions if d.inputs_digest})
        snapshots = (
            session.exec(
                select(DecisionInputs).where(col(DecisionInputs.digest).in_(digests))
            ).all()
            if digests
            else []
        )
        return decisions, [Snapshot.model_validate(s.model_dump()) for s in snapshots]


def audit_year(year: int) -> AuditResult:
    """Re-derive every automated decision of the year and compare (reads only)."""
    decisions, snapshots = load_year(year)
    return compare(year=year, decisions=decisions, snapshots=snapshots)


def tell_operator(result: AuditResult, *, today: date) -> int | None:
    """Stage one message to the operator the profile names about these differences.

    Returns the message id, or None when the profile names nobody, nothing differs, or the same
    differences were already told (the message key carries their fingerprint).
    """
    if result.ok:
        return None
    with session_scope() as session:
        profile = active_profile(session)
        operator = profile.audit.operator
        if not operator:
            return None
        found = lines(result)
        fingerprint = payload_digest({"differences": found})
        title, body = render(
            "audit_differences",
            year=result.year,
            count=len(found),
            operator=operator,
            checked_on=today,
            lines=found,
            contact=profile.contacts.centre,
        )
        message = stage_message(
            session,
            flow=FLOW,
            year=result.year,
            kind=f"differences-{fingerprint}",
            recipient=OPERATOR_TAG,
            audience=OPERATOR_TAG,
            title=title,
            body=body,
        )
        if message is None:
            return None
        session.flush()
        return message.id
