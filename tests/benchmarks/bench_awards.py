"""Benchmark (not collected by pytest): aggregate and rank 10,000 nominations, 60 judges, 150,000
score rows with the R11.2 rule; the baseline is a bare numpy z-score pass over the same rows.

Run: .venv/bin/python tests/benchmarks/bench_awards.py
"""

from __future__ import annotations

import random
import time

import numpy as np

from models.awards import CATEGORIES, AwardScoreBase, NominationBase
from tasks.awards import AwardsRules, JudgeInfo, aggregate, propose


def main() -> None:
    rng = random.Random(7)
    streets = [f"街道{i}" for i in range(10)]
    criteria = {"organisation": 0.3, "activities": 0.3, "participation": 0.2, "effect": 0.2}
    judges = tuple(JudgeInfo(name=f"评委{j:02d}", street=streets[j % 10]) for j in range(60))
    noms = [
        NominationBase(
            year=2026,
            ref=f"N{i:05d}",
            category=list(CATEGORIES)[i % 6],
            name=f"提名{i}",
            street=rng.choice(streets),
            metrics={},
        )
        for i in range(10_000)
    ]
    scores = [
        AwardScoreBase(
            year=2026,
            ref=n.ref,
            judge=j.name,
            criteria={c: rng.uniform(50, 100) for c in criteria},
        )
        for n in noms
        for j in rng.sample(judges, 15)
    ]
    rules = AwardsRules(
        year=2026,
        seed=1,
        quotas=dict.fromkeys(CATEGORIES, 5),
        criteria=criteria,
        judges=judges,
        streets=tuple(streets),
    )
    eligible = noms
    t0 = time.perf_counter()
    totals = np.array([[s.criteria[c] for c in criteria] for s in scores]) @ np.array(
        list(criteria.values())
    )
    judge_idx = np.array([int(s.judge[2:]) for s in scores])
    for j in range(60):
        sel = totals[judge_idx == j]
        (sel - sel.mean()) / sel.std()
    baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    aggregate(eligible, scores, rules=rules)
    agg = time.perf_counter() - t0
    t0 = time.perf_counter()
    proposal = propose(noms, scores, rules=rules)
    full = time.perf_counter() - t0
    print(f"{'step':<40}{'seconds':>10}{'× baseline':>12}")
    print(f"{'numpy z-scores (baseline)':<40}{baseline:>10.3f}{1:>12.1f}")
    print(f"{'aggregate (recusal+calibrate)':<40}{agg:>10.3f}{agg / baseline:>12.1f}")
    print(f"{'propose (+eligibility, plan, ranking)':<40}{full:>10.3f}{full / baseline:>12.1f}")
    print(f"rows {len(scores)}, recused {len(proposal.recused)}, listed {len(proposal.listed())}")


if __name__ == "__main__":
    main()
