"""Meeting placement (R7.5, R7.1): the year's meetings on Chinese working days, without clashes.

A small constraint problem solved with OR-Tools CP-SAT. Each event gets one day and one venue:

- the day is a working day (holidays and 调休 from the rules' `WorkCalendar`) inside the event's
  window, and not a day to avoid (the activity week, R7.4, when the profile says so);
- the venue holds every invitee and is allowed for the event;
- no venue is booked twice on a day; no invitee audience has two events on a day; with
  `one_event_per_day`, no two events share a day at all.

Objective: each event as close as possible to its preferred date (earlier wins a tie), then in
the smallest venue that fits (profile order breaks a tie). The candidate days and venues of an
event are ranked that way in Python and the model minimises the sum of the ranks, so the answer
is explainable ("the nearest free working day to 24 Feb"). One worker, a fixed seed and a
deterministic time budget make the same inputs give the same answer on every machine.

Infeasible ⇒ `InfeasibleSchedule` with reasons in words (an event without a working day or a
venue, too many events for the working days of a period, or which family of constraints binds).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from ortools.sat.python import cp_model

from tasks.calendar.placement import (
    EventSpec,
    InfeasibleSchedule,
    PlacedEvent,
    Schedule,
    ScheduleRules,
    VenueSpec,
    candidate_days,
    candidate_venues,
    inputs_digest,
    placement_reason,
)

STATUS_NAMES: dict[Any, str] = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}


def _precheck(
    events: Sequence[EventSpec],
    venues: Sequence[VenueSpec],
    days: dict[str, list[date]],
    rooms: dict[str, list[VenueSpec]],
    rules: ScheduleRules,
) -> list[str]:
    """Reasons that need no solver: duplicate keys, an event with no day or no venue."""
    reasons = []
    seen: set[str] = set()
    for spec in events:
        if spec.key in seen:
            reasons.append(f"事件标识{spec.key}重复")
        seen.add(spec.key)
        if not days[spec.key]:
            extra = f"（已避开{rules.avoid_label}）" if rules.avoid else ""
            reasons.append(
                f"{spec.title}：{spec.window_start}至{spec.window_end}之间没有可用工作日{extra}"
            )
        if not rooms[spec.key]:
            allowed = [v for v in venues if not spec.venues or v.name in spec.venues]
            largest = max((v.capacity for v in allowed), default=0)
            reasons.append(
                f"{spec.title}：参会{spec.invitees}人，没有足够大的会场"
                f"（{'指定会场' if spec.venues else '全部会场'}最大容纳{largest}人）"
            )
    return reasons


def _hall_reasons(
    events: Sequence[EventSpec], days: dict[str, list[date]], group: str
) -> list[str]:
    """Too many events of one group for the working days their windows leave (Hall's rule)."""
    bounds = sorted({(e.window_start, e.window_end) for e in events})
    starts = sorted({b[0] for b in bounds})
    ends = sorted({b[1] for b in bounds})
    for first in starts:
        for last in ends:
            if last < first:
                continue
            inside = [e for e in events if first <= e.window_start and e.window_end <= last]
            free = {d for e in inside for d in days[e.key]}
            if len(inside) > len(free):
                return [
                    f"{group}的{len(inside)}个会议都须在{first}至{last}之间举行，"
                    f"但这期间只有{len(free)}个可用工作日"
                ]
    return []


def _groups(events: Sequence[EventSpec], rules: ScheduleRules) -> list[tuple[str, list[int]]]:
    """Sets of events that may not share a day: everything (one a day), or one audience's."""
    groups: list[tuple[str, list[int]]] = []
    if rules.one_event_per_day:
        groups.append(("全部会议（每天至多一个）", list(range(len(events)))))
    seen: set[tuple[int, ...]] = set()
    audiences = sorted({a for e in events for a in e.audiences})
    for audience in audiences:
        members = tuple(i for i, e in enumerate(events) if audience in e.audiences)
        if len(members) > 1 and members not in seen:
            seen.add(members)
            groups.append((f"参会对象{audience}", list(members)))
    return groups


class _Model:
    """The CP-SAT model: one boolean per event and candidate day (and venue, when needed).

    When every event may use any venue large enough (the usual case), the venues that fit the
    events form nested sets, so a day can host its events exactly when, for every head count t,
    the events of t or more people are no more than the venues of t or more seats (Hall's
    condition for nested sets). The model then chooses days only and venues are assigned per day
    afterwards, which keeps it small (events x days). When an event is restricted to listed
    venues the sets are not nested and the model chooses day and venue together.
    """

    def __init__(
        self,
        events: Sequence[EventSpec],
        days: dict[str, list[date]],
        rooms: dict[str, list[VenueSpec]],
        venues: Sequence[VenueSpec],
        rules: ScheduleRules,
        *,
        venues_clash: bool = True,
        audiences_clash: bool = True,
    ) -> None:
        m = self.model = cp_model.CpModel()
        weight = len(venues) + 1  # one day rank outweighs any venue rank of the same event
        self.nested = not venues_clash or all(
            {v.name for v in rooms[e.key]} == {v.name for v in venues if v.capacity >= e.invitees}
            for e in events
        )
        # choice[i] = [(day rank, venue rank or -1, variable)]
        self.choice: list[list[tuple[int, int, cp_model.IntVar]]] = []
        on_day: dict[date, list[tuple[int, cp_model.IntVar]]] = {}
        in_venue: dict[tuple[date, str], list[cp_model.IntVar]] = {}
        costs = []
        for i, spec in enumerate(events):
            options: list[tuple[int, int, cp_model.IntVar]] = []
            for dr, day in enumerate(days[spec.key]):
                if self.nested:
                    var = m.new_bool_var(f"x{i}_{dr}")
                    options.append((dr, -1, var))
                    on_day.setdefault(day, []).append((i, var))
                    costs.append(weight * dr * var)
                    continue
                for vr, venue in enumerate(rooms[spec.key]):
                    var = m.new_bool_var(f"x{i}_{dr}_{vr}")
                    options.append((dr, vr, var))
                    on_day.setdefault(day, []).append((i, var))
                    in_venue.setdefault((day, venue.name), []).append(var)
                    costs.append((weight * dr + vr) * var)
            m.add_exactly_one(var for _, _, var in options)
            self.choice.append(options)
        for members in on_day.values():
            if rules.one_event_per_day:
                # one event a day implies no audience or venue clash: add nothing redundant
                m.add_at_most_one(var for _, var in members)
                continue
            if audiences_clash:
                by_audience: dict[str, list[cp_model.IntVar]] = {}
                for i, var in members:
                    for audience in events[i].audiences:
                        by_audience.setdefault(audience, []).append(var)
                for group in by_audience.values():
                    if len(group) > 1:
                        m.add_at_most_one(group)
            if venues_clash and self.nested:
                for size in sorted({events[i].invitees for i, _ in members}):
                    demand = [var for i, var in members if events[i].invitees >= size]
                    supply = sum(1 for v in venues if v.capacity >= size)
                    if len(demand) > supply:
                        m.add(sum(demand) <= supply)
        if venues_clash and not self.nested and not rules.one_event_per_day:
            for group in in_venue.values():
                if len(group) > 1:
                    m.add_at_most_one(group)
        m.minimize(sum(costs))

    def hint(self, placed: dict[int, tuple[int, int]]) -> None:
        for i, (dr, vr) in placed.items():
            for day_rank, venue_rank, var in self.choice[i]:
                chosen = day_rank == dr and (venue_rank == -1 or venue_rank == vr)
                self.model.add_hint(var, int(chosen))

    def solve(self, rules: ScheduleRules) -> tuple[Any, cp_model.CpSolver]:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = rules.seed
        solver.parameters.max_deterministic_time = rules.max_deterministic_time
        # The model is close to an assignment problem: full linearisation lets the LP bound
        # prove optimality at once (200 events: from a minute without it to under a second).
        solver.parameters.linearization_level = 2
        return solver.solve(self.model), solver

    def chosen(self, solver: cp_model.CpSolver) -> list[tuple[int, int]]:
        """(day rank, venue rank or -1) of every event in the solution."""
        return [
            next((dr, vr) for dr, vr, var in options if solver.boolean_value(var))
            for options in self.choice
        ]


def _assign_venues(
    members: list[EventSpec], rooms: dict[str, list[VenueSpec]]
) -> dict[str, int] | None:
    """Venue ranks for the events of one day: the largest event first takes its first free
    preference. Exact for nested sets ordered smallest-first; None when it gets stuck."""
    taken: set[str] = set()
    ranks: dict[str, int] = {}
    for spec in sorted(members, key=lambda e: (-e.invitees, e.key)):
        rank = next(
            (r for r, v in enumerate(rooms[spec.key]) if v.name not in taken),
            None,
        )
        if rank is None:
            return None
        ranks[spec.key] = rank
        taken.add(rooms[spec.key][rank].name)
    return ranks


def _assign_venues_exactly(
    members: list[EventSpec], rooms: dict[str, list[VenueSpec]], rules: ScheduleRules
) -> dict[str, int]:
    """Venue ranks for one day by a tiny assignment model (when the greedy rule gets stuck)."""
    m = cp_model.CpModel()
    pick = {
        (e.key, r): m.new_bool_var(f"{e.key}_{r}")
        for e in members
        for r in range(len(rooms[e.key]))
    }
    for e in members:
        m.add_exactly_one(pick[e.key, r] for r in range(len(rooms[e.key])))
    names = {v.name for e in members for v in rooms[e.key]}
    for name in sorted(names):
        m.add_at_most_one(var for (key, r), var in pick.items() if rooms[key][r].name == name)
    m.minimize(sum(r * var for (_, r), var in pick.items()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = rules.seed
    if solver.solve(m) not in STATUS_NAMES:
        raise InfeasibleSchedule(["同一天的会议无法分配到不同的会场"])
    return {key: r for (key, r), var in pick.items() if solver.boolean_value(var)}


def _ranked(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], rules: ScheduleRules
) -> tuple[dict[str, list[date]], dict[str, list[VenueSpec]]]:
    days = {e.key: candidate_days(e, rules=rules) for e in events}
    rooms = {e.key: candidate_venues(e, venues) for e in events}
    return days, rooms


def greedy_schedule(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], *, rules: ScheduleRules
) -> dict[int, tuple[int, int]]:
    """First fit, most constrained event first: the baseline and the solver's starting hint.

    Returns {event index: (day rank, venue rank)} for the events it could place.
    """
    days, rooms = _ranked(events, venues, rules)
    order = sorted(range(len(events)), key=lambda i: (len(days[events[i].key]), events[i].key))
    used_days: set[date] = set()
    used_slots: set[tuple[date, str]] = set()
    audience_days: set[tuple[str, date]] = set()
    placed: dict[int, tuple[int, int]] = {}
    for i in order:
        spec = events[i]
        found = None
        for dr, day in enumerate(days[spec.key]):
            if rules.one_event_per_day and day in used_days:
                continue
            if any((a, day) in audience_days for a in spec.audiences):
                continue
            for vr, venue in enumerate(rooms[spec.key]):
                if (day, venue.name) not in used_slots:
                    found = (dr, vr)
                    break
            if found:
                break
        if found is None:
            continue
        placed[i] = found
        day = days[spec.key][found[0]]
        used_days.add(day)
        used_slots.add((day, rooms[spec.key][found[1]].name))
        audience_days.update((a, day) for a in spec.audiences)
    return placed


def greedy_cost(venues: Sequence[VenueSpec], placed: dict[int, tuple[int, int]]) -> int:
    """The objective value of a greedy placement (comparable with `Schedule.cost`)."""
    weight = len(venues) + 1
    return sum(weight * dr + vr for dr, vr in placed.values())


def _binding(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], rules: ScheduleRules
) -> list[str]:
    """Which single family of constraints, relaxed, would make the problem feasible."""
    relaxations: list[tuple[str, ScheduleRules, bool, bool]] = []
    if rules.avoid:
        relaxations.append(
            (
                f"若允许在{rules.avoid_label}开会则可行",
                rules.model_copy(update={"avoid": ()}),
                True,
                True,
            )
        )
    if rules.one_event_per_day:
        relaxations.append(
            (
                "若允许同一天开多个会则可行",
                rules.model_copy(update={"one_event_per_day": False}),
                True,
                True,
            )
        )
    relaxations.append(("若会场可以同日共用则可行", rules, False, True))
    relaxations.append(("若同一参会对象可以同日参加两个会则可行", rules, True, False))
    hints = []
    for text, relaxed, venues_clash, audiences_clash in relaxations:
        days, rooms = _ranked(events, venues, relaxed)
        if any(not days[e.key] or not rooms[e.key] for e in events):
            continue
        model = _Model(
            events,
            days,
            rooms,
            venues,
            relaxed,
            venues_clash=venues_clash,
            audiences_clash=audiences_clash,
        )
        status, _ = model.solve(relaxed.model_copy(update={"max_deterministic_time": 5.0}))
        if status in STATUS_NAMES:
            hints.append(text)
    return hints


def explain_infeasible(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], *, rules: ScheduleRules
) -> list[str]:
    """Reasons in words why no placement exists (empty if none is found cheaply)."""
    days, rooms = _ranked(events, venues, rules)
    reasons = _precheck(events, venues, days, rooms, rules)
    if reasons:
        return reasons
    for label, members in _groups(events, rules):
        reasons += _hall_reasons([events[i] for i in members], days, label)
    for venue in venues:
        only_here = [e for e in events if [v.name for v in rooms[e.key]] == [venue.name]]
        reasons += _hall_reasons(only_here, days, f"只能使用{venue.name}")
    return reasons


def solve_schedule(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], *, rules: ScheduleRules
) -> Schedule:
    """Place every event (see the module docstring); raise `InfeasibleSchedule` when impossible."""
    started = time.perf_counter()
    digest = inputs_digest(events, venues, rules)
    days, rooms = _ranked(events, venues, rules)
    reasons = _precheck(events, venues, days, rooms, rules)
    if reasons:
        raise InfeasibleSchedule(reasons)
    model = _Model(events, days, rooms, venues, rules)
    model.hint(greedy_schedule(events, venues, rules=rules))
    status, solver = model.solve(rules)
    if status not in STATUS_NAMES:
        reasons = explain_infeasible(events, venues, rules=rules)
        if status == cp_model.INFEASIBLE:
            if not reasons:
                reasons = ["会期、会场与参会对象的约束无法同时满足"]
            if len(events) <= 60:
                reasons += _binding(events, venues, rules)
        else:
            reasons = reasons or [
                f"在求解预算内未找到可行安排（CP-SAT {solver.status_name(status)}）"
            ]
        raise InfeasibleSchedule(reasons)
    chosen = model.chosen(solver)
    day_of = {spec.key: days[spec.key][dr] for spec, (dr, _) in zip(events, chosen, strict=True)}
    venue_rank = {spec.key: vr for spec, (_, vr) in zip(events, chosen, strict=True)}
    if model.nested:
        by_day: dict[date, list[EventSpec]] = {}
        for spec in events:
            by_day.setdefault(day_of[spec.key], []).append(spec)
        for members in by_day.values():
            ranks = _assign_venues(members, rooms)
            venue_rank.update(ranks or _assign_venues_exactly(members, rooms, rules))
    placed = []
    for spec in events:
        day = day_of[spec.key]
        venue = rooms[spec.key][venue_rank[spec.key]]
        placed.append(
            PlacedEvent(
                key=spec.key,
                kind=spec.kind,
                title=spec.title,
                day=day,
                venue=venue.name,
                audiences=spec.audiences,
                invitees=spec.invitees,
                reason=placement_reason(spec, day, venue, rules),
            )
        )
    weight = len(venues) + 1
    cost = sum(weight * days[e.key].index(day_of[e.key]) + venue_rank[e.key] for e in events)
    placed.sort(key=lambda p: (p.day, p.key))
    return Schedule(
        events=placed,
        status=STATUS_NAMES[status],
        cost=cost,
        notes=rules.workdays.notes_for(p.day for p in placed),
        inputs_digest=digest,
        solve_seconds=round(time.perf_counter() - started, 3),
    )
