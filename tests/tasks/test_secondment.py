"""The plain R10.2 rules and solver: eligibility, merit, optimal placement, tie-break, pruning,
replacement.

No Prefect and no database. The optimum is checked against an exhaustive search written here, in
exact fractions and independently of the solver, and against a plain CP-SAT model at realistic
sizes.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import pytest
from ortools.sat.python import cp_model
from pydantic import ValidationError

from models.profile.loading import load_profile
from models.profile.schema import MeritWeights
from models.secondment import TeacherBase
from tasks.samples.roster import generate_roster
from tasks.secondment.rules import (
    Candidate,
    InfeasibleSecondment,
    Placement,
    Proposal,
    SecondmentRules,
    choose_replacement,
    eligibility_reasons,
    merit,
    screen,
)
from tasks.secondment.solver import (
    greedy_placement,
    prune,
    select_candidates,
    solve_placement,
    teacher_bounds,
    total_of,
)

YEAR = 2026
SEEDS = range(60)


# ---------------------------------------------------------------- factories


def make_teacher(**overrides: Any) -> TeacherBase:
    """An eligible teacher unless the overrides say otherwise."""
    values: dict[str, Any] = {
        "staff_id": "T001",
        "name": "张伟",
        "school": "人民路第一小学",
        "years_teaching": 12,
        "in_service": True,
        "annual_rating": "良好",
        "political_score": 80,
        "ability_score": 80,
        "community_work_score": 80,
        "backbone": False,
        "last_secondment_year": None,
        "preferred_streets": [],
        "deferred": False,
    }
    values.update(overrides)
    return TeacherBase(**values)


def make_candidate(staff_id: str, merit: float | Fraction, **overrides: Any) -> Candidate:
    values: dict[str, Any] = {
        "staff_id": staff_id,
        "name": staff_id,
        "school": "甲校",
        "backbone": False,
        "merit": merit,
        "preferred_streets": (),
    }
    values.update(overrides)
    return Candidate(**values)


def make_placement(c: Candidate, street: str) -> Placement:
    return Placement(
        staff_id=c.staff_id,
        name=c.name,
        school=c.school,
        street=street,
        merit=c.merit,
        score=c.merit,
        preferred=False,
        backbone=c.backbone,
        reason="",
    )


def make_rules(**overrides: Any) -> SecondmentRules:
    values: dict[str, Any] = {"year": YEAR, "quotas": {"嘉兴路街道": 5}}
    values.update(overrides)
    return SecondmentRules(**values)


# ---------------------------------------------------------------- independent oracles


def is_eligible(t: TeacherBase, rules: SecondmentRules) -> bool:
    """R10.2 eligibility, restated from docs/spec.md."""
    return (
        t.in_service
        and t.annual_rating != "不合格"
        and t.years_teaching >= rules.min_years
        and not t.deferred
        and (t.last_secondment_year is None or YEAR - t.last_secondment_year > rules.cooldown_years)
        and t.staff_id not in rules.exclude
    )


def backbone_floor(rules: SecondmentRules) -> int:
    """ceil(share * places) in exact arithmetic."""
    return math.ceil(Fraction(str(rules.min_backbone_share)) * rules.places)


def exact_total(proposal: Proposal, roster: list[TeacherBase], rules: SecondmentRules) -> Fraction:
    """A proposal's total recomputed from the roster in exact fractions (docs/spec.md formula)."""
    teachers = {t.staff_id: t for t in roster}
    bonus = Fraction(str(rules.preference_bonus))
    return sum(
        (
            spec_merit(teachers[p.staff_id], rules.weights)
            + (bonus if p.street in teachers[p.staff_id].preferred_streets else 0)
            for p in proposal.placements
        ),
        Fraction(0),
    )


@dataclass
class Exhaustive:
    """Every feasible selection with its best total (exact), found by brute force."""

    totals: dict[tuple[str, ...], Fraction]

    @property
    def best(self) -> Fraction | None:
        return max(self.totals.values(), default=None)

    @property
    def optimal(self) -> list[tuple[str, ...]]:
        return sorted(ids for ids, total in self.totals.items() if total == self.best)

    def best_containing(self, *staff_ids: str) -> Fraction | None:
        return max(
            (t for ids, t in self.totals.items() if set(staff_ids) <= set(ids)), default=None
        )

    def best_without(self, staff_id: str) -> Fraction | None:
        return max((t for ids, t in self.totals.items() if staff_id not in ids), default=None)


def exhaustive(candidates: list[Candidate], rules: SecondmentRules) -> Exhaustive:
    """Try every subset of `places` candidates and, for each, every street assignment."""
    streets = list(rules.quotas)
    bonus = Fraction(str(rules.preference_bonus))
    totals: dict[tuple[str, ...], Fraction] = {}
    for subset in itertools.combinations(candidates, rules.places):
        if max(Counter(c.school for c in subset).values(), default=0) > rules.max_per_school:
            continue
        if sum(c.backbone for c in subset) < backbone_floor(rules):
            continue

        @cache
        def bonuses(
            k: int, left: tuple[int, ...], subset: tuple[Candidate, ...] = subset
        ) -> Fraction:
            # the most bonus points teachers k.. can earn on the places still left
            if k == len(subset):
                return Fraction(0)
            options = []
            for j, street in enumerate(streets):
                if left[j]:
                    rest = (*left[:j], left[j] - 1, *left[j + 1 :])
                    gain = bonus if street in subset[k].preferred_streets else Fraction(0)
                    options.append(gain + bonuses(k + 1, rest))
            return max(options)

        merits = sum((c.merit for c in subset), Fraction(0))
        ids = tuple(sorted(c.staff_id for c in subset))
        totals[ids] = merits + bonuses(0, tuple(rules.quotas[s] for s in streets))
    return Exhaustive(totals)


def plain_optimum(candidates: list[Candidate], rules: SecondmentRules) -> Fraction:
    """The optimum of a textbook CP-SAT model (teacher x street booleans, nothing pruned), on
    scores times the least common denominator of the merits and the bonus (exact integers)."""
    bonus = Fraction(str(rules.preference_bonus))
    scale = math.lcm(bonus.denominator, *(c.merit.denominator for c in candidates))
    m = cp_model.CpModel()
    streets = list(rules.quotas)
    x = {(i, s): m.new_bool_var("") for i in range(len(candidates)) for s in streets}
    for i in range(len(candidates)):
        m.add(sum(x[i, s] for s in streets) <= 1)
    for s in streets:
        m.add(sum(x[i, s] for i in range(len(candidates))) == rules.quotas[s])
    for school in {c.school for c in candidates}:
        m.add(
            sum(x[i, s] for i, c in enumerate(candidates) if c.school == school for s in streets)
            <= rules.max_per_school
        )
    m.add(
        sum(x[i, s] for i, c in enumerate(candidates) if c.backbone for s in streets)
        >= backbone_floor(rules)
    )
    m.maximize(
        sum(
            int((c.merit + (bonus if s in c.preferred_streets else 0)) * scale) * x[i, s]
            for i, c in enumerate(candidates)
            for s in streets
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(m) == cp_model.OPTIMAL
    return Fraction(round(solver.objective_value), scale)


def small_instance(seed: int) -> tuple[list[TeacherBase], SecondmentRules]:
    """6-10 eligible teachers plus a few ineligible. On even seeds every teacher copies one of
    three profiles (scores, backbone, preferences), so teachers tie exactly and the tie-break
    decides which of them go."""
    rng = random.Random(seed)
    streets = ["嘉兴路街道", "洛阳路街道", "海伦路街道"][: rng.choice([2, 3])]
    schools = ["甲校", "乙校", "丙校", "丁校"][: rng.randint(2, 4)]
    cap = rng.choice([1, 2])
    quotas = {s: rng.choice([1, 2]) for s in streets}
    while sum(quotas.values()) > len(schools) * cap and rng.random() < 0.9:
        quotas[rng.choice([s for s in streets if quotas[s] > 1] or streets)] -= 1
    grid = [60, 70, 80, 90, 100]

    def profile() -> tuple[int, int, int, int, bool, list[str]]:
        return (
            rng.choice([10, 20, 35]),
            *rng.choices(grid, k=3),
            rng.random() < 0.4,
            rng.sample(streets, k=rng.choice([0, 0, 1, 1, 2])),
        )

    profiles = [profile() for _ in range(3)]
    roster = []
    eligible = rng.randint(6, 10)
    for k in range(eligible + rng.randint(0, 2)):
        years, political, ability, community, backbone, preferred = (
            rng.choice(profiles) if seed % 2 == 0 else profile()
        )
        roster.append(
            make_teacher(
                staff_id=f"T{k:02d}",
                school=rng.choice(schools),
                # the ineligible ones would otherwise win: teaching 3 years, top scores
                years_teaching=years if k < eligible else 3,
                political_score=political if k < eligible else 100,
                ability_score=ability,
                community_work_score=community,
                backbone=backbone,
                preferred_streets=preferred,
            )
        )
    rng.shuffle(roster)
    rules = SecondmentRules(
        year=YEAR,
        quotas=quotas,
        max_per_school=cap,
        min_backbone_share=rng.choice([0, 0.2, 0.34, 0.5]),
        preference_bonus=rng.choice([5, 5, 2.5, 10, 20]),
    )
    return roster, rules


@cache
def solved_small(seed: int) -> tuple[list[Candidate], SecondmentRules, Exhaustive]:
    roster, rules = small_instance(seed)
    candidates = [
        make_candidate(
            t.staff_id,
            merit(t, weights=rules.weights),
            school=t.school,
            backbone=t.backbone,
            preferred_streets=tuple(t.preferred_streets),
        )
        for t in sorted(roster, key=lambda t: t.staff_id)
        if is_eligible(t, rules)
    ]
    return candidates, rules, exhaustive(candidates, rules)


def check_proposal(proposal: Proposal, roster: list[TeacherBase], rules: SecondmentRules) -> None:
    """Every R10.2 constraint, checked from the roster rather than from solver internals."""
    teachers = {t.staff_id: t for t in roster}
    chosen = [p.staff_id for p in proposal.placements]
    assert len(chosen) == len(set(chosen)), "a teacher placed twice"
    assert Counter(p.street for p in proposal.placements) == Counter(
        {s: q for s, q in rules.quotas.items() if q}
    )
    assert max(Counter(teachers[s].school for s in chosen).values()) <= rules.max_per_school
    assert sum(teachers[s].backbone for s in chosen) >= backbone_floor(rules)
    for p in proposal.placements:
        t = teachers[p.staff_id]
        assert is_eligible(t, rules), p.staff_id
        preferred = p.street in t.preferred_streets
        assert p.preferred is preferred
        exact = merit(t, weights=rules.weights) + (rules.preference_bonus if preferred else 0)
        assert p.score == float(exact)  # the nearest float; decisions compare the exact value
    assert proposal.total_score == pytest.approx(sum(p.score for p in proposal.placements))
    assert proposal.proof == "optimal"
    assert proposal.gap == 0


# ---------------------------------------------------------------- eligibility


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"in_service": False}, "不在职"),
        ({"annual_rating": "不合格"}, "不合格"),
        ({"years_teaching": 4}, "教龄4年，不足5年"),
        ({"deferred": True}, "暂缓"),
        ({"last_secondment_year": 2024}, "2024年已挂职"),
        ({"staff_id": "T404"}, "排除"),
    ],
)
def test_each_failed_condition_gives_its_own_reason(
    overrides: dict[str, Any], fragment: str
) -> None:
    reasons = eligibility_reasons(make_teacher(**overrides), rules=make_rules(exclude=("T404",)))
    assert len(reasons) == 1
    assert fragment in reasons[0]


@pytest.mark.parametrize(
    ("last", "eligible"),
    [(None, True), (2020, True), (2023, True), (2024, False), (2025, False), (2026, False)],
)
def test_cooldown_boundary(last: int | None, eligible: bool) -> None:
    # R10.2: year - last <= cooldown (2) is too soon; > cooldown is allowed
    reasons = eligibility_reasons(make_teacher(last_secondment_year=last), rules=make_rules())
    assert (reasons == []) is eligible
    if not eligible:
        assert reasons == [f"{last}年已挂职，间隔须超过2年（R10.2）"]


@pytest.mark.parametrize(("years", "eligible"), [(4, False), (5, True), (6, True)])
def test_min_years_boundary(years: int, eligible: bool) -> None:
    assert (eligibility_reasons(make_teacher(years_teaching=years), rules=make_rules()) == []) is (
        eligible
    )


@pytest.mark.parametrize("rating", ["优秀", "良好", "合格"])
def test_any_rating_but_fail_is_eligible(rating: str) -> None:
    assert eligibility_reasons(make_teacher(annual_rating=rating), rules=make_rules()) == []


def test_several_failures_give_several_reasons() -> None:
    teacher = make_teacher(
        in_service=False,
        annual_rating="不合格",
        years_teaching=2,
        deferred=True,
        last_secondment_year=2025,
    )
    reasons = eligibility_reasons(teacher, rules=make_rules(exclude=("T001",)))
    assert len(reasons) == 6
    assert (
        len(eligibility_reasons(make_teacher(deferred=True, years_teaching=1), rules=make_rules()))
        == 2
    )


def test_rules_overrides_change_eligibility() -> None:
    teacher = make_teacher(years_teaching=7, last_secondment_year=2023)
    assert eligibility_reasons(teacher, rules=make_rules()) == []
    reasons = eligibility_reasons(teacher, rules=make_rules(min_years=8, cooldown_years=3))
    assert len(reasons) == 2


def test_screen_splits_the_roster_and_keeps_every_reason() -> None:
    roster = [
        make_teacher(staff_id="T003"),
        make_teacher(staff_id="T001", deferred=True, in_service=False),
        make_teacher(staff_id="T002", preferred_streets=["嘉兴路街道", "不在配额的街道"]),
    ]
    candidates, ineligible = screen(roster, rules=make_rules())
    assert [c.staff_id for c in candidates] == ["T002", "T003"]
    assert candidates[0].preferred_streets == ("嘉兴路街道",)  # streets without quota dropped
    assert [(i.staff_id, len(i.reasons)) for i in ineligible] == [("T001", 2)]


# ---------------------------------------------------------------- merit


def spec_merit(t: TeacherBase, w: MeritWeights) -> Fraction:
    """docs/spec.md R10.2 merit, in exact fractions."""
    f = Fraction
    experience = f(min(t.years_teaching, 30), 30) * 100
    value = (
        f(str(w.political)) * f(str(t.political_score))
        + f(str(w.experience)) * experience
        + f(str(w.ability)) * f(str(t.ability_score))
        + f(str(w.community_work)) * f(str(t.community_work_score))
    )
    return value


@pytest.mark.parametrize("seed", range(20))
def test_merit_is_the_spec_formula(seed: int) -> None:
    rng = random.Random(seed)
    teacher = make_teacher(
        years_teaching=rng.randint(0, 45),
        political_score=rng.randint(0, 100),
        ability_score=round(rng.uniform(0, 100), 1),
        community_work_score=rng.randint(0, 100),
    )
    weights = MeritWeights()
    if seed % 2:
        weights = MeritWeights(political=0.4, experience=0.1, ability=0.35, community_work=0.15)
    assert merit(teacher, weights=weights) == spec_merit(teacher, weights)  # exact, not rounded


def test_merit_is_exact_so_near_ties_stay_apart() -> None:
    # 0.20 * 7/30 * 100 = 14/3: rounded to thousandths it would tie with 4.667
    seven = merit(make_teacher(years_teaching=7), weights=MeritWeights())
    assert seven - merit(make_teacher(years_teaching=6), weights=MeritWeights()) == Fraction(2, 3)
    assert seven.denominator == 3
    # with the default weights and whole-number criteria every merit is a multiple of 1/60
    rng = random.Random(5)
    for _ in range(200):
        teacher = make_teacher(
            years_teaching=rng.randint(0, 40),
            political_score=rng.randint(0, 100),
            ability_score=rng.randint(0, 100),
            community_work_score=rng.randint(0, 100),
        )
        assert (merit(teacher, weights=MeritWeights()) * 60).denominator == 1


def test_merit_worked_example() -> None:
    teacher = make_teacher(
        years_teaching=15, political_score=90, ability_score=80, community_work_score=70
    )
    # 0.30*90 + 0.20*(15/30*100) + 0.25*80 + 0.25*70 = 27 + 10 + 20 + 17.5
    assert merit(teacher, weights=MeritWeights()) == 74.5


def test_experience_is_capped_at_thirty_years() -> None:
    w = MeritWeights()
    at = {y: merit(make_teacher(years_teaching=y), weights=w) for y in (29, 30, 31, 45)}
    assert at[30] == at[31] == at[45] > at[29]
    assert at[30] == pytest.approx(0.3 * 80 + 0.2 * 100 + 0.25 * 80 + 0.25 * 80)


@pytest.mark.parametrize(
    "weights",
    [
        {"political": 0.5},
        {"political": 0.3, "experience": 0.2, "ability": 0.25, "community_work": 0.2},
        {"political": 0, "experience": 0, "ability": 0, "community_work": 0},
    ],
)
def test_weights_that_do_not_sum_to_one_are_refused(weights: dict[str, float]) -> None:
    with pytest.raises(ValidationError, match="权重之和应为1"):
        MeritWeights(**weights)
    with pytest.raises(ValidationError, match="权重之和应为1"):
        make_rules(weights=weights)


# ---------------------------------------------------------------- optimum vs brute force


@pytest.mark.parametrize("seed", SEEDS)
def test_optimum_and_tie_break_match_brute_force(seed: int) -> None:
    roster, rules = small_instance(seed)
    candidates, _, brute = solved_small(seed)
    assert 6 <= len(candidates) <= 10
    if brute.best is None:
        with pytest.raises(InfeasibleSecondment):
            select_candidates(roster, rules=rules)
        return
    proposal = select_candidates(roster, rules=rules)
    check_proposal(proposal, roster, rules)
    assert exact_total(proposal, roster, rules) == brute.best
    # R10.2: among optimal answers, the lexicographically smallest sorted staff_id list
    assert tuple(sorted(p.staff_id for p in proposal.placements)) == brute.optimal[0]


def test_the_brute_force_instances_really_tie() -> None:
    """The tie-break is exercised: many instances have several optimal selections."""
    tied = [seed for seed in SEEDS if len(solved_small(seed)[2].optimal) > 1]
    feasible = [seed for seed in SEEDS if solved_small(seed)[2].best is not None]
    assert len(feasible) >= 40
    assert len(tied) >= 15


def test_tie_broken_for_the_smaller_staff_id_when_a_preference_bonus_decides() -> None:
    # T3 takes 洛阳 (88 + 5); the other place is worth 84 to T0 (79 + 5 on 嘉兴) and to T4 (84):
    # two optimal answers, {T0, T3} is the smaller list. (Regression: the LP prefix check in
    # the tie-break used to subtract the forced teacher's own reduced cost and skip T0.)
    candidates = [
        make_candidate("T0", 79, preferred_streets=("嘉兴路街道", "洛阳路街道")),
        make_candidate("T3", 88, school="乙校", preferred_streets=("洛阳路街道",)),
        make_candidate("T4", 84, preferred_streets=("洛阳路街道",)),
    ]
    rules = make_rules(quotas={"嘉兴路街道": 1, "洛阳路街道": 1}, min_backbone_share=0)
    pairs = solve_placement(candidates, rules=rules).pairs
    assert sorted((c.staff_id, s) for c, s in pairs) == [("T0", "嘉兴路街道"), ("T3", "洛阳路街道")]
    assert total_of(pairs, rules=rules) == 177


def test_identical_merits_go_to_the_smaller_staff_ids() -> None:
    roster = [make_teacher(staff_id=f"T{k:03d}", school=f"校{k}") for k in (7, 3, 9, 1, 5)]
    rules = make_rules(quotas={"嘉兴路街道": 3}, min_backbone_share=0)
    proposal = select_candidates(roster, rules=rules)
    assert sorted(p.staff_id for p in proposal.placements) == ["T001", "T003", "T005"]


@pytest.mark.parametrize("seed", SEEDS)
def test_prune_never_drops_a_teacher_of_an_optimal_answer(seed: int) -> None:
    candidates, rules, brute = solved_small(seed)
    kept = {c.staff_id for c in prune(candidates, rules=rules)}
    for answer in brute.optimal:
        assert set(answer) <= kept


def test_prune_does_drop_candidates_on_the_small_instances() -> None:
    """The safety test above is not vacuous."""
    pruned = sum(
        len(c) - len(prune(c, rules=r)) for c, r, _ in (solved_small(seed) for seed in SEEDS)
    )
    assert pruned >= 30


@pytest.mark.parametrize("seed", SEEDS[:30])
def test_exact_lp_bounds_never_cut_below_a_feasible_answer(seed: int) -> None:
    candidates, rules, brute = solved_small(seed)
    bounds = teacher_bounds(candidates, rules=rules)
    if brute.best is None:
        return
    assert bounds is not None
    total, per = bounds
    assert total >= brute.best
    for c in candidates:
        with_, without = per[c.staff_id]
        alone = brute.best_containing(c.staff_id)
        if alone is not None:
            assert with_ >= alone
        rest = brute.best_without(c.staff_id)
        if rest is not None:
            assert without >= rest


def test_exact_lp_bounds_rule_teachers_in_and_out() -> None:
    """The safety test above is not vacuous: the bounds decide most teachers."""
    decided = 0
    for seed in SEEDS:
        candidates, rules, brute = solved_small(seed)
        bounds = teacher_bounds(candidates, rules=rules)
        if brute.best is None or bounds is None:
            continue
        decided += sum(
            with_ < brute.best or without < brute.best for with_, without in bounds[1].values()
        )
    assert decided >= 150


@pytest.mark.parametrize("seed", SEEDS[:20])
def test_greedy_is_feasible_and_never_beats_the_optimum(seed: int) -> None:
    candidates, rules, brute = solved_small(seed)
    pairs = greedy_placement(candidates, rules=rules)
    if pairs is None:
        return
    chosen = tuple(sorted(c.staff_id for c, _ in pairs))
    assert chosen in brute.totals
    assert Counter(s for _, s in pairs) == Counter({s: q for s, q in rules.quotas.items() if q})
    assert total_of(pairs, rules=rules) <= brute.best_containing(*chosen) <= (brute.best or 0)


# ---------------------------------------------------------------- realistic sizes


def profile_instance(seed: int) -> tuple[list[TeacherBase], SecondmentRules]:
    profile, _ = load_profile()
    roster = generate_roster(
        count=300,
        schools=[s.name for s in profile.schools],
        streets=profile.street_names,
        seed=seed,
        year=YEAR,
    )
    return roster, SecondmentRules(year=YEAR, quotas=profile.secondment_quotas())


def twenty_street_instance(seed: int) -> tuple[list[TeacherBase], SecondmentRules]:
    streets = [f"街道{k:02d}" for k in range(20)]
    roster = generate_roster(
        count=300, schools=[f"学校{k:02d}" for k in range(60)], streets=streets, seed=seed
    )
    return roster, SecondmentRules(year=YEAR, quotas=dict.fromkeys(streets, 3))


@pytest.mark.parametrize(
    ("build", "seed"),
    [(profile_instance, 1), (profile_instance, 2), (twenty_street_instance, 3)],
)
def test_every_constraint_holds_at_realistic_size(build: Any, seed: int) -> None:
    roster, rules = build(seed)
    proposal = select_candidates(roster, rules=rules, time_limit=30)
    check_proposal(proposal, roster, rules)
    assert proposal.eligible_count == sum(is_eligible(t, rules) for t in roster)
    assert {i.staff_id for i in proposal.ineligible} == {
        t.staff_id for t in roster if not is_eligible(t, rules)
    }
    candidates, _ = screen(roster, rules=rules)
    assert exact_total(proposal, roster, rules) == plain_optimum(candidates, rules)


def test_tight_backbone_share_and_school_cap_at_realistic_size() -> None:
    roster, rules = profile_instance(4)
    rules = rules.model_copy(update={"min_backbone_share": 0.6, "max_per_school": 1})
    proposal = select_candidates(roster, rules=rules, time_limit=30)
    check_proposal(proposal, roster, rules)
    assert sum(p.backbone for p in proposal.placements) >= 9
    candidates, _ = screen(roster, rules=rules)
    assert exact_total(proposal, roster, rules) == plain_optimum(candidates, rules)


# ---------------------------------------------------------------- determinism


def test_same_roster_and_rules_give_the_same_placements() -> None:
    roster, rules = twenty_street_instance(5)

    def run(teachers: list[TeacherBase]) -> list[dict[str, Any]]:
        proposal = select_candidates(teachers, rules=rules, time_limit=30)
        return [p.model_dump() for p in proposal.placements]

    first = run(roster)
    assert run(roster) == first
    shuffled = list(roster)
    random.Random(0).shuffle(shuffled)
    assert run(shuffled) == first  # roster order is not an input


def test_inputs_digest_is_stable() -> None:
    roster, rules = small_instance(2)
    a = select_candidates(roster, rules=rules)
    b = select_candidates(list(reversed(roster)), rules=rules)
    assert a.inputs_digest == b.inputs_digest


# ---------------------------------------------------------------- infeasibility


PILOT = {"嘉兴路街道": 5, "洛阳路街道": 5, "海伦路街道": 5}


def test_too_few_eligible_names_the_need_and_the_count() -> None:
    roster = [make_teacher(staff_id=f"T{k:03d}", school=f"校{k}") for k in range(12)]
    roster += [make_teacher(staff_id="T900", years_teaching=1)]
    with pytest.raises(InfeasibleSecondment) as info:
        select_candidates(roster, rules=make_rules(quotas=PILOT, min_backbone_share=0))
    assert "共需选派 15 名，符合条件的教师只有 12 名" in str(info.value)


def test_per_school_cap_shortfall_is_named() -> None:
    roster = [make_teacher(staff_id=f"T{k:03d}", school=f"校{k % 5}") for k in range(20)]
    with pytest.raises(InfeasibleSecondment) as info:
        select_candidates(roster, rules=make_rules(quotas=PILOT, min_backbone_share=0))
    message = str(info.value)
    assert "按每校至多 2 名计，符合条件的教师只有 10 名" in message


def test_backbone_shortfall_is_named() -> None:
    roster = [
        make_teacher(staff_id=f"T{k:03d}", school=f"校{k}", backbone=k < 2) for k in range(30)
    ]
    with pytest.raises(InfeasibleSecondment) as info:
        select_candidates(roster, rules=make_rules(quotas=PILOT))
    message = str(info.value)
    assert "骨干教师至少需 3 名" in message and "只有 2 名" in message


def test_backbone_shortfall_after_the_school_cap_is_named() -> None:
    # four backbone teachers, but all in one school: only two of them can go
    roster = [make_teacher(staff_id=f"B{k}", school="甲校", backbone=True) for k in range(4)]
    roster += [make_teacher(staff_id=f"T{k:03d}", school=f"校{k}") for k in range(20)]
    with pytest.raises(InfeasibleSecondment, match="骨干教师"):
        select_candidates(roster, rules=make_rules(quotas=PILOT))


# ---------------------------------------------------------------- replacement


STREET = "洛阳路街道"


def test_replacement_is_the_best_score_for_that_street() -> None:
    candidates = [
        make_candidate("T1", 80, school="甲校"),
        make_candidate("T2", 78, school="乙校", preferred_streets=(STREET,)),
        make_candidate("T3", 82, school="丙校", preferred_streets=("嘉兴路街道",)),
    ]
    chosen, score = choose_replacement(
        candidates,
        active=[],
        street=STREET,
        leaving_backbone=False,
        unavailable=set(),
        rules=make_rules(min_backbone_share=0),
    )
    assert (chosen.staff_id, score) == ("T2", 83.0)  # 78 + 5 beats 82 elsewhere-preferred


def test_replacement_respects_the_school_cap_and_unavailable() -> None:
    full = [make_candidate(f"A{k}", 70, school="甲校") for k in range(2)]
    candidates = [
        *full,
        make_candidate("T1", 99, school="甲校"),  # school already has 2 active
        make_candidate("T2", 95, school="乙校"),  # declined earlier
        make_candidate("T3", 90, school="丙校"),
    ]
    chosen, _ = choose_replacement(
        candidates,
        active=[make_placement(c, STREET) for c in full],
        street=STREET,
        leaving_backbone=False,
        unavailable={"T2"},
        rules=make_rules(min_backbone_share=0),
    )
    assert chosen.staff_id == "T3"


def test_replacement_must_be_backbone_only_when_the_share_would_break() -> None:
    rules = make_rules(quotas={STREET: 5}, min_backbone_share=0.2)  # 1 backbone needed
    stay = [make_candidate(f"A{k}", 70, school=f"校{k}") for k in range(4)]
    candidates = [
        *stay,
        make_candidate("T1", 99, school="乙校"),
        make_candidate("T2", 60, school="丙校", backbone=True),
    ]
    active = [make_placement(c, STREET) for c in stay]
    chosen, _ = choose_replacement(
        candidates,
        active=active,
        street=STREET,
        leaving_backbone=True,
        unavailable=set(),
        rules=rules,
    )
    assert chosen.staff_id == "T2"
    # another backbone teacher stays: the share holds without a backbone replacement
    backbone_stays = [
        *active[:3],
        make_placement(stay[3].model_copy(update={"backbone": True}), STREET),
    ]
    chosen, _ = choose_replacement(
        candidates,
        active=backbone_stays,
        street=STREET,
        leaving_backbone=True,
        unavailable=set(),
        rules=rules,
    )
    assert chosen.staff_id == "T1"
    # a non-backbone decliner never forces a backbone replacement
    chosen, _ = choose_replacement(
        candidates,
        active=active,
        street=STREET,
        leaving_backbone=False,
        unavailable=set(),
        rules=rules,
    )
    assert chosen.staff_id == "T1"


def test_replacement_tie_goes_to_the_smaller_staff_id() -> None:
    candidates = [
        make_candidate("T9", 80, school="甲校"),
        make_candidate("T5", 75, school="乙校", preferred_streets=(STREET,)),
        make_candidate("T7", 80, school="丙校"),
    ]
    chosen, score = choose_replacement(
        candidates,
        active=[],
        street=STREET,
        leaving_backbone=False,
        unavailable=set(),
        rules=make_rules(min_backbone_share=0),
    )
    assert (chosen.staff_id, score) == ("T5", 80.0)


def test_no_replacement_available_raises() -> None:
    rules = make_rules(quotas={STREET: 5}, min_backbone_share=0.2)
    candidates = [make_candidate("T1", 90, school="乙校")]
    with pytest.raises(InfeasibleSecondment, match=f"{STREET}需递补一名骨干教师"):
        choose_replacement(
            candidates,
            active=[],
            street=STREET,
            leaving_backbone=True,
            unavailable=set(),
            rules=rules,
        )
    with pytest.raises(InfeasibleSecondment, match=f"{STREET}需递补一名教师"):
        choose_replacement(
            candidates,
            active=[],
            street=STREET,
            leaving_backbone=False,
            unavailable={"T1"},
            rules=rules,
        )
