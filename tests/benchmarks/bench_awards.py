"""Benchmark (not collected by pytest): aggregate and rank 10,000 nominations, 60 judges, 150,000
score rows with the R11.2 rule; the baseline is a bare numpy z-score pass over the same rows,
measured in the same run. Each step is timed REPEAT times and the best time is reported (the
machine is shared); the issue's target is the full `propose` under TARGET seconds.

Run: .venv/bin/python tests/benchmarks/bench_awards.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import numpy as np

from models.awards import CATEGORIES, AwardScoreBase, NominationBase
from tasks.awards.rules import (
    AwardsProposal,
    AwardsRules,
    JudgeInfo,
    aggregate,
    inputs_digest,
    plan_judges,
    propose,
    screen,
)

REPEAT = 3
TARGET = 5.0


def best(step: Callable[[], object]) -> float:
    """The best of REPEAT wall-clock timings of `step`."""
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return min(times)


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
    eligible, _ = screen(noms, rules=rules)
    weights = np.array(list(criteria.values()))

    def baseline_step() -> None:
        totals = np.array([[s.criteria[c] for c in criteria] for s in scores]) @ weights
        judge_idx = np.array([int(s.judge[2:]) for s in scores])
        for j in range(60):
            sel = totals[judge_idx == j]
            (sel - sel.mean()) / sel.std()

    proposals: list[AwardsProposal] = []
    baseline = best(baseline_step)
    steps = [
        ("eligibility screen", best(lambda: screen(noms, rules=rules))),
        ("judge plan (balanced min-cost flow)", best(lambda: plan_judges(eligible, rules=rules))),
        ("aggregate (recusal+calibrate)", best(lambda: aggregate(eligible, scores, rules=rules))),
        ("inputs digest", best(lambda: inputs_digest(noms, scores, rules))),
    ]
    full = best(lambda: proposals.append(propose(noms, scores, rules=rules)))
    print(f"{'step (best of ' + str(REPEAT) + ')':<40}{'seconds':>10}{'× baseline':>12}")
    print(f"{'numpy z-scores (baseline)':<40}{baseline:>10.3f}{1:>12.1f}")
    for name, seconds in steps:
        print(f"{name:<40}{seconds:>10.3f}{seconds / baseline:>12.1f}")
    print(f"{'propose (all of the above + ranking)':<40}{full:>10.3f}{full / baseline:>12.1f}")
    proposal = proposals[-1]
    print(f"rows {len(scores)}, recused {len(proposal.recused)}, listed {len(proposal.listed())}")
    print(f"target: propose < {TARGET:.1f} s — {'met' if full < TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
