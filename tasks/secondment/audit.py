"""The secondment's decisions as the audit re-derives them (R10.2).

Pure: a recorded snapshot in, the outcome of every decision it gave out. The records side writes
the same outcomes (`placement_outcomes`, `replacement_outcome`) when it decides, so a decision
and its re-derivation are compared field for field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.secondment import TeacherBase
from tasks.common.decisions import Outcomes, Rederived, payload_digest
from tasks.secondment.rules import (
    Placement,
    Proposal,
    SecondmentRules,
    choose_replacement,
    inputs_digest,
    screen,
)
from tasks.secondment.solver import DEFAULT_TIME_LIMIT, select_candidates


def roster_rows(roster: Sequence[TeacherBase]) -> list[dict[str, Any]]:
    """The roster as the snapshot keeps it (no phone numbers: no rule reads them)."""
    return sorted(
        (t.model_dump(mode="json", exclude={"phone"}) for t in roster),
        key=lambda row: str(row["staff_id"]),
    )


def _roster(payload: dict[str, Any]) -> list[TeacherBase]:
    return [TeacherBase.model_validate(row) for row in payload["roster"]]


def placement_payload(roster: Sequence[TeacherBase], rules: SecondmentRules) -> dict[str, Any]:
    return {"rules": rules.model_dump(mode="json"), "roster": roster_rows(roster)}


def placement_outcomes(proposal: Proposal) -> Outcomes:
    """Eligibility of each teacher, each selection, and the placement as a whole."""
    outcomes: Outcomes = {
        (f"proposal-{proposal.inputs_digest}", "placement"): {
            "assignments": sorted([p.staff_id, p.street] for p in proposal.placements),
            "total_score": proposal.total_score,
            "proof": proposal.proof,
        }
    }
    for p in proposal.placements:
        outcomes[(p.staff_id, "selected")] = {"street": p.street, "score": p.score}
    for item in proposal.ineligible:
        outcomes[(item.staff_id, "ineligible")] = {"reasons": list(item.reasons)}
    return outcomes


def rederive_placement(payload: dict[str, Any]) -> Rederived:
    rules = SecondmentRules.model_validate(payload["rules"])
    roster = _roster(payload)
    proposal = select_candidates(roster, rules=rules, time_limit=DEFAULT_TIME_LIMIT)
    return Rederived(digest=inputs_digest(roster, rules), outcomes=placement_outcomes(proposal))


def replacement_payload(
    *,
    roster: Sequence[TeacherBase],
    rules: SecondmentRules,
    active: Sequence[Placement],
    unavailable: set[str],
    street: str,
    leaving_backbone: bool,
    decliner: str,
) -> dict[str, Any]:
    """Everything the choice of a replacement reads: the roster and the placements left."""
    return {
        "rules": rules.model_dump(mode="json"),
        "roster": roster_rows(roster),
        "active": [
            {"staff_id": p.staff_id, "school": p.school, "street": p.street, "backbone": p.backbone}
            for p in sorted(active, key=lambda p: p.staff_id)
        ],
        "unavailable": sorted(unavailable),
        "street": street,
        "leaving_backbone": leaving_backbone,
        "decliner": decliner,
    }


def replacement_outcome(*, staff_id: str, street: str, score: float) -> Outcomes:
    return {(staff_id, "replacement"): {"street": street, "score": score}}


def rederive_replacement(payload: dict[str, Any]) -> Rederived:
    rules = SecondmentRules.model_validate(payload["rules"])
    candidates, _ = screen(_roster(payload), rules=rules)
    active = [
        Placement(
            staff_id=a["staff_id"],
            name="",
            school=a["school"],
            street=a["street"],
            merit=0.0,
            score=0.0,
            preferred=False,
            backbone=a["backbone"],
            reason="",
        )
        for a in payload["active"]
    ]
    chosen, score = choose_replacement(
        candidates,
        active=active,
        street=payload["street"],
        leaving_backbone=payload["leaving_backbone"],
        unavailable=set(payload["unavailable"]),
        rules=rules,
    )
    return Rederived(
        digest=payload_digest(payload),
        outcomes=replacement_outcome(
            staff_id=chosen.staff_id, street=payload["street"], score=score
        ),
    )
