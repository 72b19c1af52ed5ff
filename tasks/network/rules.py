"""The district network as plain functions (R2-R6, R8.3): no Prefect, no database.

- The community-school rollout (R8.3): the profile's plan names the year each street's school is
  due. The yearly check opens a task for every street whose year has come and that has no
  school yet, reminds a street whose task is past its due date, closes the task once the school
  is registered, and reminds a school that has not reached the standard in the years allowed.
- The registry report: per street, the network's communities, schools, community school, bases
  and the five teams (R6), counted from the registers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from models.profile.calendar import month_day_of
from models.profile.network import RolloutPlan
from tasks.common.workdays import date_zh

RULE = "R8.3"
ActionKind = Literal["open", "overdue", "done", "standard"]


class SchoolState(BaseModel):
    """A registered community school, as the rollout sees it."""

    model_config = ConfigDict(frozen=True)

    name: str
    host_school: str
    opened_on: date
    standard_on: date | None = None


class TaskState(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan_year: int
    opened_on: date
    due_on: date
    status: Literal["open", "done"]


class RolloutAction(BaseModel):
    """One thing the check does for one street, with the reason a clerk reads."""

    model_config = ConfigDict(frozen=True)

    street: str
    kind: ActionKind
    plan_year: int
    due_on: date
    reason: str
    school: str = ""


def due_date(plan: RolloutPlan, plan_year: int) -> date:
    """The day a street's community school should be open: the plan's month-day of its year."""
    return month_day_of(plan.due, plan_year)


def standard_due(plan: RolloutPlan, opened_on: date) -> date:
    """The day a school should have reached the standard: N years after it opened."""
    year = opened_on.year + plan.standard_within_years
    return month_day_of(f"{opened_on.month:02d}-{opened_on.day:02d}", year)


def rollout_actions(
    *,
    plan: RolloutPlan,
    year: int,
    today: date,
    schools: Mapping[str, SchoolState],
    tasks: Mapping[str, TaskState],
) -> list[RolloutAction]:
    """What the yearly check of `year` does on `today`, street by street in plan order."""
    actions: list[RolloutAction] = []
    for street, plan_year in plan.plan.items():
        school, task = schools.get(street), tasks.get(street)
        due = task.due_on if task is not None else due_date(plan, plan_year)
        if plan_year > year and task is None:
            continue
        if school is not None and school.opened_on <= today:
            if task is not None and task.status == "open":
                reason = (
                    f"{street}已于{date_zh(school.opened_on)}开办{school.name}"
                    f"（承办学校{school.host_school}），设立街道社区学校的任务完成"
                )
                actions.append(
                    RolloutAction(
                        street=street,
                        kind="done",
                        plan_year=plan_year,
                        due_on=due,
                        reason=reason,
                        school=school.name,
                    )
                )
            continue
        if school is not None:  # registered, opening later: arranged, nothing to remind
            continue
        if task is None:
            late = "，已逾期" if due < today else ""
            reason = (
                f"按社区学校推广计划，{street}应于{plan_year}年设立街道社区学校，"
                f"截至{date_zh(today)}尚未登记，建立任务，要求于{date_zh(due)}前开办{late}"
                f"（{RULE}）"
            )
            actions.append(
                RolloutAction(
                    street=street, kind="open", plan_year=plan_year, due_on=due, reason=reason
                )
            )
        elif (
            task.status == "open"
            and today > due
            and (task.opened_on <= due or task.opened_on.year < year)
        ):
            # a task opened already late was told so when it opened: reminded from next year
            reason = (
                f"{street}应于{date_zh(due)}前开办街道社区学校，截至{date_zh(today)}尚未登记，"
                f"{year}年度催办（{RULE}）"
            )
            actions.append(
                RolloutAction(
                    street=street, kind="overdue", plan_year=plan_year, due_on=due, reason=reason
                )
            )
    for street, school in schools.items():
        if school.standard_on is not None or school.opened_on > today:
            continue
        by = standard_due(plan, school.opened_on)
        if by <= today:
            reason = (
                f"{school.name}于{date_zh(school.opened_on)}开办，应在"
                f"{plan.standard_within_years}年内即{date_zh(by)}前达到标准化要求，"
                f"截至{date_zh(today)}尚未达标，{year}年度提醒（{RULE}）"
            )
            actions.append(
                RolloutAction(
                    street=street,
                    kind="standard",
                    plan_year=plan.plan.get(street, school.opened_on.year),
                    due_on=by,
                    reason=reason,
                    school=school.name,
                )
            )
    return actions


def rollout_digest(
    *,
    plan: RolloutPlan,
    year: int,
    today: date,
    schools: Mapping[str, SchoolState],
    tasks: Mapping[str, TaskState],
) -> str:
    """A digest of everything the check decided on (stored with each decision)."""
    payload = {
        "plan": plan.model_dump(mode="json"),
        "year": year,
        "today": today.isoformat(),
        "schools": {k: v.model_dump(mode="json") for k, v in sorted(schools.items())},
        "tasks": {k: v.model_dump(mode="json") for k, v in sorted(tasks.items())},
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def schools_open_by(schools: Mapping[str, SchoolState], day: date) -> int:
    """Streets whose community school had opened by `day` (the R8.3 KPI)."""
    return sum(1 for s in schools.values() if s.opened_on <= day)


def schools_at_standard_by(schools: Mapping[str, SchoolState], day: date) -> int:
    return sum(1 for s in schools.values() if s.standard_on is not None and s.standard_on <= day)


# ------------------------------------------------------------------------------ the registry


class TeamCounts(BaseModel):
    """The five teams of R6 in one street (or the district): head counts."""

    managers: int = 0
    counsellors: int = 0
    assistants: int = 0  # seconded teachers (R10.2), counted from the secondment
    volunteers: int = 0
    lecturers: int = 0
    researchers: int = 0

    @property
    def teams_formed(self) -> int:
        """How many of the five teams have a member (counsellors include the assistants)."""
        return sum(
            (
                self.managers > 0,
                self.counsellors + self.assistants > 0,
                self.volunteers > 0,
                self.lecturers > 0,
                self.researchers > 0,
            )
        )


class Person(BaseModel):
    """A member of any team, reduced to what the report counts."""

    model_config = ConfigDict(frozen=True)

    team: Literal["manager", "counsellor", "assistant", "volunteer", "lecturer", "researcher"]
    street: str = ""
    level: str = ""
    dedicated: bool = False


_FIELDS = {
    "manager": "managers",
    "counsellor": "counsellors",
    "assistant": "assistants",
    "volunteer": "volunteers",
    "lecturer": "lecturers",
    "researcher": "researchers",
}


def team_counts(people: Sequence[Person], *, street: str | None = None) -> TeamCounts:
    """Head counts per team, of one street or (street None) of the whole district."""
    counts = TeamCounts()
    for person in people:
        if street is None or person.street == street:
            field = _FIELDS[person.team]
            setattr(counts, field, getattr(counts, field) + 1)
    return counts


def dedicated_streets(people: Sequence[Person], streets: Sequence[str]) -> list[str]:
    """Streets with a dedicated street-level manager (R10.1: teams with dedicated staff)."""
    staffed = {
        p.street for p in people if p.team == "manager" and p.level == "street" and p.dedicated
    }
    return [s for s in streets if s in staffed]


class BaseRow(BaseModel):
    """One base of R5 with its venues."""

    name: str
    kind: str  # Chinese label
    street: str
    venues: int
    capacity: int  # seats of all its venues
    largest: int


class StreetRow(BaseModel):
    """One street of the network (R4) with what it holds."""

    street: str
    pilot: bool
    communities: int
    schools: int
    primary_schools: int
    community_school: str  # name, or "" when none is registered
    host_school: str
    opened_on: date | None
    standard_on: date | None
    plan_year: int | None  # the rollout plan's year, if the plan names the street
    bases: int
    teams: TeamCounts
    playgrounds: int  # primary schools with registered opening hours (R8.2)


class NetworkReport(BaseModel):
    """The registry report: the centre, the three-level network, the bases, the five teams."""

    year: int
    district: str
    centre: str
    centre_units: list[str]
    college: str
    streets: list[StreetRow]
    bases: list[BaseRow]
    base_kinds: dict[str, int]  # Chinese label -> bases of that kind (the four of R5)
    teams: TeamCounts  # the whole district
    dedicated_streets: list[str]

    @property
    def communities(self) -> int:
        return sum(s.communities for s in self.streets)


def base_rows(
    venues: Sequence[tuple[str, str, str, int]], labels: Mapping[str, str]
) -> list[BaseRow]:
    """(base, kind, street, capacity) per venue -> one row per base, in name order."""
    grouped: dict[str, list[tuple[str, str, str, int]]] = {}
    for venue in venues:
        grouped.setdefault(venue[0], []).append(venue)
    return [
        BaseRow(
            name=name,
            kind=labels.get(rows[0][1], rows[0][1]),
            street=rows[0][2],
            venues=len(rows),
            capacity=sum(r[3] for r in rows),
            largest=max(r[3] for r in rows),
        )
        for name, rows in sorted(grouped.items())
    ]
