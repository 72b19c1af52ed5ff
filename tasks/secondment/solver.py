"""The R10.2 placement: maximum total, lexicographic tie-break, streets; proven, or bounded.

1. Exact scores: merits and bonus times the least common denominator of all of them (60 with the
   default weights and whole-number criteria), so every comparison is between integers.
2. Dominance pruning (exchange arguments) drops teachers no optimal answer can contain.
3. The compact model's LP relaxation (`tasks/secondment/model.py`). Its duals bound, exactly, the
   best total and the best total of any answer with or without each teacher. When the LP optimum
   is integral (nearly always) it is the optimum, proven by that bound; otherwise CBC solves the
   MIP on the teachers the bounds leave (CP-SAT when the integers are too large for floating
   point to tell 1 apart).
4. Tie-break among optimal answers: the lexicographically smallest sorted staff_id list is the
   answer that, in staff_id order, contains each teacher whenever an optimal answer with the
   earlier choices does. Teachers the bounds put in or out of every optimal answer are decided;
   the rest are decided 20 at a time by one solve over the optimal face with weights 2**19..2**0.
5. Streets: the canonical assignment of `tasks/secondment/streets.py`.
When the time limit stops a step, the best answer found so far is returned with the best bound.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from models.refusal import Refusal
from models.secondment import TeacherBase
from tasks.secondment.model import DUAL_BITS, Lp, Roster, Solved, Spec, solve_cp_sat
from tasks.secondment.rules import (
    Candidate,
    InfeasibleSecondment,
    Proof,
    Proposal,
    SecondmentRules,
    exact,
    explain_shortfall,
    inputs_digest,
    placements,
    points,
    screen,
)
from tasks.secondment.streets import assign_streets, preferred_count

DEFAULT_TIME_LIMIT = 60.0  # seconds
BLOCK = 20  # teachers decided per tie-break solve: weights up to 2**19, exact in floating point
FLOAT_SAFE = 10**9  # largest total (in scaled units) handed to floating-point MIP solvers
INT_SAFE = 2**60  # beyond this even CP-SAT's 64-bit integers are not safe


@dataclass(frozen=True)
class Solution:
    pairs: list[tuple[Candidate, str]]
    total: Fraction
    bound: Fraction  # no placement totals more
    proof: Proof
    engine: str
    considered: int  # candidates left after pruning and bounds


class _Problem:
    """One year's candidates as a `Roster` of integers, and what the steps share."""

    def __init__(self, candidates: Sequence[Candidate], rules: SecondmentRules) -> None:
        self.candidates = sorted(candidates, key=lambda c: c.staff_id)
        self.rules = rules
        self.streets = [s for s, quota in rules.quotas.items() if quota > 0]
        street_at = {s: k for k, s in enumerate(self.streets)}
        bonus = exact(rules.preference_bonus)
        self.scale = math.lcm(bonus.denominator, *(c.merit.denominator for c in self.candidates))
        schools = {c.school: k for k, c in enumerate(self.candidates)}
        self.roster = Roster(
            value=[int(c.merit * self.scale) for c in self.candidates],
            bonus=int(bonus * self.scale),
            school=[schools[c.school] for c in self.candidates],
            backbone=[c.backbone for c in self.candidates],
            prefs=[
                tuple(street_at[s] for s in c.preferred_streets if s in street_at)
                for c in self.candidates
            ],
            quotas=[rules.quotas[s] for s in self.streets],
            cap=rules.max_per_school,
            need=rules.backbone_needed,
        )
        r = self.roster
        bars = sorted((self.bar(t) for t in range(len(self.candidates))), reverse=True)
        self.ceiling = sum(bars[: r.places])  # no placement totals more
        if self.ceiling >= INT_SAFE:
            raise Refusal(
                "综合得分的小数位数过多，无法精确比较，未写入任何内容："
                "请将教师的各项评分和综合得分权重保留较少的小数位"
            )
        self.engine = "CBC" if self.ceiling <= FLOAT_SAFE else "CP-SAT"

    def bar(self, t: int) -> int:
        """The most teacher t can score anywhere."""
        return self.roster.value[t] + (self.roster.bonus if self.roster.prefs[t] else 0)

    def feasible(self, selection: Sequence[int]) -> bool:
        r = self.roster
        per_school: dict[int, int] = {}
        for t in selection:
            per_school[r.school[t]] = per_school.get(r.school[t], 0) + 1
        return (
            len(set(selection)) == len(selection) == r.places
            and max(per_school.values(), default=0) <= r.cap
            and sum(r.backbone[t] for t in selection) >= r.need
        )

    def score(self, selection: Sequence[int]) -> int:
        r = self.roster
        chosen = sorted(selection)
        return sum(r.value[t] for t in chosen) + r.bonus * preferred_count(
            chosen, prefs=r.prefs, quotas=r.quotas
        )

    def pairs(self, selection: Sequence[int]) -> list[tuple[Candidate, str]]:
        chosen = sorted(selection)
        streets = assign_streets(chosen, prefs=self.roster.prefs, quotas=self.roster.quotas)
        return [(self.candidates[t], self.streets[streets[t]]) for t in chosen]

    def prune(self) -> list[int]:
        """Drop candidates that no optimal placement can contain (safe exchange arguments).

        Call t *dominated* by t' when t' has merit above t's best possible score and t' is
        backbone if t is: t' scores more than t on any street and swapping keeps the share.
        1. Same school: if `cap` teachers of t's school dominate t, one of them is unselected
           whenever t is selected, and the swap within the school raises the total.
        2. District-wide: if the teachers dominating t span P + floor(P / cap) schools, one of
           them is unselected in a school with room whenever t is selected (at most P - 1 others
           are selected, at most floor(P / cap) schools are full), and the swap raises the total.
        """
        r = self.roster
        places, cap = r.places, r.cap
        threshold = places + places // cap
        ranked = sorted(range(len(self.candidates)), key=lambda t: -r.value[t])
        keep: list[int] = []
        for backbone_only in (False, True):
            # dominators of a backbone teacher must be backbone; of the others, anyone
            pool = [t for t in ranked if r.backbone[t] or not backbone_only]
            group = sorted((t for t in ranked if r.backbone[t] == backbone_only), key=self.bar)
            schools_seen: set[int] = set()
            per_school: dict[int, int] = {}
            i = 0
            for t in reversed(group):
                while i < len(pool) and r.value[pool[i]] > self.bar(t):
                    schools_seen.add(r.school[pool[i]])
                    per_school[r.school[pool[i]]] = per_school.get(r.school[pool[i]], 0) + 1
                    i += 1
                if len(schools_seen) < threshold and per_school.get(r.school[t], 0) < cap:
                    keep.append(t)
        return sorted(keep)

    def greedy(self, members: Sequence[int]) -> list[int]:
        """A feasible selection (if the counts allow one): the best backbone teachers up to the
        share, then the best of everyone, best possible score first, within the school cap."""
        r = self.roster
        order = sorted(members, key=lambda t: (-self.bar(t), t))
        chosen: list[int] = []
        per_school: dict[int, int] = {}
        for backbone_only, target in ((True, r.need), (False, r.places)):
            for t in order:
                if len(chosen) >= target:
                    break
                if (backbone_only and not r.backbone[t]) or t in chosen:
                    continue
                if per_school.get(r.school[t], 0) < r.cap:
                    chosen.append(t)
                    per_school[r.school[t]] = per_school.get(r.school[t], 0) + 1
        return sorted(chosen)

    def mip(self, spec: Spec, *, seconds: float) -> Solved:
        if self.engine == "CBC":
            return Lp(self.roster, spec).solve("CBC", seconds=seconds)
        return solve_cp_sat(self.roster, spec, seconds=seconds)


def solve_placement(
    candidates: Sequence[Candidate],
    *,
    rules: SecondmentRules,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Solution:
    """The placement under the rules; raise InfeasibleSecondment if none exists.

    Proven optimal with the tie-break done, unless `time_limit` seconds run out first: then the
    best placement found, with `proof` saying how far the proof got and `bound` the best bound.
    """
    deadline = time.perf_counter() + time_limit
    shortfall = explain_shortfall(candidates, rules=rules)
    if shortfall:
        raise InfeasibleSecondment(shortfall)
    problem = _Problem(candidates, rules)
    search = _Search(problem, deadline)
    search.optimum()
    if search.best_score < search.bound:
        return search.solution(search.best, "best_found")
    return search.tie_break()


class _Search:
    """The steps of `solve_placement`, sharing the best answer and the best bound so far."""

    def __init__(self, problem: _Problem, deadline: float) -> None:
        self.problem, self.deadline = problem, deadline
        self.members = problem.prune()
        self.best = problem.greedy(self.members)
        self.best_score = problem.score(self.best)
        self.bound = problem.ceiling  # in scaled units; the optimum is at most this
        self.engine = "greedy"  # what found the best answer, then what proved it optimal
        self.per: dict[int, tuple[int, int]] = {}  # exact bounds with y[t] = 1 and y[t] = 0

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def offer(self, selection: list[int] | None, engine: str) -> None:
        if selection is not None and self.problem.feasible(selection):
            score = self.problem.score(selection)
            if score > self.best_score:
                self.best, self.best_score, self.engine = selection, score, engine

    def optimum(self) -> None:
        """The best total: proven by the LP's exact bound, else by the MIP, else bounded."""
        problem, unit = self.problem, 1 << DUAL_BITS
        values = dict(enumerate(problem.roster.value))
        if self.left() <= 0:
            return
        relaxed = Lp(problem.roster, Spec(self.members, values, problem.roster.bonus))
        solved = relaxed.solve("GLOP", seconds=self.left())
        if solved.status == "optimal":
            exact_bound, self.per = relaxed.teacher_bounds(solved.duals)
            self.bound = min(self.bound, exact_bound // unit)  # the optimum is an integer
            self.offer(solved.selection, "LP")
            self.members = [t for t in self.members if self.per[t][0] >= self.best_score * unit]
            if self.best_score >= self.bound:
                self.engine = "LP"
                return
        if self.left() <= 0:
            return
        spec = Spec(self.members, values, problem.roster.bonus)
        solved = problem.mip(spec, seconds=self.left())
        self.offer(solved.selection, problem.engine)
        if solved.status == "optimal" and solved.bound is not None:
            # the solver's bound, in floating point, of an integer optimum
            self.bound = min(self.bound, max(self.best_score, math.floor(solved.bound + 1e-6)))
            self.engine = problem.engine

    def tie_break(self) -> Solution:
        """Among optimal answers the lexicographically smallest, `BLOCK` teachers a solve.

        One LP over the optimal face serves every block: a block changes its objective and fixes
        what was decided. Its exact bounds also decide later teachers: one whose answers all
        weigh less than the block's best cannot follow the block's choice (out); one without
        whom they all do must be in.
        """
        problem, optimum, unit = self.problem, self.best_score, 1 << DUAL_BITS
        per = self.per
        chosen = [t for t in self.members if per and per[t][1] < optimum * unit]
        queue = deque(
            t for t in self.members if t not in chosen and (not per or per[t][0] >= optimum * unit)
        )
        members = sorted([*chosen, *queue])
        face = Lp(problem.roster, Spec(members, {}, 0, face=optimum, fixed_in=frozenset(chosen)))
        fixed: dict[int, int] = {}  # decided since the last solve
        weighted: list[int] = []  # the last block, whose weights go back to 0
        while queue and len(chosen) < problem.roster.places:
            block = [queue.popleft() for _ in range(min(BLOCK, len(queue)))]
            weights = {t: 1 << (len(block) - 1 - i) for i, t in enumerate(block)}
            face.retarget({**dict.fromkeys(weighted, 0), **weights}, fixed=fixed)
            spec = Spec(
                sorted([*chosen, *block, *queue]),
                weights,
                0,
                face=optimum,
                fixed_in=frozenset(chosen),
            )
            found = _tie_block(problem, face, spec, seconds=self.left())
            if found is None:
                return self.solution(self.best, "optimal_total")
            self.best, later = found
            taken = set(self.best)
            weight = sum(weights[t] for t in block if t in taken)
            fixed = {t: int(t in taken) for t in block}
            chosen += [t for t in block if t in taken]
            weighted = block
            rest: deque[int] = deque()
            for t in queue:
                with_, without = later.get(t, (weight * unit, weight * unit))
                if with_ < weight * unit:
                    fixed[t] = 0
                elif without < weight * unit:
                    fixed[t] = 1
                    chosen.append(t)
                else:
                    rest.append(t)
            queue = rest
        if len(chosen) != problem.roster.places:
            raise ArithmeticError("the tie-break lost the optimal face")  # pragma: no cover
        return self.solution(sorted(chosen), "optimal")

    def solution(self, selection: list[int], proof: Proof) -> Solution:
        problem = self.problem
        total = problem.score(selection)
        if proof != "best_found" and total != self.best_score:
            raise ArithmeticError("the tie-break left the optimal face")  # pragma: no cover
        return Solution(
            pairs=problem.pairs(selection),
            total=Fraction(total, problem.scale),
            bound=Fraction(self.bound if proof == "best_found" else total, problem.scale),
            proof=proof,
            engine=self.engine,
            considered=len(self.members),
        )


def _tie_block(
    problem: _Problem, face: Lp, spec: Spec, *, seconds: float
) -> tuple[list[int], dict[int, tuple[int, int]]] | None:
    """An optimal answer that takes `spec`'s weighted teachers in lexicographic order, within
    its members and with its fixed teachers, and (from an LP) each teacher's exact bounds on the
    weight with and without them; None if the time ran out.

    The LP over the optimal face first (`face`, weighted and fixed as `spec` says): an integral
    answer whose weight the exact bound cannot beat is the MIP's answer too. Else the MIP.
    """
    if seconds <= 0:
        return None
    unit = 1 << DUAL_BITS
    allowed = set(spec.members)

    def valid(selection: list[int]) -> bool:
        return (
            spec.fixed_in <= set(selection) <= allowed
            and problem.feasible(selection)
            and problem.score(selection) >= (spec.face or 0)
        )

    solved = face.solve("GLOP", seconds=seconds)
    if solved.status == "optimal" and solved.selection is not None and valid(solved.selection):
        weight = sum(spec.weights.get(t, 0) for t in solved.selection)
        bound, per = face.teacher_bounds(solved.duals)
        if bound < (weight + 1) * unit:
            return solved.selection, per
    solved = problem.mip(spec, seconds=seconds)
    if solved.status != "optimal" or solved.selection is None:
        return None
    if not valid(solved.selection):
        raise ArithmeticError("the MIP answer breaks a rule")  # pragma: no cover
    return solved.selection, {}


def prune(candidates: Sequence[Candidate], *, rules: SecondmentRules) -> list[Candidate]:
    """The candidates dominance pruning keeps (every optimal answer is among them)."""
    problem = _Problem(candidates, rules)
    return [problem.candidates[t] for t in problem.prune()]


def teacher_bounds(
    candidates: Sequence[Candidate], *, rules: SecondmentRules
) -> tuple[Fraction, dict[str, tuple[Fraction, Fraction]]] | None:
    """The LP relaxation's exact bound on the best total, and per teacher the bounds on the best
    total of an answer with and without them (None when the LP finds no answer)."""
    problem = _Problem(candidates, rules)
    everyone = range(len(problem.candidates))
    lp = Lp(
        problem.roster, Spec(everyone, dict(enumerate(problem.roster.value)), problem.roster.bonus)
    )
    solved = lp.solve("GLOP", seconds=60)
    if solved.status != "optimal":
        return None
    bound, per = lp.teacher_bounds(solved.duals)
    unit = problem.scale << DUAL_BITS
    return Fraction(bound, unit), {
        problem.candidates[t].staff_id: (Fraction(a, unit), Fraction(b, unit))
        for t, (a, b) in per.items()
    }


def greedy_placement(
    candidates: Sequence[Candidate], *, rules: SecondmentRules
) -> list[tuple[Candidate, str]] | None:
    """A quick feasible placement, or None when none exists: the best backbone teachers up to the
    share, then the best of everyone, within the school cap; streets as in every placement.

    The baseline the benchmark compares the optimal placement with.
    """
    if explain_shortfall(candidates, rules=rules):
        return None
    problem = _Problem(candidates, rules)
    return problem.pairs(problem.greedy(range(len(problem.candidates))))


def total_of(pairs: Sequence[tuple[Candidate, str]], *, rules: SecondmentRules) -> Fraction:
    """The exact total score of a placement."""
    return sum((c.score(s, rules=rules) for c, s in pairs), Fraction(0))


def select_candidates(
    roster: Sequence[TeacherBase],
    *,
    rules: SecondmentRules,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Proposal:
    """The whole R10.2 decision for a year: screen, score, place, explain."""
    started = time.perf_counter()
    candidates, ineligible = screen(roster, rules=rules)
    solution = solve_placement(candidates, rules=rules, time_limit=time_limit)
    gap = math.ceil((solution.bound - solution.total) * 100) / 100
    return Proposal(
        year=rules.year,
        placements=placements(solution.pairs, rules=rules, proof=solution.proof, gap=gap),
        total_score=points(solution.total),
        ineligible=ineligible,
        eligible_count=len(candidates),
        considered_count=solution.considered,
        inputs_digest=inputs_digest(roster, rules),
        solve_seconds=round(time.perf_counter() - started, 3),
        proof=solution.proof,
        best_bound=points(solution.bound),
        gap=gap,
        engine=solution.engine,
    )
