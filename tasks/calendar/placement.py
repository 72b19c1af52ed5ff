"""What a placement of the year's meetings is: events, venues, rules, candidates, reasons, checks.

The solver (`tasks/calendar/scheduling.py`) places the events; this module says which days and
venues an event may take, why a day is refused or chosen, and whether a schedule breaks a rule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from models.refusal import Refusal
from tasks.common.workdays import WorkCalendar

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class EventSpec(BaseModel):
    """One event to place: its window, preferred date, invitee audiences and allowed venues."""

    model_config = ConfigDict(frozen=True)

    key: str  # unique in the problem, e.g. "work_conference", "cadre_training_q2"
    kind: str
    title: str
    window_start: date
    window_end: date
    preferred: date
    audiences: tuple[str, ...]
    invitees: int = Field(ge=0)
    venues: tuple[str, ...] = ()  # allowed, in order of preference; empty: any that fits


class VenueSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    capacity: int = Field(gt=0)


class ScheduleRules(BaseModel):
    """How strictly to place: the working-day calendar, one event a day or not, days to avoid,
    the solver budget. The calendar is part of the inputs: a plan stores the one it was made on.
    """

    model_config = ConfigDict(frozen=True)

    workdays: WorkCalendar

    one_event_per_day: bool = True
    avoid: tuple[date, ...] = ()  # e.g. the activity week (R7.4)
    avoid_label: str = "宣传活动周"
    seed: int = 0
    # Deterministic time (CP-SAT's machine-independent work units), not wall-clock seconds:
    # with one worker the answer does not depend on how busy the machine is.
    max_deterministic_time: float = 20.0


class PastEvent(BaseModel):
    """A meeting on its day and at its venue (an earlier year's, as cloning needs it)."""

    key: str
    kind: str
    title: str
    day: date
    venue: str
    audiences: tuple[str, ...]
    invitees: int


class PlacedEvent(PastEvent):
    """A meeting as the scheduler placed it, with the reason for its day."""

    reason: str


class Schedule(BaseModel):
    events: list[PlacedEvent]  # in date order
    status: str  # optimal | feasible | greedy
    cost: int  # sum of day ranks x venue count + venue ranks (lower is better)
    notes: list[str]  # where each year's holidays come from, and any estimate or disagreement
    inputs_digest: str
    solve_seconds: float


class InfeasibleSchedule(Refusal):
    """No placement satisfies every constraint; `reasons` say which, in words."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


MEETING_RULES = {"cadre_training": "R7.1", "research_seminar": "R10.5"}


def meeting_rule(kind: str) -> str:
    """The policy rule a meeting of this kind serves: trainings R7.1, research seminars R10.5,
    the yearly meetings R7.5."""
    return MEETING_RULES.get(kind, "R7.5")


def fmt(day: date) -> str:
    return f"{day.isoformat()}（{WEEKDAYS_ZH[day.weekday()]}）"


def candidate_days(spec: EventSpec, *, rules: ScheduleRules) -> list[date]:
    """The working days the event may take, nearest to the preferred date first (earlier wins)."""
    avoid = set(rules.avoid)
    days = []
    current = spec.window_start
    while current <= spec.window_end:
        if rules.workdays.is_working_day(current) and current not in avoid:
            days.append(current)
        current = date.fromordinal(current.toordinal() + 1)
    return sorted(days, key=lambda d: (abs((d - spec.preferred).days), d))


def candidate_venues(spec: EventSpec, venues: Sequence[VenueSpec]) -> list[VenueSpec]:
    """Venues that hold every invitee, in order of preference.

    The event's own list gives the order when it has one; otherwise the smallest that fits comes
    first (profile order breaks a tie), keeping the big hall free for the big meetings.
    """
    fits = [v for v in venues if v.capacity >= spec.invitees]
    if spec.venues:
        by_name = {v.name: v for v in fits}
        return [by_name[name] for name in spec.venues if name in by_name]
    order = {v.name: i for i, v in enumerate(venues)}
    return sorted(fits, key=lambda v: (v.capacity, order[v.name]))


def inputs_digest(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], rules: ScheduleRules
) -> str:
    payload = {
        "events": [e.model_dump(mode="json") for e in events],
        "venues": [v.model_dump(mode="json") for v in venues],
        "rules": rules.model_dump(mode="json"),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _why_not(day: date, rules: ScheduleRules) -> str:
    """Why a preferred date cannot be used at all (a holiday, a weekend, the activity week)."""
    if day in set(rules.avoid):
        return rules.avoid_label
    name = rules.workdays.holiday_name(day)
    if name is not None:
        return f"{name}假期" + ("（推算）" if rules.workdays.is_estimated(day) else "")
    if not rules.workdays.is_working_day(day):
        return "休息日"
    return ""


def placement_reason(spec: EventSpec, day: date, venue: VenueSpec, rules: ScheduleRules) -> str:
    rule = meeting_rule(spec.kind)
    workday = (
        "工作日（节假日为推算）" if rules.workdays.source(day.year) == "estimated" else "工作日"
    )
    text = (
        f"{spec.title}安排在{fmt(day)}，{workday}，在{spec.window_start}至{spec.window_end}窗口内"
    )
    if day == spec.preferred:
        text += f"，即建议日期{spec.preferred}"
    else:
        why = _why_not(spec.preferred, rules)
        text += f"，建议日期{spec.preferred}" + (
            f"为{why}" if why else "与其他会议（同日、会场或参会对象）冲突"
        )
        text += "，取最近的可行工作日"
    text += f"；会场{venue.name}可容纳{venue.capacity}人，参会{spec.invitees}人（{rule}）"
    return text


def violations(
    placed: Iterable[PlacedEvent],
    events: Sequence[EventSpec],
    venues: Sequence[VenueSpec],
    *,
    rules: ScheduleRules,
) -> list[str]:
    """Every broken constraint of a placement, in words (empty: the placement is valid)."""
    specs = {e.key: e for e in events}
    capacity = {v.name: v.capacity for v in venues}
    problems = []
    by_day: dict[date, list[PlacedEvent]] = {}
    for p in placed:
        spec = specs[p.key]
        if not rules.workdays.is_working_day(p.day):
            problems.append(f"{p.title}：{fmt(p.day)}不是工作日")
        if p.day in set(rules.avoid):
            problems.append(f"{p.title}：{fmt(p.day)}在{rules.avoid_label}内")
        if not spec.window_start <= p.day <= spec.window_end:
            problems.append(f"{p.title}：{p.day}不在窗口{spec.window_start}至{spec.window_end}内")
        if capacity.get(p.venue, 0) < spec.invitees:
            problems.append(f"{p.title}：会场{p.venue}容纳不下{spec.invitees}人")
        if spec.venues and p.venue not in spec.venues:
            problems.append(f"{p.title}：会场{p.venue}不在指定会场之列")
        by_day.setdefault(p.day, []).append(p)
    for day, same in sorted(by_day.items()):
        titles = "、".join(p.title for p in same)
        if rules.one_event_per_day and len(same) > 1:
            problems.append(f"{day}安排了多个会议：{titles}")
        rooms = [p.venue for p in same]
        for venue in sorted({v for v in rooms if rooms.count(v) > 1}):
            problems.append(f"{day}会场{venue}被重复预订")
        people = [a for p in same for a in p.audiences]
        for audience in sorted({a for a in people if people.count(a) > 1}):
            problems.append(f"{day}参会对象{audience}须同时参加两个会议")
    return problems
