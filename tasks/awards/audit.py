"""The awards' decisions as the audit re-derives them (R11.2).

Pure: the nominations, scores and rules a list was proposed on give back eligibility, recusals,
judge shortages, flagged nominations, ranks and tie-break draws; the reserves left when an
objection was upheld give back the promotion. The records side writes these same outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.awards import AwardScoreBase, NominationBase
from tasks.awards.rules import AwardsProposal, AwardsRules, inputs_digest, propose
from tasks.common.decisions import Outcomes, Rederived, payload_digest


def list_payload(
    nominations: Sequence[NominationBase], scores: Sequence[AwardScoreBase], rules: AwardsRules
) -> dict[str, Any]:
    return {
        "rules": rules.model_dump(mode="json"),
        "nominations": sorted(
            (n.model_dump(mode="json") for n in nominations), key=lambda d: str(d["ref"])
        ),
        # in the order they were read: the calibration sums them in this order
        "scores": [s.model_dump(mode="json") for s in scores],
    }


def list_outcomes(proposal: AwardsProposal) -> Outcomes:
    """Every automated decision of a proposed list, by (subject, kind)."""
    outcomes: Outcomes = {}
    for e in proposal.entries:
        outcomes[(e.ref, e.status)] = {
            "category": e.category,
            "rank": e.rank,
            "final": e.final,
            "raw_mean": e.raw_mean,
            "n_valid": e.n_valid,
            "draw": e.draw,
        }
    for f in proposal.flagged:
        outcomes[(f.ref, "flagged")] = {"category": f.category, "n_valid": f.n_valid}
    for i in proposal.ineligible:
        outcomes[(i.ref, "ineligible")] = {"reasons": list(i.reasons)}
    for r in proposal.recused:
        outcomes[(f"{r.ref}/{r.reviewer}", "recused")] = {"judge": r.reviewer, "reason": r.reason}
    for s in proposal.shortages:
        outcomes[(s.ref, "judge_shortage")] = {"needed": s.needed, "available": s.available}
    return outcomes


def rederive_list(payload: dict[str, Any]) -> Rederived:
    rules = AwardsRules.model_validate(payload["rules"])
    nominations = [NominationBase.model_validate(n) for n in payload["nominations"]]
    scores = [AwardScoreBase.model_validate(s) for s in payload["scores"]]
    proposal = propose(nominations, scores, rules=rules)
    return Rederived(
        digest=inputs_digest(nominations, scores, rules),
        outcomes=list_outcomes(proposal),
        seed=rules.seed,
    )


def promotion_payload(
    *, withdrawn: str, category: str, reserves: Sequence[tuple[str, int | None]]
) -> dict[str, Any]:
    """The reserves of the category (ref, rank) when an upheld objection withdrew an entry."""
    return {
        "withdrawn": withdrawn,
        "category": category,
        "reserves": sorted([ref, rank] for ref, rank in reserves),
    }


def next_in_rank(reserves: Sequence[Sequence[Any]]) -> str | None:
    """The best-ranked reserve (an unranked one last; equal ranks: the smaller ref)."""
    ranked = sorted(reserves, key=lambda r: (r[1] is None, r[1] or 0, r[0]))
    return str(ranked[0][0]) if ranked else None


def promotion_outcome(*, withdrawn: str, category: str, promoted: str | None) -> Outcomes:
    if promoted is None:
        return {(withdrawn, "no_reserve"): {"category": category}}
    return {(promoted, "promoted"): {"category": category, "replaces": withdrawn}}


def rederive_promotion(payload: dict[str, Any]) -> Rederived:
    promoted = next_in_rank(payload["reserves"])
    return Rederived(
        digest=payload_digest(payload),
        outcomes=promotion_outcome(
            withdrawn=payload["withdrawn"], category=payload["category"], promoted=promoted
        ),
    )
