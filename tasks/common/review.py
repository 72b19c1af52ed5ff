"""Reviewer assignment with conflict-of-interest recusal, judge calibration and seeded ranking.

Shared by the golden-ideas review (R7.3) and the learning awards (R11.2): both have
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

import numpy as np
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
    by_key: dict[str, set[int]] = defaultdict(set)  # conflict key -> reviewers holding it
    for j, reviewer in enumerate(ordered):
        for key in reviewer.conflicts:
            by_key[key].add(j)
    everyone = range(len(ordered))
    wheres: dict[frozenset[str], str] = {}  # shared keys -> "街道「…」、单位「…」"
    for item in items:
        conflicted: set[int] = set()
        for key in item.conflicts:
            conflicted |= by_key.get(key, set())
        for j in sorted(conflicted):
            reviewer = ordered[j]
            shared = item.conflicts & reviewer.conflicts
            where = wheres.get(shared)
            if where is None:
                where = wheres[shared] = "、".join(describe_key(k) for k in sorted(shared))
            recusals.append(
                Recusal(
                    ref=item.ref,
                    reviewer=reviewer.name,
                    reason=f"评委{reviewer.name}与{item.ref}同属{where}，按{rule}回避",
                )
            )
        ok = [j for j in everyone if j not in conflicted] if conflicted else list(everyone)
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
    # The arcs are added in bulk, in the order (source arcs, item→reviewer arcs, reviewer→sink
    # arcs) and with the costs of `_digest`, so the graph and hence the solution are exactly those
    # of adding them one by one.
    sourced = [i for i, need in enumerate(needs) if need]
    counts = [len(eligible[i]) for i in sourced]
    pair_items = np.repeat(np.asarray(sourced, dtype=np.int64), counts)
    pair_revs = np.asarray([j for i in sourced for j in eligible[i]], dtype=np.int64)
    reach = np.bincount(pair_revs, minlength=n_rev).tolist()
    names = [r.name.encode("utf-8") for r in ordered]
    sha256, from_bytes = hashlib.sha256, int.from_bytes
    pair_costs: list[int] = []
    for i in sourced:  # cost = _digest(seed, ref, name) % TIE_SPREAD
        prefix = f"{seed}:{items[i].ref}:".encode()
        pair_costs.extend(
            [
                from_bytes(sha256(prefix + names[j]).digest()[:8], "big") % TIE_SPREAD
                for j in eligible[i]
            ]
        )
    sink_revs = np.repeat(np.arange(n_rev, dtype=np.int64), [min(r, slots) for r in reach])
    sink_k = np.concatenate(
        [np.arange(1, min(r, slots) + 1, dtype=np.int64) for r in reach] or [np.zeros(0, np.int64)]
    )
    n_src, n_pair = len(sourced), len(pair_items)
    tails = np.concatenate(
        [
            np.full(n_src, source, dtype=np.int64),
            pair_items,
            n_items + sink_revs,
        ]
    )
    heads = np.concatenate(
        [
            np.asarray(sourced, dtype=np.int64),
            n_items + pair_revs,
            np.full(len(sink_revs), sink, dtype=np.int64),
        ]
    )
    capacities = np.concatenate(
        [
            np.asarray([needs[i] for i in sourced], dtype=np.int64),
            np.ones(n_pair + len(sink_revs), dtype=np.int64),
        ]
    )
    # the k-th item of a reviewer costs (2k − 1)·unit: Σ = load²·unit, convex in the load
    costs = np.concatenate(
        [
            np.zeros(n_src, dtype=np.int64),
            np.asarray(pair_costs, dtype=np.int64),
            (2 * sink_k - 1) * unit,
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_node_supply(source, slots)
    flow.set_node_supply(sink, -slots)
    status = flow.solve()
    if status != flow.OPTIMAL:  # cannot happen: every item's need is within its eligible set
        raise RuntimeError(f"reviewer assignment failed with min-cost-flow status {status}")

    used = np.flatnonzero(flow.flows(arcs[n_src : n_src + n_pair]))
    chosen: dict[int, list[str]] = defaultdict(list)
    for i, j in zip(pair_items[used].tolist(), pair_revs[used].tolist(), strict=True):
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
    return calibrate_totals(
        refs=[row.ref for row in rows],
        reviewers=[row.reviewer for row in rows],
        totals=[row.total for row in rows],
        method=method,
        min_scores=min_scores,
    )


def calibrate_totals(
    *,
    refs: Sequence[str],
    reviewers: Sequence[str],
    totals: Sequence[float] | np.ndarray,
    method: Literal["zscore", "raw"] = "zscore",
    min_scores: int = 1,
) -> dict[str, Calibrated]:
    """`calibrate` over parallel columns (row i = refs[i], reviewers[i], totals[i]), vectorised.

    Bit-for-bit the same result as `calibrate`: each z is the same IEEE operation
    (total − mean) / std, and every mean is a `math.fsum`, which is exactly rounded and so does not
    depend on the order of its terms. Items appear in the order of their first row.
    """
    if method not in ("zscore", "raw"):
        raise ValueError(f"unknown calibration method: {method}")
    if not len(refs) == len(reviewers) == len(totals):
        raise ValueError("refs, reviewers and totals must have the same length")
    values = np.asarray(totals, dtype=np.float64)
    if not len(values):
        return {}
    item_index: dict[str, int] = {}
    item_of = np.fromiter(
        (item_index.setdefault(ref, len(item_index)) for ref in refs), np.int64, len(refs)
    )
    reviewer_index: dict[str, int] = {}
    reviewer_of = np.fromiter(
        (reviewer_index.setdefault(r, len(reviewer_index)) for r in reviewers),
        np.int64,
        len(reviewers),
    )
    bad = np.flatnonzero(~np.isfinite(values))
    first_bad = int(bad[0]) if len(bad) else len(values)
    pair = item_of * len(reviewer_index) + reviewer_of
    _, first = np.unique(pair, return_index=True)
    if len(first) < len(pair):  # the first row whose (item, reviewer) occurred before
        seen = np.zeros(len(pair), dtype=bool)
        seen[first] = True
        first_dup = int(np.flatnonzero(~seen)[0])
    else:
        first_dup = len(values)
    if first_bad < len(values) and first_bad <= first_dup:
        row = first_bad
        raise ValueError(f"score of {reviewers[row]} for {refs[row]} is not a finite number")
    if first_dup < len(values):
        raise ValueError(f"{reviewers[first_dup]} scored {refs[first_dup]} twice")

    z = np.zeros(len(values))
    if method == "zscore":
        by_reviewer = np.argsort(reviewer_of, kind="stable")
        bounds = np.searchsorted(reviewer_of[by_reviewer], np.arange(len(reviewer_index) + 1))
        for r in range(len(reviewer_index)):
            rows = by_reviewer[bounds[r] : bounds[r + 1]]
            own = values[rows]
            listed = own.tolist()
            mean = math.fsum(listed) / len(listed)
            std = math.sqrt(math.fsum((t - mean) ** 2 for t in listed) / len(listed))
            if std > 0:
                z[rows] = (own - mean) / std
    by_item = np.argsort(item_of, kind="stable")
    bounds = np.searchsorted(item_of[by_item], np.arange(len(item_index) + 1))
    raw_sorted = values[by_item].tolist()
    z_sorted = z[by_item].tolist()
    result: dict[str, Calibrated] = {}
    for ref, i in item_index.items():
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        n = hi - lo
        raw_mean = math.fsum(raw_sorted[lo:hi]) / n
        final = math.fsum(z_sorted[lo:hi]) / n if method == "zscore" else raw_mean
        result[ref] = Calibrated(final=final, raw_mean=raw_mean, n_valid=n, flagged=n < min_scores)
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
