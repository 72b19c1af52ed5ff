"""Reviewer assignment with conflict-of-interest recusal, judge calibration and seeded ranking.

Shared by the golden-ideas review (issue 3) and the learning awards (issue 5, R11.2): both have
items (ideas, nominations) that carry conflict keys ("street:嘉兴路街道", "unit:某单位",
"community:嘉兴一居委"), reviewers that carry their own keys, a rule that a reviewer never
reviews an item sharing a key with them, balanced reviewer loads, per-reviewer z-score calibration
of totals and a ranking whose ties fall to the raw mean and then to a seeded, recorded draw. Plain
typed functions, no Prefect and no database; callers record recusals, shortages and draws as
decisions.

Balance: the assignment is a min-cost flow whose reviewer arcs cost 1, 3, 5, … per unit (the convex
cost of load², scaled above every tie-break cost). The loads a bipartite assignment can reach form
an M-convex set, and a load vector minimising Σ load² on an M-convex set is decreasingly minimal:
it has the smallest possible maximum load and the largest possible minimum load at once (Frank &
Murota, "Discrete decreasing minimization", 2022). So max − min is as small as the conflicts
allow, and ≤ 1 when nobody is conflicted. The seed only chooses among equally balanced answers.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from ortools.graph.python import min_cost_flow
from pydantic import BaseModel, ConfigDict

KEY_LABELS = {"street": "街道", "unit": "单位", "community": "社区"}
TIE_SPREAD = 1000  # tie-break costs lie in [0, TIE_SPREAD); balance costs dominate all of them
ROUND = 9  # finals and raw means are compared to 9 decimals so float noise never breaks a tie


class Reviewer(BaseModel):
    """A reviewer (judge) and the conflict keys of their own street, unit, community."""

    model_config = ConfigDict(frozen=True)

    name: str
    conflicts: frozenset[str] = frozenset()


class ReviewItem(BaseModel):
    """An item to review (an idea, a nomination) and its conflict keys."""

    model_config = ConfigDict(frozen=True)

    ref: str
    conflicts: frozenset[str] = frozenset()


class Recusal(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    reviewer: str
    reason: str


class Shortage(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    needed: int
    available: int


class ReviewPlan(BaseModel):
    """Who reviews what: (ref, reviewer) pairs, every recusal, every item short of reviewers."""

    pairs: list[tuple[str, str]]
    recusals: list[Recusal]
    shortages: list[Shortage]

    def loads(self, reviewers: Sequence[Reviewer]) -> dict[str, int]:
        """Items per reviewer, zero for reviewers who got none."""
        counts = {r.name: 0 for r in reviewers}
        for _, name in self.pairs:
            counts[name] += 1
        return counts


class ScoreRow(BaseModel):
    """One reviewer's (already weighted) total for one item."""

    model_config = ConfigDict(frozen=True)

    ref: str
    reviewer: str
    total: float


class Calibrated(BaseModel):
    model_config = ConfigDict(frozen=True)

    final: float
    raw_mean: float
    n_valid: int
    flagged: bool


class RankedItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    rank: int
    final: float
    raw_mean: float
    draw: int | None


def describe_key(key: str) -> str:
    """ "street:嘉兴路街道" -> "街道「嘉兴路街道」" for reasons a clerk reads."""
    kind, _, value = key.partition(":")
    label = KEY_LABELS.get(kind)
    return f"{label}「{value}」" if label and value else f"「{key}」"


def _digest(*parts: object) -> int:
    text = ":".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def seeded_draw(*, seed: int, salt: str, ref: str) -> int:
    """The reproducible draw of one item: the first 8 bytes of sha256("seed:salt:ref")."""
    return _digest(seed, salt, ref)


def assign_reviewers(
    *,
    items: Sequence[ReviewItem],
    reviewers: Sequence[Reviewer],
    per_item: int,
    seed: int,
    rule: str = "R11.2",
) -> ReviewPlan:
    """Give each item `per_item` distinct reviewers it has no conflict with, loads balanced.

    An item with fewer eligible reviewers gets all of them and a Shortage entry. Every reviewer
    skipped for a shared key is a Recusal with a Chinese reason citing `rule`.
    """
    if per_item < 0:
        raise ValueError(f"per_item must be ≥ 0, got {per_item}")
    _unique([i.ref for i in items], "item ref")
    _unique([r.name for r in reviewers], "reviewer name")
    ordered = sorted(reviewers, key=lambda r: r.name)

    recusals: list[Recusal] = []
    shortages: list[Shortage] = []
    eligible: list[list[int]] = []
    for item in items:
        ok: list[int] = []
        for j, reviewer in enumerate(ordered):
            shared = sorted(item.conflicts & reviewer.conflicts)
            if shared:
                where = "、".join(describe_key(k) for k in shared)
                recusals.append(
                    Recusal(
                        ref=item.ref,
                        reviewer=reviewer.name,
                        reason=f"评委{reviewer.name}与{item.ref}同属{where}，按{rule}回避",
                    )
                )
            else:
                ok.append(j)
        eligible.append(ok)
        if len(ok) < per_item:
            shortages.append(Shortage(ref=item.ref, needed=per_item, available=len(ok)))

    needs = [min(per_item, len(ok)) for ok in eligible]
    slots = sum(needs)
    if slots == 0:
        return ReviewPlan(pairs=[], recusals=recusals, shortages=shortages)

    # every tie-break cost sum is < TIE_SPREAD * slots, so one unit of balance cost outweighs it
    unit = TIE_SPREAD * slots + 1
    n_items, n_rev = len(items), len(ordered)
    source, sink = n_items + n_rev, n_items + n_rev + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    for i, need in enumerate(needs):
        if need:
            flow.add_arc_with_capacity_and_unit_cost(source, i, need, 0)
    pair_arcs: list[tuple[int, int, int]] = []
    reach: dict[int, int] = defaultdict(int)
    for i, ok in enumerate(eligible):
        if not needs[i]:
            continue
        for j in ok:
            cost = _digest(seed, items[i].ref, ordered[j].name) % TIE_SPREAD
            arc = flow.add_arc_with_capacity_and_unit_cost(i, n_items + j, 1, cost)
            pair_arcs.append((arc, i, j))
            reach[j] += 1
    for j in range(n_rev):
        # the k-th item of a reviewer costs (2k − 1)·unit: Σ = load²·unit, convex in the load
        for k in range(1, min(reach[j], slots) + 1):
            flow.add_arc_with_capacity_and_unit_cost(n_items + j, sink, 1, (2 * k - 1) * unit)
    flow.set_node_supply(source, slots)
    flow.set_node_supply(sink, -slots)
    status = flow.solve()
    if status != flow.OPTIMAL:  # cannot happen: every item's need is within its eligible set
        raise RuntimeError(f"reviewer assignment failed with min-cost-flow status {status}")

    chosen: dict[int, list[str]] = defaultdict(list)
    for arc, i, j in pair_arcs:
        if flow.flow(arc):
            chosen[i].append(ordered[j].name)
    pairs = [(items[i].ref, name) for i in range(n_items) for name in sorted(chosen[i])]
    return ReviewPlan(pairs=pairs, recusals=recusals, shortages=shortages)


def _unique(values: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"duplicate {what}: {v}")
        seen.add(v)


def calibrate(
    *,
    rows: Sequence[ScoreRow],
    method: Literal["zscore", "raw"] = "zscore",
    min_scores: int = 1,
) -> dict[str, Calibrated]:
    """Per-item final scores from valid reviewer totals (R11.2 aggregation).

    zscore: each reviewer's totals become z = (total − that reviewer's mean) / that reviewer's
    population std (std 0 ⇒ z = 0); final = mean z over the item's rows. raw: final = raw mean.
    Items with fewer than `min_scores` rows are flagged. Recused rows must be removed beforehand.
    """
    if method not in ("zscore", "raw"):
        raise ValueError(f"unknown calibration method: {method}")
    by_reviewer: dict[str, list[float]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if not math.isfinite(row.total):
            raise ValueError(f"score of {row.reviewer} for {row.ref} is not a finite number")
        if (row.ref, row.reviewer) in seen:
            raise ValueError(f"{row.reviewer} scored {row.ref} twice")
        seen.add((row.ref, row.reviewer))
        by_reviewer[row.reviewer].append(row.total)
    stats: dict[str, tuple[float, float]] = {}
    for name, totals in by_reviewer.items():
        mean = math.fsum(totals) / len(totals)
        var = math.fsum((t - mean) ** 2 for t in totals) / len(totals)
        stats[name] = (mean, math.sqrt(var))

    z_by_item: dict[str, list[float]] = defaultdict(list)
    raw_by_item: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        mean, std = stats[row.reviewer]
        z_by_item[row.ref].append((row.total - mean) / std if std > 0 else 0.0)
        raw_by_item[row.ref].append(row.total)
    result: dict[str, Calibrated] = {}
    for ref, raws in raw_by_item.items():
        raw_mean = math.fsum(raws) / len(raws)
        zs = z_by_item[ref]
        final = math.fsum(zs) / len(zs) if method == "zscore" else raw_mean
        result[ref] = Calibrated(
            final=final, raw_mean=raw_mean, n_valid=len(raws), flagged=len(raws) < min_scores
        )
    return result


def rank_with_tiebreak(
    *, finals: dict[str, Calibrated], quota: int, seed: int, salt: str
) -> list[RankedItem]:
    """The first `quota` unflagged items by final desc, raw mean desc, then a seeded draw.

    Pass quota=len(finals) for the full order (e.g. to find the next in rank). `draw` is recorded
    only for items whose (final, raw mean) ties with another item's; the lower draw ranks first.
    Flagged items are left out; the caller lists them.
    """
    if quota < 0:
        raise ValueError(f"quota must be ≥ 0, got {quota}")
    keyed = {
        ref: (round(c.final, ROUND), round(c.raw_mean, ROUND))
        for ref, c in finals.items()
        if not c.flagged
    }
    groups: dict[tuple[float, float], int] = defaultdict(int)
    for key in keyed.values():
        groups[key] += 1
    draws = {
        ref: seeded_draw(seed=seed, salt=salt, ref=ref) if groups[key] > 1 else None
        for ref, key in keyed.items()
    }
    order = sorted(keyed, key=lambda ref: (-keyed[ref][0], -keyed[ref][1], draws[ref] or 0, ref))
    return [
        RankedItem(
            ref=ref,
            rank=position,
            final=finals[ref].final,
            raw_mean=finals[ref].raw_mean,
            draw=draws[ref],
        )
        for position, ref in enumerate(order[:quota], start=1)
    ]
