"""The shared review module: recusal, balanced loads, shortages, calibration, seeded ranking.

Balance is checked against an exhaustive search over every possible assignment of small
instances; calibration against an independent numpy/statistics computation.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.common.review import (
    Calibrated,
    Reviewer,
    ReviewItem,
    ScoreRow,
    assign_reviewers,
    calibrate,
    rank_with_tiebreak,
    seeded_draw,
)

STREETS = ["嘉兴路街道", "四川北路街道", "欧阳路街道", "曲阳路街道"]
UNITS = ["区教育局", "区文明办", "区图书馆"]


@st.composite
def instances(draw: st.DrawFn, max_items: int = 12, max_reviewers: int = 8) -> tuple:
    n_rev = draw(st.integers(1, max_reviewers))
    reviewers = [
        Reviewer(
            name=f"评委{j:02d}",
            conflicts=frozenset(
                draw(st.sets(st.sampled_from([f"street:{s}" for s in STREETS]), max_size=1))
                | draw(st.sets(st.sampled_from([f"unit:{u}" for u in UNITS]), max_size=1))
            ),
        )
        for j in range(n_rev)
    ]
    n_items = draw(st.integers(0, max_items))
    items = [
        ReviewItem(
            ref=f"N{i:03d}",
            conflicts=frozenset(
                {f"street:{draw(st.sampled_from(STREETS))}"}
                | draw(st.sets(st.sampled_from([f"unit:{u}" for u in UNITS]), max_size=1))
            ),
        )
        for i in range(n_items)
    ]
    per_item = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 10_000))
    return items, reviewers, per_item, seed


@settings(max_examples=150, deadline=None)
@given(instances())
def test_recusal_never_violated_and_every_item_fully_served_or_short(inst: tuple) -> None:
    items, reviewers, per_item, seed = inst
    plan = assign_reviewers(items=items, reviewers=reviewers, per_item=per_item, seed=seed)
    by_name = {r.name: r for r in reviewers}
    by_ref = {i.ref: i for i in items}
    assigned: dict[str, list[str]] = defaultdict(list)
    for ref, name in plan.pairs:
        assert not (by_ref[ref].conflicts & by_name[name].conflicts)
        assigned[ref].append(name)
    shortages = {s.ref: s for s in plan.shortages}
    recused = {(r.ref, r.reviewer) for r in plan.recusals}
    for item in items:
        eligible = [r.name for r in reviewers if not (r.conflicts & item.conflicts)]
        got = assigned[item.ref]
        assert len(got) == len(set(got))
        assert len(got) == min(per_item, len(eligible))
        if len(eligible) < per_item:
            assert shortages[item.ref].available == len(eligible)
            assert shortages[item.ref].needed == per_item
        else:
            assert item.ref not in shortages
        # every skipped-for-conflict reviewer is recorded, and only those
        conflicted = {r.name for r in reviewers if r.conflicts & item.conflicts}
        assert {n for (ref, n) in recused if ref == item.ref} == conflicted
    for r in plan.recusals:
        assert "R11.2" in r.reason and r.reviewer in r.reason


def best_spread(items: list[ReviewItem], reviewers: list[Reviewer], per_item: int) -> int:
    """The smallest max − min load over every possible assignment (exhaustive)."""
    choices = []
    for item in items:
        ok = [r.name for r in reviewers if not (r.conflicts & item.conflicts)]
        choices.append(list(itertools.combinations(ok, min(per_item, len(ok)))))
    best = None
    for combo in itertools.product(*choices):
        load = dict.fromkeys((r.name for r in reviewers), 0)
        for names in combo:
            for n in names:
                load[n] += 1
        spread = max(load.values()) - min(load.values())
        best = spread if best is None else min(best, spread)
    return best if best is not None else 0


@settings(max_examples=80, deadline=None)
@given(instances(max_items=5, max_reviewers=4))
def test_loads_are_as_balanced_as_the_conflicts_allow(inst: tuple) -> None:
    items, reviewers, per_item, seed = inst
    plan = assign_reviewers(items=items, reviewers=reviewers, per_item=per_item, seed=seed)
    loads = plan.loads(reviewers).values()
    assert max(loads) - min(loads) == best_spread(items, reviewers, per_item)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 12), st.integers(1, 5), st.integers(0, 999))
def test_without_conflicts_loads_differ_by_at_most_one(
    n_items: int, n_rev: int, per_item: int, seed: int
) -> None:
    items = [ReviewItem(ref=f"I{i}", conflicts=frozenset({"street:甲"})) for i in range(n_items)]
    reviewers = [Reviewer(name=f"R{j}", conflicts=frozenset({"street:乙"})) for j in range(n_rev)]
    plan = assign_reviewers(items=items, reviewers=reviewers, per_item=per_item, seed=seed)
    loads = plan.loads(reviewers).values()
    assert max(loads) - min(loads) <= 1
    assert sum(loads) == n_items * min(per_item, n_rev)
    assert not plan.recusals


def test_shortage_is_explicit_and_reason_is_chinese() -> None:
    items = [ReviewItem(ref="N1", conflicts=frozenset({"street:嘉兴路街道", "unit:区文明办"}))]
    reviewers = [
        Reviewer(name="王芳", conflicts=frozenset({"street:嘉兴路街道"})),
        Reviewer(name="李强", conflicts=frozenset({"unit:区文明办"})),
        Reviewer(name="赵敏", conflicts=frozenset({"street:欧阳路街道"})),
    ]
    plan = assign_reviewers(items=items, reviewers=reviewers, per_item=3, seed=1)
    assert plan.pairs == [("N1", "赵敏")]
    assert [(s.ref, s.needed, s.available) for s in plan.shortages] == [("N1", 3, 1)]
    reasons = {r.reviewer: r.reason for r in plan.recusals}
    assert reasons["王芳"] == "评委王芳与N1同属街道「嘉兴路街道」，按R11.2回避"
    assert reasons["李强"] == "评委李强与N1同属单位「区文明办」，按R11.2回避"
    custom = assign_reviewers(items=items, reviewers=reviewers, per_item=1, seed=1, rule="R9.1")
    assert all("R9.1" in r.reason for r in custom.recusals)
    assert not custom.shortages


def test_assignment_is_deterministic_and_the_seed_matters() -> None:
    items = [ReviewItem(ref=f"N{i}", conflicts=frozenset()) for i in range(12)]
    reviewers = [Reviewer(name=f"R{j}") for j in range(6)]
    plans = {
        seed: assign_reviewers(items=items, reviewers=reviewers, per_item=2, seed=seed).pairs
        for seed in range(6)
    }
    again = assign_reviewers(items=items, reviewers=reviewers, per_item=2, seed=3).pairs
    assert again == plans[3]
    assert len({tuple(p) for p in plans.values()}) > 1


def test_duplicate_refs_or_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate item ref: A"):
        assign_reviewers(
            items=[ReviewItem(ref="A"), ReviewItem(ref="A")],
            reviewers=[Reviewer(name="R")],
            per_item=1,
            seed=0,
        )
    with pytest.raises(ValueError, match="duplicate reviewer name: R"):
        assign_reviewers(
            items=[ReviewItem(ref="A")],
            reviewers=[Reviewer(name="R"), Reviewer(name="R")],
            per_item=1,
            seed=0,
        )


# ---------------------------------------------------------------- calibration


def independent_finals(rows: list[ScoreRow]) -> dict[str, tuple[float, float, int]]:
    """z per reviewer with numpy (population std), then means with statistics."""
    by_rev: dict[str, list[ScoreRow]] = defaultdict(list)
    for r in rows:
        by_rev[r.reviewer].append(r)
    zs: dict[str, list[float]] = defaultdict(list)
    raws: dict[str, list[float]] = defaultdict(list)
    for rs in by_rev.values():
        arr = np.array([r.total for r in rs])
        std = float(np.std(arr))
        z = (arr - arr.mean()) / std if std > 0 else np.zeros_like(arr)
        for r, zi in zip(rs, z, strict=True):
            zs[r.ref].append(float(zi))
            raws[r.ref].append(r.total)
    return {
        ref: (statistics.fmean(zs[ref]), statistics.fmean(raws[ref]), len(raws[ref]))
        for ref in raws
    }


score_rows = st.lists(
    st.tuples(
        st.integers(0, 14),
        st.integers(0, 5),
        st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2)),
    ),
    max_size=60,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=150, deadline=None)
@given(score_rows, st.integers(1, 4), st.floats(0, 100).map(lambda x: round(x, 1)))
def test_calibration_equals_independent_calculation(
    raw: list[tuple[int, int, float]], min_scores: int, flat: float
) -> None:
    rows = [ScoreRow(ref=f"N{i}", reviewer=f"R{j}", total=t) for i, j, t in raw]
    # a judge who gives everyone the same score: std 0 ⇒ z = 0
    rows += [ScoreRow(ref=f"N{i}", reviewer="同分评委", total=flat) for i in range(0, 15, 2)]
    got = calibrate(rows=rows, min_scores=min_scores)
    want = independent_finals(rows)
    assert set(got) == set(want)
    for ref, (final, raw_mean, n) in want.items():
        assert got[ref].final == pytest.approx(final, abs=1e-9)
        assert got[ref].raw_mean == pytest.approx(raw_mean, abs=1e-9)
        assert got[ref].n_valid == n
        assert got[ref].flagged == (n < min_scores)
    raw_method = calibrate(rows=rows, method="raw")
    for ref, (_, raw_mean, _) in want.items():
        assert raw_method[ref].final == pytest.approx(raw_mean, abs=1e-9)


def test_flat_judge_contributes_zero() -> None:
    rows = [
        ScoreRow(ref="A", reviewer="平", total=80),
        ScoreRow(ref="B", reviewer="平", total=80),
        ScoreRow(ref="A", reviewer="严", total=60),
        ScoreRow(ref="B", reviewer="严", total=70),
    ]
    got = calibrate(rows=rows, min_scores=2)
    # 严: mean 65, std 5 → A −1, B +1; 平 gives 0 to both
    assert got["A"] == Calibrated(final=-0.5, raw_mean=70.0, n_valid=2, flagged=False)
    assert got["B"] == Calibrated(final=0.5, raw_mean=75.0, n_valid=2, flagged=False)


def test_calibration_refuses_duplicates_and_non_finite() -> None:
    with pytest.raises(ValueError, match="R scored A twice"):
        calibrate(rows=[ScoreRow(ref="A", reviewer="R", total=1)] * 2)
    with pytest.raises(ValueError, match="not a finite number"):
        calibrate(rows=[ScoreRow(ref="A", reviewer="R", total=float("nan"))])


# ---------------------------------------------------------------- ranking


def cal(final: float, raw: float, flagged: bool = False) -> Calibrated:
    return Calibrated(final=final, raw_mean=raw, n_valid=3, flagged=flagged)


def test_rank_by_final_then_raw_then_seeded_draw() -> None:
    finals = {
        "A": cal(1.0, 80),
        "B": cal(0.5, 90),
        "C": cal(0.5, 85),
        "D": cal(0.2, 70),
        "E": cal(0.2, 70),
        "F": cal(0.2, 70),
        "X": Calibrated(final=9.0, raw_mean=99, n_valid=1, flagged=True),
    }
    ranked = rank_with_tiebreak(finals=finals, quota=10, seed=7, salt="2026:family")
    assert [r.ref for r in ranked[:3]] == ["A", "B", "C"]
    assert all(r.draw is None for r in ranked[:3])
    tied = ranked[3:]
    draws = {r: seeded_draw(seed=7, salt="2026:family", ref=r) for r in "DEF"}
    assert [r.ref for r in tied] == sorted("DEF", key=draws.__getitem__)
    assert [r.draw for r in tied] == [draws[r.ref] for r in tied]
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5, 6]
    assert "X" not in {r.ref for r in ranked}
    # reproducible, and the quota cuts the list
    again = rank_with_tiebreak(finals=finals, quota=4, seed=7, salt="2026:family")
    assert again == ranked[:4]


def test_seed_and_salt_change_only_the_tied_order() -> None:
    finals = {f"T{i}": cal(0.0, 50) for i in range(8)} | {"TOP": cal(2.0, 90)}
    orders = {
        (seed, salt): [
            r.ref for r in rank_with_tiebreak(finals=finals, quota=9, seed=seed, salt=salt)
        ]
        for seed in range(4)
        for salt in ("a", "b")
    }
    assert all(o[0] == "TOP" for o in orders.values())
    assert len({tuple(o) for o in orders.values()}) > 1
    assert orders[(2, "a")] == [
        r.ref for r in rank_with_tiebreak(finals=finals, quota=9, seed=2, salt="a")
    ]


def test_float_noise_still_ties() -> None:
    finals = {"A": cal(0.1 + 0.2, 70), "B": cal(0.3, 70)}
    ranked = rank_with_tiebreak(finals=finals, quota=2, seed=0, salt="s")
    assert all(r.draw is not None for r in ranked)
