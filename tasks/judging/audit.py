"""The opening of a scoring round (R11.2) as the audit re-derives it.

Pure: the eligible nominations, the awards rules (judges, k, seed) and the judges' codes a round
was opened on give back each judge's assignment and each nomination short of judges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.awards import NominationBase
from tasks.awards.rules import AwardsRules, plan_judges
from tasks.common.decisions import Outcomes, Rederived, payload_digest
from tasks.common.review import ReviewPlan

# Bump when the round's assignment rule changes what it decides.
RULE_VERSION = "R11.2-1"


def round_payload(
    *, eligible: Sequence[NominationBase], rules: AwardsRules, codes: Mapping[str, str]
) -> dict[str, Any]:
    """What opening a round reads; `codes` maps a judge's name to their 编号."""
    return {
        "rules": rules.model_dump(mode="json"),
        "eligible": sorted(
            (n.model_dump(mode="json") for n in eligible), key=lambda d: str(d["ref"])
        ),
        "codes": dict(sorted(codes.items())),
    }


def round_outcomes(plan: ReviewPlan, codes: Mapping[str, str]) -> Outcomes:
    """The decisions opening a round records: one per judge assigned, one per shortage."""
    outcomes: Outcomes = {}
    held: dict[str, list[str]] = {}
    for ref, name in plan.pairs:
        held.setdefault(name, []).append(ref)
    for name, refs in held.items():
        outcomes[(name, "judge_assigned")] = {"judge": codes[name], "refs": refs}
    for s in plan.shortages:
        outcomes[(s.ref, "judge_shortage")] = {"needed": s.needed, "available": s.available}
    return outcomes


def rederive_round(payload: dict[str, Any]) -> Rederived:
    rules = AwardsRules.model_validate(payload["rules"])
    eligible = [NominationBase.model_validate(n) for n in payload["eligible"]]
    plan = plan_judges(eligible, rules=rules)
    return Rederived(
        digest=payload_digest(payload),
        outcomes=round_outcomes(plan, payload["codes"]),
        seed=rules.seed,
    )
