"""Benchmark of the R10.2 solver on the issue's instance: 5,000 teachers, 20 streets, 100 places.

The requirement: proven optimal in under 2 s on this machine, with the solver's time reported
beside a greedy baseline's time and score, in one run. Also reported, as ratios against our
solver: a plain CP-SAT model (one boolean per teacher x street on every eligible teacher, no
pruning, 2 workers, 30 s limit).

Not collected by the normal test run (pytest only collects `test_*.py`). Run either

    python tests/benchmarks/bench_secondment.py                   # prints a table
    pytest tests/benchmarks/bench_secondment.py -m benchmark       # pytest-benchmark + checks
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import pytest
from ortools.sat.python import cp_model
from pytest_benchmark.fixture import BenchmarkFixture

from models.secondment import TeacherBase
from tasks.samples.roster import generate_roster
from tasks.secondment.rules import (
    SCALE,
    Candidate,
    SecondmentRules,
    greedy_placement,
    screen,
    select_candidates,
    solve_placement,
    total_of,
)

SEEDS = (2026, 2027, 2028)
TEACHERS = 5000
SCHOOLS = [f"学校{k:03d}" for k in range(200)]
STREETS = [f"街道{k:02d}" for k in range(20)]
QUOTA = 5  # 20 streets x 5 = 100 places
PLAIN_TIME_LIMIT = 30.0
STATUS = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.UNKNOWN: "UNKNOWN"}


def instance(seed: int) -> tuple[list[TeacherBase], SecondmentRules]:
    roster = generate_roster(count=TEACHERS, schools=SCHOOLS, streets=STREETS, seed=seed)
    return roster, SecondmentRules(year=2026, quotas=dict.fromkeys(STREETS, QUOTA))


@dataclass
class Plain:
    status: str
    objective: int | None  # thousandths of a point; None when no solution was found
    bound: int
    seconds: float


def plain_cp_sat(candidates: list[Candidate], rules: SecondmentRules) -> Plain:
    """The textbook model: x[t, s] for every eligible teacher and street, nothing pruned."""
    started = time.perf_counter()
    m = cp_model.CpModel()
    streets = list(rules.quotas)
    n = len(candidates)
    x = {(i, s): m.new_bool_var(f"x{i}_{s}") for i in range(n) for s in streets}
    for i in range(n):
        m.add_at_most_one(x[i, s] for s in streets)
    for s in streets:
        m.add(sum(x[i, s] for i in range(n)) == rules.quotas[s])
    by_school: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        by_school.setdefault(c.school, []).append(i)
    for members in by_school.values():
        m.add(sum(x[i, s] for i in members for s in streets) <= rules.max_per_school)
    needed = math.ceil(Fraction(str(rules.min_backbone_share)) * rules.places)
    m.add(sum(x[i, s] for i, c in enumerate(candidates) if c.backbone for s in streets) >= needed)
    bonus = round(rules.preference_bonus * SCALE)
    m.maximize(
        sum(
            (round(c.merit * SCALE) + (bonus if s in c.preferred_streets else 0)) * x[i, s]
            for i, c in enumerate(candidates)
            for s in streets
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = PLAIN_TIME_LIMIT
    solver.parameters.random_seed = 0
    status = solver.solve(m)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return Plain(
        status=STATUS.get(status, solver.status_name(status)),
        objective=round(solver.objective_value) if found else None,
        bound=round(solver.best_objective_bound),
        seconds=time.perf_counter() - started,
    )


@dataclass
class Run:
    seed: int
    eligible: int
    considered: int
    select_seconds: float  # select_candidates: screen, prune, solve, explain
    solve_seconds: float  # solve_placement on the screened candidates
    total: int  # thousandths
    greedy_seconds: float
    greedy_total: int | None
    plain: Plain


def timed_run(seed: int) -> Run:
    roster, rules = instance(seed)
    started = time.perf_counter()
    proposal = select_candidates(roster, rules=rules)
    select_seconds = time.perf_counter() - started
    candidates, _ = screen(roster, rules=rules)
    started = time.perf_counter()
    pairs = solve_placement(candidates, rules=rules)
    solve_seconds = time.perf_counter() - started
    total = total_of(pairs, rules=rules)
    assert round(proposal.total_score * SCALE) == total
    started = time.perf_counter()
    greedy = greedy_placement(candidates, rules=rules)  # all eligible, not pruned
    greedy_seconds = time.perf_counter() - started
    return Run(
        seed=seed,
        eligible=len(candidates),
        considered=proposal.considered_count,
        select_seconds=select_seconds,
        solve_seconds=solve_seconds,
        total=total,
        greedy_seconds=greedy_seconds,
        greedy_total=None if greedy is None else total_of(greedy, rules=rules),
        plain=plain_cp_sat(candidates, rules),
    )


def table(runs: list[Run]) -> str:
    head = (
        f"{'seed':>5} {'elig':>5} {'kept':>5} {'select s':>9} {'solve s':>8} {'total':>10} "
        f"{'greedy s':>9} {'greedy':>10} {'gap pts':>8} {'plain s':>8} {'plain':>9} "
        f"{'plain gap':>9} {'plain/ours':>10} {'greedy/ours':>11}"
    )
    lines = [
        f"{TEACHERS} teachers, {len(SCHOOLS)} schools, {len(STREETS)} streets x {QUOTA} places; "
        f"plain CP-SAT: 2 workers, {PLAIN_TIME_LIMIT:g} s limit",
        head,
        "-" * len(head),
    ]
    for r in runs:
        greedy = "-" if r.greedy_total is None else f"{r.greedy_total / SCALE:.3f}"
        gap = "-" if r.greedy_total is None else f"{(r.total - r.greedy_total) / SCALE:.3f}"
        plain_gap = (
            "-" if r.plain.objective is None else f"{(r.total - r.plain.objective) / SCALE:.3f}"
        )
        lines.append(
            f"{r.seed:>5} {r.eligible:>5} {r.considered:>5} {r.select_seconds:>9.3f} "
            f"{r.solve_seconds:>8.3f} {r.total / SCALE:>10.3f} {r.greedy_seconds:>9.4f} "
            f"{greedy:>10} {gap:>8} {r.plain.seconds:>8.2f} {r.plain.status:>9} {plain_gap:>9} "
            f"{r.plain.seconds / r.solve_seconds:>9.1f}x "
            f"{r.greedy_seconds / r.solve_seconds:>10.4f}x"
        )
    lines.append(
        "select = select_candidates (screen + solve + explain); solve = solve_placement; "
        "gap = our optimum minus the baseline's total, in points"
    )
    return "\n".join(lines)


def check_feasible(pairs: list[tuple[Candidate, str]], rules: SecondmentRules) -> None:
    staff = [c.staff_id for c, _ in pairs]
    assert len(staff) == len(set(staff))
    assert Counter(s for _, s in pairs) == Counter(rules.quotas)
    assert max(Counter(c.school for c, _ in pairs).values()) <= rules.max_per_school
    needed = math.ceil(Fraction(str(rules.min_backbone_share)) * rules.places)
    assert sum(c.backbone for c, _ in pairs) >= needed


@pytest.mark.benchmark
@pytest.mark.parametrize("seed", SEEDS)
def test_secondment_benchmark(benchmark: BenchmarkFixture, seed: int) -> None:
    roster, rules = instance(seed)
    candidates, _ = screen(roster, rules=rules)
    pairs = benchmark.pedantic(
        solve_placement, args=(candidates,), kwargs={"rules": rules}, rounds=3, iterations=1
    )
    check_feasible(pairs, rules)
    total = total_of(pairs, rules=rules)
    greedy = greedy_placement(candidates, rules=rules)
    if greedy is not None:
        check_feasible(greedy, rules)
        assert total_of(greedy, rules=rules) <= total
    plain = plain_cp_sat(candidates, rules)
    assert total <= plain.bound
    if plain.objective is not None:
        assert total >= plain.objective
    if plain.status == "OPTIMAL":
        assert total == plain.objective
    benchmark.extra_info.update(
        total=total / SCALE,
        greedy_total=None if greedy is None else total_of(greedy, rules=rules) / SCALE,
        plain_status=plain.status,
        plain_seconds=round(plain.seconds, 3),
    )


if __name__ == "__main__":
    print(table([timed_run(seed) for seed in SEEDS]))
