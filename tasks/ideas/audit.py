"""The golden-idea decisions (R7.3) as the audit re-derives them.

Pure: a rejected submission's text and the profile's screening rules give back its rejection; the
screened ideas' keys, the clerk's active merges and unmerges, the reviewers' totals and the seed
give back the clusters, each representative's rank and tier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.ideas import IdeaClusterEdit
from models.profile.ideas import IdeasPolicy
from tasks.common.decisions import Outcomes, Rederived, payload_digest
from tasks.common.dedup import cluster_keys
from tasks.common.review import ScoreRow, calibrate, rank_with_tiebreak
from tasks.ideas.screening import apply_edits, screen_idea

# Bump when screening, clustering or ranking changes what it decides.
RULE_VERSION = "R7.3-1"

SCREENING_FIELDS = ("min_key_chars", "spam_keywords", "categories")


def screening_payload(
    *, ref: str, title: str, content: str, policy: IdeasPolicy, chosen: str = ""
) -> dict[str, Any]:
    """What screening one idea reads: its text, the category code its submitter chose (only
    when one was: the inputs of an idea without one are as they always were) and the profile's
    screening rules."""
    rules = policy.model_dump(mode="json", include=set(SCREENING_FIELDS))
    payload = {"ref": ref, "title": title, "content": content, "policy": rules}
    return {**payload, "chosen": chosen} if chosen else payload


def screening_outcome(*, status: str, reason: str) -> dict[str, Any]:
    return {"status": status, "reason": reason}


def rederive_screening(payload: dict[str, Any]) -> Rederived:
    policy = IdeasPolicy.model_validate(payload["policy"])
    found = screen_idea(
        title=payload["title"],
        content=payload["content"],
        policy=policy,
        chosen=payload.get("chosen", ""),
    )
    outcomes: Outcomes = {}
    if found.status == "rejected":
        outcomes[(payload["ref"], "rejected")] = screening_outcome(
            status=found.status, reason=found.reason
        )
    return Rederived(digest=payload_digest(payload), outcomes=outcomes)


def ranking_payload(
    *,
    year: int,
    seed: int,
    method: str,
    keys: Mapping[str, str],
    edits: Sequence[IdeaClusterEdit],
    scores: Sequence[ScoreRow],
    policy: IdeasPolicy,
) -> dict[str, Any]:
    """What clustering and ranking a year read (screened ideas' keys by ref, in ref order)."""
    return {
        "year": year,
        "seed": seed,
        "method": method,
        "threshold": policy.similarity_threshold,
        "keys": {ref: keys[ref] for ref in sorted(keys)},
        "edits": [{"action": e.action, "ref": e.ref, "target": e.target} for e in edits],
        "scores": sorted([s.ref, s.reviewer, s.total] for s in scores),
        "tiers": dict(policy.tiers),
    }


def clusters_of(payload: Mapping[str, Any]) -> list[list[str]]:
    """The automatic clusters of the keys with the clerk's edits replayed (as `year_clusters`)."""
    refs = list(payload["keys"])
    found = cluster_keys([payload["keys"][r] for r in refs], threshold=payload["threshold"])
    auto = [[refs[i] for i in members] for members in found.clusters]
    edits = [
        IdeaClusterEdit(
            year=payload["year"], action=e["action"], ref=e["ref"], target=e["target"], reason=""
        )
        for e in payload["edits"]
    ]
    return apply_edits(auto, edits)


def result_outcome(*, members: Sequence[str], rank: int | None, tier: str) -> dict[str, Any]:
    return {"members": list(members), "rank": rank, "tier": tier}


def rederive_ranking(payload: dict[str, Any]) -> Rederived:
    clusters = clusters_of(payload)
    reps = {members[0] for members in clusters}
    rows = [
        ScoreRow(ref=ref, reviewer=reviewer, total=total)
        for ref, reviewer, total in payload["scores"]
        if ref in reps
    ]
    raw = payload["method"] == "raw"
    finals = calibrate(rows=rows, method="raw" if raw else "zscore", min_scores=1)
    tiers: dict[str, int] = payload["tiers"]
    ranked = rank_with_tiebreak(
        finals=finals,
        quota=sum(tiers.values()),
        seed=payload["seed"],
        salt=f"ideas-{payload['year']}",
    )
    cuts = [tier for tier, count in tiers.items() for _ in range(count)]
    by_rep = {r.ref: r for r in ranked}
    outcomes: Outcomes = {}
    for members in clusters:
        got = by_rep.get(members[0])
        outcomes[(members[0], "result")] = result_outcome(
            members=members,
            rank=got.rank if got else None,
            tier=cuts[got.rank - 1] if got else "",
        )
    return Rederived(digest=payload_digest(payload), outcomes=outcomes, seed=payload["seed"])
