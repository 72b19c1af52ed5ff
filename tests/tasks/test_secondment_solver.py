"""The R10.2 solver on every roster family: exact optimum, lexicographic tie-break, streets,
every engine it may use, and the time limit.

The oracle is an exhaustive search in exact fractions, written here independently of the solver.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import tasks.secondment.solver as solver
from models.profile.schema import MeritWeights
from models.secondment import TeacherBase
from tasks.samples.families import FAMILIES, family_roster
from tasks.secondment.model import Lp, Solved
from tasks.secondment.rules import Candidate, InfeasibleSecondment, SecondmentRules, screen
from tasks.secondment.solver import select_candidates, solve_placement, total_of
from tasks.secondment.streets import assign_streets

YEAR = 2026
STREETS = ["嘉兴路街道", "洛阳路街道", "海伦路街道"]
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- the oracle


def optimal_selections(
    candidates: list[Candidate], rules: SecondmentRules
) -> tuple[Fraction | None, list[tuple[str, ...]]]:
    """The best total and every selection (sorted staff_ids) that reaches it, by brute force."""
    streets = [s for s, q in rules.quotas.items() if q]
    slots = [s for s in streets for _ in range(rules.quotas[s])]
    need = math.ceil(Fraction(str(rules.min_backbone_share)) * rules.places)
    best: Fraction | None = None
    found: list[tuple[str, ...]] = []
    for subset in itertools.combinations(candidates, rules.places):
        if max(Counter(c.school for c in subset).values(), default=0) > rules.max_per_school:
            continue
        if sum(c.backbone for c in subset) < need:
            continue
        total = max(
            sum((c.score(s, rules=rules) for c, s in zip(subset, order, strict=True)), Fraction(0))
            for order in set(itertools.permutations(slots))
        )
        ids = tuple(sorted(c.staff_id for c in subset))
        if best is None or total > best:
            best, found = total, [ids]
        elif total == best:
            found.append(ids)
    return best, sorted(found)


# ---------------------------------------------------------------- small rosters of every family


@st.composite
def small_instances(
    draw: st.DrawFn, family: st.SearchStrategy[str] = st.sampled_from(sorted(FAMILIES))
) -> tuple[str, list[TeacherBase], SecondmentRules]:
    name = draw(family)
    streets = STREETS[: draw(st.integers(1, 3))]
    quotas = {s: draw(st.integers(1, 2)) for s in streets}
    places = sum(quotas.values())
    cap = draw(st.integers(1, 2))
    enough = -(-places // cap)  # schools the cap needs
    roster = family_roster(
        name,
        count=draw(st.integers(places + 3, 11)),
        streets=streets,
        places=places,
        seed=draw(st.integers(0, 10**6)),
        cap=cap,
        schools=draw(st.integers(enough, enough + 3)),
    )
    rules = SecondmentRules(
        year=YEAR,
        quotas=quotas,
        max_per_school=cap,
        min_backbone_share=draw(st.sampled_from([0.0, 0.2, 0.34, 0.5])),
        preference_bonus=draw(st.sampled_from([0.0, 2.5, 5.0, 10.0])),
    )
    return name, roster, rules


def check_against_brute_force(roster: list[TeacherBase], rules: SecondmentRules) -> str:
    candidates, _ = screen(roster, rules=rules)
    best, optimal = optimal_selections(candidates, rules)
    if best is None:
        with pytest.raises(InfeasibleSecondment):
            solve_placement(candidates, rules=rules)
        return "infeasible"
    solution = solve_placement(candidates, rules=rules)
    assert solution.proof == "optimal"
    assert solution.total == best == solution.bound
    assert total_of(solution.pairs, rules=rules) == best
    assert Counter(s for _, s in solution.pairs) == Counter(rules.quotas)
    # R10.2 tie-break: the lexicographically smallest selection among the optimal ones
    assert tuple(sorted(c.staff_id for c, _ in solution.pairs)) == optimal[0]
    return "tied" if len(optimal) > 1 else "unique"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_matches_brute_force(family: str) -> None:
    @PROPERTY
    @given(small_instances(st.just(family)))
    def check(instance: tuple[str, list[TeacherBase], SecondmentRules]) -> None:
        _, roster, rules = instance
        event(check_against_brute_force(roster, rules))

    check()


@pytest.fixture(params=["cbc", "cp-sat"])
def without_lp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The LP relaxation never answers, so the MIP engine does every step on its own."""
    original = Lp.solve

    def no_lp(self: Lp, backend: str, *, seconds: float) -> Solved:
        return Solved("unknown") if backend == "GLOP" else original(self, backend, seconds=seconds)

    monkeypatch.setattr(Lp, "solve", no_lp)
    if request.param == "cp-sat":
        monkeypatch.setattr(solver, "FLOAT_SAFE", 0)
    yield request.param


@settings(
    max_examples=15,
    deadline=None,
    # the patch holds for every generated input alike
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instance=small_instances())
def test_each_mip_engine_alone_matches_brute_force(
    without_lp: str, instance: tuple[str, list[TeacherBase], SecondmentRules]
) -> None:
    _, roster, rules = instance
    check_against_brute_force(roster, rules)
    candidates, _ = screen(roster, rules=rules)
    if candidates and not solver.explain_shortfall(candidates, rules=rules):
        assert solve_placement(candidates, rules=rules).engine in {"CBC", "CP-SAT", "greedy"}


def test_the_families_are_all_exercised_with_ties() -> None:
    """The property above sees ties: in the `ties` family most small rosters have several optima."""
    tied = 0
    for seed in range(12):
        rules = SecondmentRules(year=YEAR, quotas={"嘉兴路街道": 2, "洛阳路街道": 1})
        roster = family_roster(
            "ties", count=10, streets=STREETS[:2], places=3, seed=seed, schools=4
        )
        candidates, _ = screen(roster, rules=rules)
        best, optimal = optimal_selections(candidates, rules)
        tied += best is not None and len(optimal) > 1
    assert tied >= 6


def test_weights_with_many_decimals_are_compared_exactly_by_cp_sat() -> None:
    """Scores times their common denominator exceed what floating point tells apart: CP-SAT."""
    weights = MeritWeights(
        political=0.333333, experience=0.166667, ability=0.25, community_work=0.25
    )
    rules = SecondmentRules(
        year=YEAR,
        quotas={"嘉兴路街道": 2, "洛阳路街道": 1},
        weights=weights,
        min_backbone_share=0.34,
    )
    roster = family_roster("uniform", count=10, streets=STREETS[:2], places=3, seed=0, schools=4)
    roster = [
        t.model_copy(update={"ability_score": t.ability_score + 0.1234567}) if k % 2 else t
        for k, t in enumerate(roster)
    ]
    assert check_against_brute_force(roster, rules) in {"tied", "unique"}
    candidates, _ = screen(roster, rules=rules)
    problem = solver._Problem(candidates, rules)
    assert problem.ceiling > solver.FLOAT_SAFE and problem.engine == "CP-SAT"


# ---------------------------------------------------------------- streets


@st.composite
def street_instances(draw: st.DrawFn) -> tuple[list[list[int]], list[int]]:
    quotas = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).filter(lambda q: sum(q) > 0))
    n = sum(quotas)
    streets = range(len(quotas))
    prefs = [
        draw(st.lists(st.sampled_from(list(streets)), unique=True, max_size=len(quotas)))
        for _ in range(n)
    ]
    return prefs, quotas


@settings(max_examples=400, deadline=None)
@given(street_instances())
def test_streets_are_the_canonical_best_assignment(
    instance: tuple[list[list[int]], list[int]],
) -> None:
    """Most preferred placements; then, in staff_id order, each teacher's earliest listed
    street; then the others in quota order -- checked against every assignment."""
    prefs, quotas = instance
    teachers = list(range(len(prefs)))
    slots = [s for s, q in enumerate(quotas) for _ in range(q)]

    def key(order: tuple[int, ...]) -> tuple[object, ...]:
        on_pref = [order[t] in prefs[t] for t in teachers]
        ranks = [prefs[t].index(order[t]) if on_pref[t] else len(prefs[t]) for t in teachers]
        rest = [order[t] for t in teachers if not on_pref[t]]
        return (-sum(on_pref), ranks, rest)

    best = min(set(itertools.permutations(slots)), key=key)
    got = assign_streets(teachers, prefs=prefs, quotas=quotas)
    assert tuple(got[t] for t in teachers) == best


# ---------------------------------------------------------------- the time limit


def realistic(family: str = "key-schools") -> tuple[list[TeacherBase], SecondmentRules]:
    streets = [f"街道{k:02d}" for k in range(20)]
    roster = family_roster(family, count=2000, streets=streets, places=60, seed=3)
    return roster, SecondmentRules(year=YEAR, quotas=dict.fromkeys(streets, 3))


def test_a_time_limit_gives_the_best_placement_found_with_its_gap() -> None:
    roster, rules = realistic()
    proven = select_candidates(roster, rules=rules)
    assert proven.proof == "optimal" and proven.gap == 0
    assert proven.proof_note == "已证明总分最优"
    limited = select_candidates(roster, rules=rules, time_limit=0)
    assert limited.proof == "best_found"
    assert limited.engine == "greedy"
    assert limited.total_score <= proven.total_score <= limited.best_bound
    assert limited.gap == math.ceil((limited.best_bound - limited.total_score) * 100) / 100 > 0
    note = f"未能在限时内证明最优，差距≤{limited.gap:.2f}分"
    assert limited.proof_note == note
    assert all(note in p.reason for p in limited.placements)
    # still a placement that keeps every rule
    assert Counter(p.street for p in limited.placements) == Counter(rules.quotas)
    assert max(Counter(p.school for p in limited.placements).values()) <= rules.max_per_school
    assert sum(p.backbone for p in limited.placements) >= rules.backbone_needed


def test_a_time_limit_during_the_tie_break_keeps_the_proven_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    roster, rules = realistic("ties")
    proven = select_candidates(roster, rules=rules)
    monkeypatch.setattr(solver, "_tie_block", lambda *_a, **_k: None)
    limited = select_candidates(roster, rules=rules)
    assert limited.proof == "optimal_total"
    assert limited.total_score == proven.total_score
    assert limited.gap == 0 and limited.best_bound == limited.total_score
    assert "未能在限时内完成同分时按工号择先的比较" in limited.proof_note
    assert all(limited.proof_note in p.reason for p in limited.placements)


def test_tiny_time_limits_never_crash() -> None:
    roster, rules = realistic("tight-quotas")
    proven = select_candidates(roster, rules=rules)
    for seconds in (0.001, 0.01, 0.05):
        proposal = select_candidates(roster, rules=rules, time_limit=seconds)
        assert proposal.total_score <= proven.total_score <= proposal.best_bound + 1e-9
        if proposal.proof != "best_found":
            assert proposal.total_score == proven.total_score


# ---------------------------------------------------------------- realistic sizes


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_is_proven_at_a_realistic_size(family: str) -> None:
    roster, rules = realistic(family)
    candidates, _ = screen(roster, rules=rules)
    solution = solve_placement(candidates, rules=rules, time_limit=30)
    assert solution.proof == "optimal"
    assert solution.total == solution.bound
    assert solution.considered < len(candidates) / 5  # the bounds rule most teachers out
