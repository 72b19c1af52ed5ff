"""Teacher secondment (R10.2): eligibility, merit and the optimal placement on streets.

Plain typed functions; `flows/teacher_secondment.py` orchestrates them. The decision rule is
the one in docs/spec.md: eligible teachers, merit = weighted criteria, score = merit +
preference bonus, quotas per street, one street per teacher, a cap per school, a minimum backbone
share; maximise the total score; among optimal answers take the lexicographically smallest list
of selected staff_ids.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

from models.profile.schema import MeritWeights
from models.refusal import Refusal
from models.secondment import TeacherBase

SCALE = 1000  # scores are compared in thousandths of a point, so ties are exact


class SecondmentRules(BaseModel):
    """The parameters of one year's secondment, resolved from the profile and the run."""

    model_config = ConfigDict(frozen=True)

    year: int
    quotas: dict[str, int]
    min_years: int = 5
    cooldown_years: int = 2
    max_per_school: int = 2
    min_backbone_share: float = 0.2
    preference_bonus: float = 5.0
    weights: MeritWeights = Field(default_factory=MeritWeights)
    exclude: tuple[str, ...] = ()

    @property
    def places(self) -> int:
        return sum(self.quotas.values())

    @property
    def backbone_needed(self) -> int:
        # R10.2 backbone share, rounded up; the epsilon keeps 0.2 * 15 = 3 from becoming 4
        return math.ceil(self.min_backbone_share * self.places - 1e-9)


class Candidate(BaseModel):
    """An eligible teacher with the merit the rule gives them."""

    model_config = ConfigDict(frozen=True)

    staff_id: str
    name: str
    school: str
    backbone: bool
    merit: float
    preferred_streets: tuple[str, ...] = ()


class Ineligible(BaseModel):
    staff_id: str
    name: str
    reasons: list[str]


class Placement(BaseModel):
    staff_id: str
    name: str
    school: str
    street: str
    merit: float
    score: float
    preferred: bool
    backbone: bool
    reason: str


class Proposal(BaseModel):
    """The optimal placement for a year, with everything needed to explain and reproduce it."""

    year: int
    placements: list[Placement]
    total_score: float
    ineligible: list[Ineligible]
    eligible_count: int
    considered_count: int  # candidates left after safe pruning
    inputs_digest: str
    solve_seconds: float


class InfeasibleSecondment(Refusal):
    """No placement satisfies the rules; `reasons` name the binding shortfall (Chinese)."""

    def __init__(self, reasons: list[str], *, what: str = "无法形成选派方案") -> None:
        self.reasons = reasons
        super().__init__(f"{what}，未写入任何内容：" + "；".join(reasons))


def eligibility_reasons(teacher: TeacherBase, *, rules: SecondmentRules) -> list[str]:
    """Every failed R10.2 condition of this teacher, in words a clerk reads; empty if eligible."""
    reasons = []
    if not teacher.in_service:
        reasons.append("不在职（R10.2 仅选派在职教师）")
    if teacher.annual_rating == "不合格":
        reasons.append("年度考核不合格（R10.2）")
    if teacher.years_teaching < rules.min_years:
        reasons.append(f"教龄{teacher.years_teaching}年，不足{rules.min_years}年（R10.2）")
    if teacher.deferred:
        reasons.append("本人申请暂缓（R10.2）")
    last = teacher.last_secondment_year
    if last is not None and rules.year - last <= rules.cooldown_years:
        reasons.append(f"{last}年已挂职，间隔须超过{rules.cooldown_years}年（R10.2）")
    if teacher.staff_id in rules.exclude:
        reasons.append("经办人员审核时排除（R10.2 审批）")
    return reasons


def merit(teacher: TeacherBase, *, weights: MeritWeights) -> float:
    """R10.2 merit: political quality, experience (capped at 30 years), ability, community work."""
    experience = min(teacher.years_teaching, 30) / 30 * 100
    value = (
        weights.political * teacher.political_score
        + weights.experience * experience
        + weights.ability * teacher.ability_score
        + weights.community_work * teacher.community_work_score
    )
    return round(value, 3)


def _scaled(value: float) -> int:
    return round(value * SCALE)


def inputs_digest(roster: Iterable[TeacherBase], rules: SecondmentRules) -> str:
    """A digest of everything the decision depends on, stored with it for reproduction."""
    payload = {
        "rules": rules.model_dump(mode="json"),
        "roster": sorted(
            (t.model_dump(mode="json", exclude={"phone"}) for t in roster),
            key=lambda row: str(row["staff_id"]),
        ),
    }
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]


def screen(
    roster: Sequence[TeacherBase], *, rules: SecondmentRules
) -> tuple[list[Candidate], list[Ineligible]]:
    """Split the roster into eligible candidates (with merit) and the ineligible (with reasons)."""
    candidates, ineligible = [], []
    for teacher in sorted(roster, key=lambda t: t.staff_id):
        reasons = eligibility_reasons(teacher, rules=rules)
        if reasons:
            ineligible.append(
                Ineligible(staff_id=teacher.staff_id, name=teacher.name, reasons=reasons)
            )
            continue
        candidates.append(
            Candidate(
                staff_id=teacher.staff_id,
                name=teacher.name,
                school=teacher.school,
                backbone=teacher.backbone,
                merit=merit(teacher, weights=rules.weights),
                preferred_streets=tuple(s for s in teacher.preferred_streets if s in rules.quotas),
            )
        )
    return candidates, ineligible


def explain_shortfall(candidates: Sequence[Candidate], *, rules: SecondmentRules) -> list[str]:
    """The counting reasons no placement can exist (empty when the counts allow one)."""
    need = rules.places
    streets = "、".join(rules.quotas)
    cap = rules.max_per_school
    by_school: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_school[c.school].append(c)
    reasons = []
    if len(candidates) < need:
        reasons.append(f"{streets}共需选派 {need} 名，符合条件的教师只有 {len(candidates)} 名")
    else:
        usable = sum(min(cap, len(members)) for members in by_school.values())
        if usable < need:
            reasons.append(
                f"{streets}共需选派 {need} 名，按每校至多 {cap} 名计，"
                f"符合条件的教师只有 {usable} 名"
            )
    backbone_usable = sum(
        min(cap, sum(1 for c in members if c.backbone)) for members in by_school.values()
    )
    if backbone_usable < rules.backbone_needed:
        reasons.append(
            f"骨干教师至少需 {rules.backbone_needed} 名（{need} 名的"
            f"{rules.min_backbone_share:.0%}），按每校上限计符合条件的只有 {backbone_usable} 名"
        )
    return reasons


def _bar(c: Candidate, bonus: int) -> int:
    """The most `c` can score anywhere: merit, plus the bonus if it prefers a street in play."""
    return _scaled(c.merit) + (bonus if c.preferred_streets else 0)


def prune(candidates: Sequence[Candidate], *, rules: SecondmentRules) -> list[Candidate]:
    """Drop candidates that no optimal placement can contain (safe exchange arguments).

    Call t *dominated* by t' when t' has merit above t's best possible score and t' is backbone
    if t is: t' scores more than t on any street and swapping keeps the backbone share.
    1. Same school: if `cap` teachers of t's school dominate t, one of them is unselected whenever
       t is selected, and the swap within the school raises the total.
    2. District-wide: if the teachers dominating t span P + floor(P / cap) schools, one of them is
       unselected in a school with room whenever t is selected (at most P - 1 others are selected,
       at most floor(P / cap) schools are full), and the swap raises the total.
    Pruned candidates are in no optimal answer, so the tie-break among optimal answers is the same.
    """
    places, cap = rules.places, rules.max_per_school
    threshold = places + places // cap
    bonus = _scaled(rules.preference_bonus)
    ranked = sorted(candidates, key=lambda c: -_scaled(c.merit))
    keep: list[Candidate] = []
    for backbone_only in (False, True):
        # dominators of a backbone teacher must be backbone; of the others, anyone
        pool = [c for c in ranked if c.backbone or not backbone_only]
        group = sorted(
            (c for c in ranked if c.backbone == backbone_only), key=lambda c: -_bar(c, bonus)
        )
        schools_seen: set[str] = set()
        per_school: dict[str, int] = defaultdict(int)
        i = 0
        for c in group:
            bar = _bar(c, bonus)
            while i < len(pool) and _scaled(pool[i].merit) > bar:
                schools_seen.add(pool[i].school)
                per_school[pool[i].school] += 1
                i += 1
            if len(schools_seen) < threshold and per_school[c.school] < cap:
                keep.append(c)
    return sorted(keep, key=lambda c: c.staff_id)


class _Model:
    """CP-SAT model: x[t, s] = teacher t placed on street s (candidates in staff_id order)."""

    def __init__(self, candidates: Sequence[Candidate], rules: SecondmentRules) -> None:
        self.candidates = list(candidates)
        self.rules = rules
        self.streets = list(rules.quotas)
        m = self.model = cp_model.CpModel()
        n = len(candidates)
        self.x = {(i, s): m.new_bool_var(f"x{i}_{s}") for i in range(n) for s in self.streets}
        self.y = [m.new_bool_var(f"y{i}") for i in range(n)]
        for i in range(n):
            m.add(sum(self.x[i, s] for s in self.streets) == self.y[i])
        for s, quota in rules.quotas.items():
            m.add(sum(self.x[i, s] for i in range(n)) == quota)
        by_school: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(candidates):
            by_school[c.school].append(i)
        for members in by_school.values():
            if len(members) > rules.max_per_school:
                m.add(sum(self.y[i] for i in members) <= rules.max_per_school)
        m.add(
            sum(self.y[i] for i, c in enumerate(candidates) if c.backbone) >= rules.backbone_needed
        )
        self.coef = {
            (i, s): self.value(c, s) for i, c in enumerate(candidates) for s in self.streets
        }
        self.score = sum(self.coef[key] * var for key, var in self.x.items())

    def value(self, c: Candidate, street: str) -> int:
        bonus = _scaled(self.rules.preference_bonus) if street in c.preferred_streets else 0
        return _scaled(c.merit) + bonus

    def solve(
        self,
        *,
        objective: object,
        time_limit: float,
        workers: int = 2,
        assume: Sequence[cp_model.IntVar] = (),
    ) -> tuple[Any, cp_model.CpSolver]:
        m = self.model
        m.clear_assumptions()
        m.add_assumptions(list(assume))
        m.maximize(objective)  # type: ignore[arg-type]
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.random_seed = 0
        return solver.solve(m), solver

    def selection(self, solver: cp_model.CpSolver) -> set[int]:
        return {i for i, var in enumerate(self.y) if solver.value(var)}


def lp_bounds(
    candidates: Sequence[Candidate], *, rules: SecondmentRules, force: Iterable[int] = ()
) -> list[float] | None:
    """Per candidate, an upper bound on the total of any answer that contains them.

    `force` (candidate positions) are selected in every answer considered.

    From the LP relaxation of a compact model (y[t] selected, x[t, s] on preferred street s; the
    other places are interchangeable): forcing y[t] = 1 lowers the LP optimum by at least the
    reduced cost of y[t]. None if the LP cannot be solved (then nothing is ruled out).
    """
    from ortools.linear_solver import pywraplp

    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    infinity = lp.infinity()
    bonus = _scaled(rules.preference_bonus)
    objective = lp.Objective()
    objective.SetMaximization()
    forced = set(force)
    ys = [lp.NumVar(1 if i in forced else 0, 1, f"y{i}") for i in range(len(candidates))]
    total = lp.Constraint(rules.places, rules.places)
    backbone = lp.Constraint(rules.backbone_needed, infinity)
    streets = {s: lp.Constraint(0, quota) for s, quota in rules.quotas.items()}
    schools: dict[str, pywraplp.Constraint] = {}
    for i, c in enumerate(candidates):
        y = ys[i]
        objective.SetCoefficient(y, _scaled(c.merit))
        total.SetCoefficient(y, 1)
        if c.backbone:
            backbone.SetCoefficient(y, 1)
        if c.school not in schools:
            schools[c.school] = lp.Constraint(0, rules.max_per_school)
        schools[c.school].SetCoefficient(y, 1)
        link = lp.Constraint(-infinity, 0)  # sum of preferred placements <= y
        link.SetCoefficient(y, -1)
        for s in c.preferred_streets:
            x = lp.NumVar(0, 1, "")
            objective.SetCoefficient(x, bonus)
            link.SetCoefficient(x, 1)
            streets[s].SetCoefficient(x, 1)
    status = lp.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return [-infinity] * len(candidates)
    if status != pywraplp.Solver.OPTIMAL:
        return None
    bound = objective.Value()
    # allow for LP round-off so that rounding never rules out a tied candidate
    slack = 1.0 + 1e-6 * abs(bound)
    # A forced y sits at its lower bound 1, so its (negative) reduced cost prices lowering it
    # towards 0, which no answer considered does: the LP optimum itself is its bound.
    return [
        bound + slack if i in forced else bound + min(0.0, y.reduced_cost()) + slack
        for i, y in enumerate(ys)
    ]


def greedy_placement(
    candidates: Sequence[Candidate], *, rules: SecondmentRules
) -> list[tuple[Candidate, str]] | None:
    """A quick feasible placement (best merit first, preferred street when free), or None.

    The baseline the benchmark compares the optimal placement with.
    """
    bonus = _scaled(rules.preference_bonus)
    free = dict(rules.quotas)
    per_school: dict[str, int] = defaultdict(int)
    others_allowed = rules.places - rules.backbone_needed
    others = 0
    placed: list[tuple[Candidate, str]] = []
    for c in sorted(candidates, key=lambda c: (-_bar(c, bonus), c.staff_id)):
        if len(placed) == rules.places:
            break
        if per_school[c.school] >= rules.max_per_school:
            continue
        if not c.backbone and others >= others_allowed:
            continue
        street = next((s for s in c.preferred_streets if free.get(s, 0) > 0), None)
        street = street or next((s for s, left in free.items() if left > 0), None)
        if street is None:
            break
        free[street] -= 1
        per_school[c.school] += 1
        others += 0 if c.backbone else 1
        placed.append((c, street))
    return placed if len(placed) == rules.places else None


def total_of(pairs: Iterable[tuple[Candidate, str]], *, rules: SecondmentRules) -> int:
    """The total score of a placement, in thousandths of a point."""
    bonus = _scaled(rules.preference_bonus)
    return sum(_scaled(c.merit) + (bonus if s in c.preferred_streets else 0) for c, s in pairs)


def solve_placement(
    candidates: Sequence[Candidate], *, rules: SecondmentRules, time_limit: float = 60.0
) -> list[tuple[Candidate, str]]:
    """Optimal (candidate, street) pairs under the rules; raise InfeasibleSecondment if none."""
    shortfall = explain_shortfall(candidates, rules=rules)
    if shortfall:
        raise InfeasibleSecondment(shortfall)
    kept = prune(candidates, rules=rules)
    # Phase 1: the best total, proven optimal. The LP bound of each candidate against a good
    # answer (found on the most promising candidates) rules most of them out before the proof.
    bounds = lp_bounds(kept, rules=rules)
    if bounds is not None:
        first = bounds
        promising = sorted(range(len(kept)), key=lambda i: (-first[i], kept[i].staff_id))
        few = sorted(promising[: max(2 * rules.places, rules.places + 40)])
        mdl = _Model([kept[i] for i in few], rules)
        status, solver = mdl.solve(objective=mdl.score, time_limit=time_limit)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            floor = round(solver.objective_value)
            kept = [c for c, bound in zip(kept, bounds, strict=True) if bound >= floor]
    mdl = _Model(kept, rules)
    status, solver = mdl.solve(objective=mdl.score, time_limit=time_limit)
    if status == cp_model.INFEASIBLE:
        raise InfeasibleSecondment(
            [
                "各街道名额（"
                + "，".join(f"{s} {n} 名" for s, n in rules.quotas.items())
                + f"）、每校至多 {rules.max_per_school} 名和骨干教师至少 "
                f"{rules.backbone_needed} 名不能同时满足"
            ]
        )
    if status != cp_model.OPTIMAL:
        raise TimeoutError(f"the solver found no proven optimum within {time_limit:g} s")
    best = round(solver.objective_value)
    chosen = {kept[i].staff_id for i in mdl.selection(solver)}
    # Phase 2: the lexicographically smallest selected list among optimal answers, on the
    # candidates that can still be in one. Walk them in staff_id order and take each one that
    # some optimal answer (with those taken so far) contains.
    bounds = lp_bounds(kept, rules=rules)
    if bounds is not None:
        kept = [c for c, bound in zip(kept, bounds, strict=True) if bound >= best]
        mdl = _Model(kept, rules)
    index = {c.staff_id: i for i, c in enumerate(kept)}
    fixed_in: list[int] = []
    for i, c in enumerate(kept):  # kept is in staff_id order
        if len(fixed_in) == rules.places:
            break
        if c.staff_id not in chosen:
            # the LP with this prefix rules most candidates out without a CP-SAT solve
            check = lp_bounds(kept, rules=rules, force=[*fixed_in, i])
            if check is not None and check[i] < best:
                continue
            assume = [mdl.y[j] for j in fixed_in] + [mdl.y[i]]
            status, solver = mdl.solve(objective=mdl.score, time_limit=time_limit, assume=assume)
            if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
                raise TimeoutError(f"the tie-break check did not finish within {time_limit:g} s")
            if status == cp_model.INFEASIBLE or round(solver.objective_value) < best:
                continue
            chosen = {kept[j].staff_id for j in mdl.selection(solver)}
        fixed_in.append(i)
    # Phase 3: streets for the chosen teachers, on a model of those teachers alone, by a
    # single-worker (so reproducible) solve; it reaches the same best total.
    final = _Model([kept[index[sid]] for sid in sorted(chosen)], rules)
    status, solver = final.solve(objective=final.score, time_limit=time_limit, workers=1)
    if status != cp_model.OPTIMAL or round(solver.objective_value) != best:
        raise TimeoutError(f"placing the selected teachers did not finish within {time_limit:g} s")
    return [
        (c, s)
        for i, c in enumerate(final.candidates)
        for s in final.streets
        if solver.value(final.x[i, s])
    ]


_OPTIMAL = "在配额、每校上限和骨干比例约束下总分最优（R10.2）"


def _reason(c: Candidate, street: str, preferred: bool, rules: SecondmentRules) -> str:
    parts = [f"综合得分{c.merit:.2f}"]
    if preferred:
        parts.append(f"意向街道加{rules.preference_bonus:g}分")
    if c.backbone:
        parts.append("骨干教师")
    return (
        f"选派至{street}："
        + "，".join(parts)
        + "；在配额、每校上限和骨干比例约束下总分最优（R10.2）"
    )


def select_candidates(
    roster: Sequence[TeacherBase], *, rules: SecondmentRules, time_limit: float = 60.0
) -> Proposal:
    """The whole R10.2 decision for a year: screen, score, place optimally, explain."""
    started = time.perf_counter()
    candidates, ineligible = screen(roster, rules=rules)
    pairs = solve_placement(candidates, rules=rules, time_limit=time_limit)
    placements = []
    for c, street in pairs:
        preferred = street in c.preferred_streets
        score = c.merit + (rules.preference_bonus if preferred else 0.0)
        placements.append(
            Placement(
                staff_id=c.staff_id,
                name=c.name,
                school=c.school,
                street=street,
                merit=c.merit,
                score=round(score, 3),
                preferred=preferred,
                backbone=c.backbone,
                reason=_reason(c, street, preferred, rules),
            )
        )
    order = list(rules.quotas)
    placements.sort(key=lambda p: (order.index(p.street), -p.score, p.staff_id))
    return Proposal(
        year=rules.year,
        placements=placements,
        total_score=round(sum(p.score for p in placements), 3),
        ineligible=ineligible,
        eligible_count=len(candidates),
        considered_count=len(prune(candidates, rules=rules)),
        inputs_digest=inputs_digest(roster, rules),
        solve_seconds=round(time.perf_counter() - started, 3),
    )


def choose_replacement(
    candidates: Sequence[Candidate],
    *,
    active: Sequence[Placement],
    street: str,
    leaving_backbone: bool,
    unavailable: set[str],
    rules: SecondmentRules,
) -> tuple[Candidate, float]:
    """The next-best eligible teacher for one street, the other placements staying as they are.

    Same constraints as the main rule: a free place at the teacher's school (cap), and a backbone
    teacher if losing the decliner would break the backbone share. Highest score for this street
    wins; equal scores go to the smaller staff_id.
    """
    per_school: dict[str, int] = defaultdict(int)
    for p in active:
        per_school[p.school] += 1
    backbone_left = sum(1 for p in active if p.backbone)
    must_be_backbone = leaving_backbone and backbone_left < rules.backbone_needed
    taken = {p.staff_id for p in active} | unavailable
    best: tuple[int, str, Candidate] | None = None
    for c in candidates:
        if c.staff_id in taken or per_school[c.school] >= rules.max_per_school:
            continue
        if must_be_backbone and not c.backbone:
            continue
        bonus = rules.preference_bonus if street in c.preferred_streets else 0.0
        key = (-_scaled(c.merit + bonus), c.staff_id, c)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        need = "骨干教师" if must_be_backbone else "教师"
        raise InfeasibleSecondment(
            [
                f"{street}需递补一名{need}，但没有符合条件且未选派的人选"
                f"（每校至多 {rules.max_per_school} 名）"
            ],
            what="无法递补",
        )
    chosen = best[2]
    bonus = rules.preference_bonus if street in chosen.preferred_streets else 0.0
    return chosen, round(chosen.merit + bonus, 3)


def replacement_placement(
    c: Candidate, *, street: str, score: float, decliner: str, rules: SecondmentRules
) -> Placement:
    """The Placement record of a replacement, with its reason."""
    preferred = street in c.preferred_streets
    bonus = f"，意向街道加{rules.preference_bonus:g}分" if preferred else ""
    reason = (
        f"递补{decliner}至{street}：在其余选派不变、配额和每校上限约束下得分最高的符合条件教师"
        f"（综合得分{c.merit:.2f}{bonus}）（R10.2）"
    )
    return Placement(
        staff_id=c.staff_id,
        name=c.name,
        school=c.school,
        street=street,
        merit=c.merit,
        score=score,
        preferred=preferred,
        backbone=c.backbone,
        reason=reason,
    )
