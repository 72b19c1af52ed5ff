"""Benchmark of meeting placement (R7.5, R7.1): 200 events, 40 venues, 2,000 invitees, one year.

The requirement: placed in under 5 s on this machine, with a naive baseline measured in the same
run. The baseline is greedy first fit (most constrained event first, each on its best free day
and venue), which is also the solver's starting hint. Reported side by side: time, events
placed, and the objective (sum of day ranks x (venues + 1) + venue ranks; lower is better).

The instance (seeded): 2,000 invitees in 100 audiences of 20; each event invites 1-8 audiences
(20-160 people) and has a window of 20-90 days somewhere in 2026 (real holidays and make-up
days), a preferred date inside it; 40 venues of 40-500 seats; the activity week avoided. Two
rule sets: several events a day allowed (venues and audiences bind), and one event a day (200
of the year's ~249 working days, minus holidays and the activity week, bind).

Not collected by the normal test run (pytest only collects `test_*.py`). Run either

    python tests/benchmarks/bench_calendar.py                   # prints a table
    pytest tests/benchmarks/bench_calendar.py -m benchmark       # pytest-benchmark + checks
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from tasks.calendar.placement import EventSpec, ScheduleRules, VenueSpec, violations
from tasks.calendar.rules import publicity_calendar
from tasks.calendar.scheduling import greedy_cost, greedy_schedule, solve_schedule
from tasks.common.workdays import WorkCalendar

SEEDS = (2026, 2027, 2028)
WORKDAYS = WorkCalendar()  # the library knows the benchmark year
YEAR = 2026
EVENTS = 200
VENUES = 40
AUDIENCES = 100
AUDIENCE_SIZE = 20  # 100 x 20 = 2,000 invitees
LIMIT_SECONDS = 5.0


def instance(seed: int) -> tuple[list[EventSpec], list[VenueSpec]]:
    rng = random.Random(seed)
    venues = [
        VenueSpec(name=f"会场{k:02d}", capacity=rng.choice([40, 60, 80, 100, 150, 200, 300, 500]))
        for k in range(VENUES)
    ]
    events = []
    first_day = date(YEAR, 1, 1)
    for k in range(EVENTS):
        length = rng.randint(20, 90)
        start = first_day + timedelta(days=rng.randint(0, 364 - length))
        audiences = tuple(sorted(rng.sample(range(AUDIENCES), rng.randint(1, 8))))
        events.append(
            EventSpec(
                key=f"e{k:03d}",
                kind="cadre_training" if k % 2 else "work_conference",
                title=f"会议{k:03d}",
                window_start=start,
                window_end=start + timedelta(days=length),
                preferred=start + timedelta(days=rng.randint(0, length)),
                audiences=tuple(f"g{a:03d}" for a in audiences),
                invitees=AUDIENCE_SIZE * len(audiences),
            )
        )
    return events, venues


def rules(*, one_event_per_day: bool) -> ScheduleRules:
    return ScheduleRules(
        workdays=WORKDAYS,
        one_event_per_day=one_event_per_day,
        avoid=publicity_calendar(YEAR, workdays=WORKDAYS).activity_week_days,
    )


@dataclass
class Run:
    seed: int
    one_a_day: bool
    seconds: float
    status: str
    cost: int
    greedy_seconds: float
    greedy_placed: int
    greedy_cost: int


def timed_run(seed: int, *, one_event_per_day: bool) -> Run:
    events, venues = instance(seed)
    how = rules(one_event_per_day=one_event_per_day)
    started = time.perf_counter()
    placed = greedy_schedule(events, venues, rules=how)
    greedy_seconds = time.perf_counter() - started
    started = time.perf_counter()
    schedule = solve_schedule(events, venues, rules=how)
    seconds = time.perf_counter() - started
    assert violations(schedule.events, events, venues, rules=how) == []
    return Run(
        seed=seed,
        one_a_day=one_event_per_day,
        seconds=seconds,
        status=schedule.status,
        cost=schedule.cost,
        greedy_seconds=greedy_seconds,
        greedy_placed=len(placed),
        greedy_cost=greedy_cost(venues, placed),
    )


def table(runs: list[Run]) -> str:
    head = (
        f"{'seed':>5} {'1/day':>5} {'CP-SAT s':>9} {'status':>8} {'cost':>7} "
        f"{'greedy s':>9} {'placed':>7} {'greedy cost':>11} {'time x':>7} {'<5 s':>5}"
    )
    lines = [
        f"{EVENTS} events, {VENUES} venues, {AUDIENCES * AUDIENCE_SIZE} invitees "
        f"({AUDIENCES} audiences of {AUDIENCE_SIZE}), {YEAR} working days, activity week avoided",
        head,
        "-" * len(head),
    ]
    for r in runs:
        lines.append(
            f"{r.seed:>5} {'yes' if r.one_a_day else 'no':>5} {r.seconds:>9.3f} {r.status:>8} "
            f"{r.cost:>7} {r.greedy_seconds:>9.4f} {r.greedy_placed:>3}/{EVENTS} "
            f"{r.greedy_cost:>11} {r.seconds / r.greedy_seconds:>6.0f}x "
            f"{'ok' if r.seconds < LIMIT_SECONDS else 'SLOW':>5}"
        )
    lines.append(
        "cost = sum of day ranks x (venues + 1) + venue ranks, lower is better; greedy cost "
        "counts only the events greedy placed; time x = CP-SAT time / greedy time"
    )
    return "\n".join(lines)


@pytest.mark.benchmark
@pytest.mark.parametrize("one_event_per_day", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_calendar_benchmark(
    benchmark: BenchmarkFixture, seed: int, one_event_per_day: bool
) -> None:
    events, venues = instance(seed)
    how = rules(one_event_per_day=one_event_per_day)
    schedule = benchmark.pedantic(
        solve_schedule, args=(events, venues), kwargs={"rules": how}, rounds=1, iterations=1
    )
    assert violations(schedule.events, events, venues, rules=how) == []
    assert len(schedule.events) == EVENTS
    placed = greedy_schedule(events, venues, rules=how)
    if len(placed) == EVENTS:
        assert schedule.cost <= greedy_cost(venues, placed)
    assert benchmark.stats is not None and benchmark.stats.stats.max < LIMIT_SECONDS
    benchmark.extra_info.update(
        status=schedule.status,
        cost=schedule.cost,
        greedy_placed=len(placed),
        greedy_cost=greedy_cost(venues, placed),
    )


if __name__ == "__main__":
    runs = [timed_run(seed, one_event_per_day=flag) for flag in (False, True) for seed in SEEDS]
    print(table(runs))
