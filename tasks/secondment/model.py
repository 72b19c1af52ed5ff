"""The compact R10.2 model, built for an LP, a MIP (CBC) or CP-SAT, with exact dual bounds.

y[t] = teacher t selected; x[t, s] = t placed on a street s it prefers. Places on streets a teacher
does not prefer are interchangeable, so they need no variable: P selected teachers fill the P
places, and the total is the selected merits plus the bonus times the preferred placements.

    maximise   sum merit[t] y[t] + bonus sum x[t, s]          (or a tie-break objective)
    sum y = P;  sum backbone y >= B;  per school sum y <= cap;
    per teacher sum_s x[t, s] <= y[t];  per street sum_t x[t, s] <= quota[s];
    optionally sum merit y + bonus sum x >= V                 (the optimal face, for the tie-break)

Without the backbone row this is a network flow, so its LP relaxation is almost always integral.
Every coefficient is an integer (scores times the least common denominator). The LP's duals, any
duals, give an upper bound by weak duality; `Lp.bound` computes it in integer arithmetic, so a
bound that proves optimality is a proof, not a float that happens to round the right way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

DUAL_BITS = 40  # duals are rounded to multiples of 2**-40: still valid multipliers, exact sums
INTEGRAL = 1e-6  # an LP value this close to 0 or 1 counts as integral (then checked exactly)


@dataclass(frozen=True)
class Roster:
    """Candidates as positions in staff_id order, with exact integer scores."""

    value: Sequence[int]  # merit times `scale`
    bonus: int  # preference bonus times `scale`
    school: Sequence[int]
    backbone: Sequence[bool]
    prefs: Sequence[Sequence[int]]  # preferred street positions, the teacher's order
    quotas: Sequence[int]
    cap: int
    need: int  # backbone teachers needed

    @property
    def places(self) -> int:
        return sum(self.quotas)


@dataclass
class Spec:
    """One model over some candidates: what to maximise, what is fixed, the face if any."""

    members: Sequence[int]
    weights: Mapping[int, int]  # objective coefficient of y[t]; absent: 0
    bonus: int  # objective coefficient of every x[t, s]
    face: int | None = None  # sum value y + bonus sum x >= face
    fixed_in: frozenset[int] = frozenset()


@dataclass
class Solved:
    status: str  # "optimal", "feasible", "infeasible", "unknown"
    selection: list[int] | None = None  # an integral answer, if any
    bound: float | None = None  # the solver's own upper bound on the objective
    duals: dict[int, int] = field(default_factory=dict)  # an LP's, times 2**DUAL_BITS


_Built = tuple[
    pywraplp.Solver, list[pywraplp.Variable], pywraplp.Objective, list[pywraplp.Constraint]
]


class Lp:
    """The model as rows and columns of integers, solved by pywraplp (GLOP or CBC)."""

    def __init__(self, roster: Roster, spec: Spec) -> None:
        self.roster, self.spec = roster, spec
        self.rows: list[tuple[int | None, int | None]] = []  # (lower, upper), None: unbounded
        self.cols: list[list[tuple[int, int]]] = []  # (row, coefficient) per column
        self.cost: list[int] = []
        self.lower: list[int] = []
        self.upper: list[int] = []
        self.y: dict[int, int] = {}  # teacher -> column
        self._built: _Built | None = None  # the LP as last solved, for `retarget`
        r = self.roster
        total = self._row(r.places, r.places)
        backbone = self._row(r.need, None) if r.need else None
        face = self._row(spec.face, None) if spec.face is not None else None
        by_school: dict[int, list[int]] = {}
        for t in spec.members:
            by_school.setdefault(r.school[t], []).append(t)
        school_row = {
            school: self._row(None, r.cap) for school, ts in by_school.items() if len(ts) > r.cap
        }
        street_row: dict[int, int] = {}
        for t in spec.members:
            entries = [(total, 1)]
            if backbone is not None and r.backbone[t]:
                entries.append((backbone, 1))
            if r.school[t] in school_row:
                entries.append((school_row[r.school[t]], 1))
            if face is not None:
                entries.append((face, r.value[t]))
            link = self._row(None, 0) if r.prefs[t] else None
            if link is not None:
                entries.append((link, -1))
            fixed = t in spec.fixed_in
            self.y[t] = self._col(spec.weights.get(t, 0), entries, lower=1 if fixed else 0)
            for s in r.prefs[t]:
                if s not in street_row:
                    street_row[s] = self._row(None, r.quotas[s])
                x_entries = [(street_row[s], 1)]
                if face is not None:
                    x_entries.append((face, r.bonus))
                assert link is not None
                self._col(spec.bonus, [*x_entries, (link, 1)], lower=0)

    def _row(self, lower: int | None, upper: int | None) -> int:
        self.rows.append((lower, upper))
        return len(self.rows) - 1

    def _col(self, cost: int, entries: list[tuple[int, int]], *, lower: int) -> int:
        self.cols.append(entries)
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(1)
        return len(self.cols) - 1

    def retarget(self, weights: Mapping[int, int], *, fixed: Mapping[int, int]) -> None:
        """New objective coefficients for some y[t], and y[t] fixed to 0 or 1 for others; an LP
        solved before keeps its model and starts from its last basis."""
        for t, cost in weights.items():
            j = self.y[t]
            self.cost[j] = cost
            if self._built is not None:
                self._built[2].SetCoefficient(self._built[1][j], cost)
        for t, value in fixed.items():
            j = self.y[t]
            self.lower[j] = self.upper[j] = value
            if self._built is not None:
                self._built[1][j].SetBounds(value, value)

    def _build(self, backend: str) -> _Built:
        solver = pywraplp.Solver.CreateSolver(backend)
        assert solver is not None  # both backends ship with OR-Tools
        inf = solver.infinity()
        integer = backend != "GLOP"
        variables = [
            solver.Var(lo, hi, integer, "") for lo, hi in zip(self.lower, self.upper, strict=True)
        ]
        constraints = [
            solver.Constraint(-inf if lo is None else lo, inf if hi is None else hi)
            for lo, hi in self.rows
        ]
        objective = solver.Objective()
        objective.SetMaximization()
        for var, entries, cost in zip(variables, self.cols, self.cost, strict=True):
            if cost:
                objective.SetCoefficient(var, cost)
            for row, coefficient in entries:
                constraints[row].SetCoefficient(var, coefficient)
        return solver, variables, objective, constraints

    def solve(self, backend: str, *, seconds: float) -> Solved:
        """Solve with "GLOP" (the LP relaxation, kept for `retarget`) or "CBC" (the MIP)."""
        integer = backend != "GLOP"
        if integer:
            built = self._build(backend)
        else:
            self._built = self._built or self._build(backend)
            built = self._built
        solver, variables, objective, constraints = built
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
        parameters = pywraplp.MPSolverParameters()
        parameters.SetDoubleParam(parameters.RELATIVE_MIP_GAP, 0.0)
        status = solver.Solve(parameters)
        if status == pywraplp.Solver.INFEASIBLE:
            return Solved("infeasible")
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return Solved("unknown")
        values = {t: variables[j].solution_value() for t, j in self.y.items()}
        integral = all(min(v, 1 - v) < INTEGRAL for v in values.values())
        selection = sorted(t for t, v in values.items() if v > 0.5) if integral else None
        solved = Solved(
            "optimal" if status == pywraplp.Solver.OPTIMAL else "feasible",
            selection=selection,
            bound=objective.BestBound() if integer else objective.Value(),
        )
        if not integer:
            scale = 1 << DUAL_BITS
            solved.duals = {k: round(c.dual_value() * scale) for k, c in enumerate(constraints)}
        return solved

    def reduced_costs(self, duals: Mapping[int, int]) -> tuple[int, list[int]]:
        """The exact dual bound and each column's reduced cost, both times 2**DUAL_BITS.

        Any multipliers give a valid bound once their signs suit the rows (a row without an upper
        limit takes no positive multiplier, one without a lower limit no negative one).
        """
        scale = 1 << DUAL_BITS
        pi = [0] * len(self.rows)
        bound = 0
        for k, (lower, upper) in enumerate(self.rows):
            p = duals.get(k, 0)
            if (p > 0 and upper is None) or (p < 0 and lower is None):
                p = 0
            pi[k] = p
            if p:
                bound += p * (upper if p > 0 else lower)  # type: ignore[operator]
        reduced = []
        for entries, cost, lower, upper in zip(
            self.cols, self.cost, self.lower, self.upper, strict=True
        ):
            d = cost * scale - sum(pi[row] * a for row, a in entries)
            reduced.append(d)
            bound += d * (upper if d > 0 else lower)
        return bound, reduced

    def teacher_bounds(self, duals: Mapping[int, int]) -> tuple[int, dict[int, tuple[int, int]]]:
        """The exact bound (times 2**DUAL_BITS) and, per teacher, the bounds with y[t] = 1 and 0."""
        bound, reduced = self.reduced_costs(duals)
        per: dict[int, tuple[int, int]] = {}
        for t, j in self.y.items():
            d = reduced[j]
            here = d * (self.upper[j] if d > 0 else self.lower[j])
            per[t] = (bound - here + d, bound - here)
        return bound, per


def solve_cp_sat(roster: Roster, spec: Spec, *, seconds: float) -> Solved:
    """The same model in CP-SAT: exact integer arithmetic whatever the size of the coefficients."""
    # imported here: CP-SAT's module loads pandas (about a second), and this path is rare
    from ortools.sat.python import cp_model

    r = roster
    m = cp_model.CpModel()
    y = {t: m.new_bool_var("") for t in spec.members}
    x = {(t, s): m.new_bool_var("") for t in spec.members for s in r.prefs[t]}
    m.add(sum(y.values()) == r.places)
    if r.need:
        m.add(sum(y[t] for t in spec.members if r.backbone[t]) >= r.need)
    by_school: dict[int, list[int]] = {}
    for t in spec.members:
        by_school.setdefault(r.school[t], []).append(t)
    for ts in by_school.values():
        if len(ts) > r.cap:
            m.add(sum(y[t] for t in ts) <= r.cap)
    for t in spec.members:
        if r.prefs[t]:
            m.add(sum(x[t, s] for s in r.prefs[t]) <= y[t])
    for s, quota in enumerate(r.quotas):
        on = [var for (t, street), var in x.items() if street == s]
        if on:
            m.add(sum(on) <= quota)
    for t in spec.fixed_in:
        m.add(y[t] == 1)
    score = sum(r.value[t] * y[t] for t in spec.members) + r.bonus * sum(x.values())
    if spec.face is not None:
        m.add(score >= spec.face)
    weights = sum(spec.weights.get(t, 0) * y[t] for t in spec.members)
    m.maximize(weights + spec.bonus * sum(x.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.001)
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    status = solver.solve(m)
    if status == cp_model.INFEASIBLE:
        return Solved("infeasible")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solved("unknown")
    return Solved(
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        selection=sorted(t for t, var in y.items() if solver.value(var)),
        bound=solver.best_objective_bound,
    )
