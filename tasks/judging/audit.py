"""The scoring round's decisions (R11.2, R7.3) as the audit re-derives them.

Pure: the eligible nominations, the awards rules (judges, k, seed) and the judges' codes a round
was opened on give back each judge's assignment and each nomination short of judges; the
candidates, loads and seed of a reassignment after a declared conflict give back who takes it;
the nominations, scores and k a round was closed on give back the nominations short of scores.
An ideas round (R7.3) is re-derived from its representatives, reviewers, k and seed, and its
closing from the pairs assigned and the pairs scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from models.awards import AwardScoreBase, NominationBase
from tasks.awards.rules import AwardsRules, aggregate, plan_judges, screen
from tasks.common.decisions import Outcomes, Rederived, payload_digest
from tasks.common.review import Reviewer, ReviewItem, ReviewPlan, assign_reviewers
from tasks.ideas.screening import RULE as IDEAS_RULE
from tasks.judging.rules import Candidate, next_judge, short_items

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


def ideas_round_payload(
    *,
    items: Sequence[ReviewItem],
    reviewers: Sequence[Reviewer],
    per_item: int,
    seed: int,
    codes: Mapping[str, str],
) -> dict[str, Any]:
    """What opening an ideas round reads: the representatives and reviewers with their
    conflict keys, k, the campaign's seed and the reviewers' codes by name."""
    return {
        "items": [{"ref": i.ref, "conflicts": sorted(i.conflicts)} for i in items],
        "reviewers": [{"name": r.name, "conflicts": sorted(r.conflicts)} for r in reviewers],
        "per_item": per_item,
        "seed": seed,
        "codes": dict(sorted(codes.items())),
    }


def rederive_ideas_round(payload: dict[str, Any]) -> Rederived:
    plan = assign_reviewers(
        items=[
            ReviewItem(ref=i["ref"], conflicts=frozenset(i["conflicts"])) for i in payload["items"]
        ],
        reviewers=[
            Reviewer(name=r["name"], conflicts=frozenset(r["conflicts"]))
            for r in payload["reviewers"]
        ],
        per_item=payload["per_item"],
        seed=payload["seed"],
        rule=IDEAS_RULE,
    )
    return Rederived(
        digest=payload_digest(payload),
        outcomes=round_outcomes(plan, payload["codes"]),
        seed=payload["seed"],
    )


def reassignment_payload(
    *,
    ref: str,
    declined_by: str,
    item_conflicts: frozenset[str],
    candidates: Sequence[Candidate],
    excluded: Iterable[str],
    load_limit: int,
    seed: int,
    names: Mapping[str, str],
) -> dict[str, Any]:
    """What a reassignment after a declared conflict reads; `names` maps 编号 to name."""
    return {
        "ref": ref,
        "declined_by": declined_by,
        "item_conflicts": sorted(item_conflicts),
        "candidates": [
            {"code": c.code, "conflicts": sorted(c.conflicts), "load": c.load} for c in candidates
        ],
        "excluded": sorted(set(excluded)),
        "load_limit": load_limit,
        "seed": seed,
        "names": dict(sorted(names.items())),
    }


def reassignment_outcome(
    *, ref: str, declined_by: str, chosen: str | None, names: Mapping[str, str]
) -> tuple[str, str, dict[str, Any]]:
    """(subject, kind, outcome) of a reassignment: the judge who takes it, or a shortage."""
    if chosen is None:
        return ref, f"judge_shortage_{declined_by}", {"replaces": declined_by}
    return f"{ref}/{names[chosen]}", "reassigned", {"judge": chosen, "replaces": declined_by}


def rederive_reassignment(payload: dict[str, Any]) -> Rederived:
    chosen = next_judge(
        ref=payload["ref"],
        item_conflicts=frozenset(payload["item_conflicts"]),
        candidates=[
            Candidate(code=c["code"], conflicts=frozenset(c["conflicts"]), load=c["load"])
            for c in payload["candidates"]
        ],
        excluded=payload["excluded"],
        load_limit=payload["load_limit"],
        seed=payload["seed"],
    )
    subject, kind, outcome = reassignment_outcome(
        ref=payload["ref"],
        declined_by=payload["declined_by"],
        chosen=chosen,
        names=payload["names"],
    )
    return Rederived(
        digest=payload_digest(payload), outcomes={(subject, kind): outcome}, seed=payload["seed"]
    )


def count_valid(
    nominations: Sequence[NominationBase], scores: Sequence[AwardScoreBase], rules: AwardsRules
) -> tuple[dict[str, int], dict[str, str]]:
    """Valid scores per eligible nomination (the awards' aggregation: recused rows dropped),
    and each nomination's category."""
    eligible, _ = screen(nominations, rules=rules)
    finals = aggregate(eligible, scores, rules=rules).finals
    return {ref: c.n_valid for ref, c in finals.items()}, {n.ref: n.category for n in eligible}


def deadline_outcomes(valid: Mapping[str, int], *, per_item: int, deadline: date) -> Outcomes:
    """One decision per nomination short of k valid scores when the deadline passed."""
    return {
        (ref, f"scores_short_{deadline.isoformat()}"): {"n_valid": valid[ref], "per_item": per_item}
        for ref in short_items(valid, per_item=per_item)
    }


def ideas_valid(payload: Mapping[str, Any]) -> dict[str, int]:
    """Valid scores per representative of an ideas round: scores of reviewers holding it."""
    assigned = {tuple(pair) for pair in payload["assigned"]}
    valid = dict.fromkeys(payload["refs"], 0)
    for ref, reviewer in payload["scored"]:
        if (ref, reviewer) in assigned:
            valid[ref] += 1
    return valid


def rederive_ideas_deadline(payload: dict[str, Any]) -> Rederived:
    outcomes = deadline_outcomes(
        ideas_valid(payload),
        per_item=payload["per_item"],
        deadline=date.fromisoformat(payload["deadline"]),
    )
    return Rederived(digest=payload_digest(payload), outcomes=outcomes)


def rederive_deadline(payload: dict[str, Any]) -> Rederived:
    valid, _ = count_valid(
        [NominationBase.model_validate(n) for n in payload["nominations"]],
        [AwardScoreBase.model_validate(s) for s in payload["scores"]],
        AwardsRules.model_validate(payload["rules"]),
    )
    outcomes = deadline_outcomes(
        valid, per_item=payload["per_item"], deadline=date.fromisoformat(payload["deadline"])
    )
    return Rederived(digest=payload_digest(payload), outcomes=outcomes)
