"""Database side of the district network: the rollout check (R8.3) and the registry (R2-R6).

Each public function is one transaction: a decision of the rollout check, its task and the
message to the street are written together, so a re-run of the same year and day changes and
sends nothing twice.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, select

from models.audit import Decision
from models.db import session_scope
from models.network import BASE_KINDS, BaseVenue, CommunitySchool, RolloutTask, TeamMember
from models.playgrounds import PlaygroundHours
from models.profile.playgrounds import is_primary
from models.profile.schema import DistrictProfile
from models.secondment import Assignment
from models.volunteers import Volunteer
from tasks.common.decisions import decision, keep_inputs
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.network.audit import DECISION_KINDS, RULE_VERSION, rollout_outcomes, rollout_payload
from tasks.network.rules import (
    RULE,
    NetworkReport,
    Person,
    RolloutAction,
    SchoolState,
    StreetRow,
    TaskState,
    base_rows,
    dedicated_streets,
    due_date,
    rollout_actions,
    rollout_digest,
    team_counts,
)
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import stage_message

FLOW = "network"
REPLY_WITHIN_WORKING_DAYS = 20  # a late street or school reports back within a working month
_DECISION_KINDS = DECISION_KINDS


class RolloutLine(BaseModel):
    """One street of the plan as the check leaves it."""

    street: str
    plan_year: int
    due_on: date
    school: str
    opened_on: date | None
    standard_on: date | None
    task: str  # "" (not due yet), open, done


class RolloutReport(BaseModel):
    year: int
    today: date
    actions: list[RolloutAction]  # what this run did (empty on a re-run)
    messages: int
    plan: list[RolloutLine]
    due_by_year_end: int  # streets the plan wants covered by 31 December
    open_by_year_end: int  # streets whose school is registered as open by then


def _schools(session: Session) -> dict[str, SchoolState]:
    return {
        s.street: SchoolState(
            name=s.name, host_school=s.host_school, opened_on=s.opened_on, standard_on=s.standard_on
        )
        for s in session.exec(select(CommunitySchool)).all()
    }


def _tasks(session: Session) -> dict[str, RolloutTask]:
    return {t.street: t for t in session.exec(select(RolloutTask)).all()}


def _decided(session: Session, *, year: int, street: str, kind: str) -> bool:
    found = session.exec(
        select(Decision.id).where(
            Decision.process == FLOW,
            Decision.year == year,
            Decision.subject == street,
            Decision.kind == kind,
        )
    ).first()
    return found is not None


def _stage(
    session: Session, action: RolloutAction, *, year: int, today: date, profile: DistrictProfile
) -> bool:
    hosts = [s.name for s in profile.schools if s.street == action.street and is_primary(s.name)]
    opened = None
    if action.kind == "standard":
        school = session.exec(
            select(CommunitySchool).where(CommunitySchool.street == action.street)
        ).one()
        opened = school.opened_on
    title, body = render(
        "network_rollout",
        kind=action.kind,
        street=action.street,
        school=action.school,
        plan_year=action.plan_year,
        due=action.due_on,
        opened=opened,
        remind_by=work_calendar(session).add_working_days(today, REPLY_WITHIN_WORKING_DAYS),
        hosts=hosts,
        contact=profile.contacts.centre,
    )
    staged = stage_message(
        session,
        flow=FLOW,
        year=year,
        kind=f"rollout-{action.kind}",
        recipient=action.street,
        audience=f"street-{action.street}",
        title=title,
        body=body,
    )
    return staged is not None


def rollout_check(*, year: int, today: date) -> RolloutReport:
    """The yearly check (R8.3): open the tasks due, remind the late, close the done."""
    with session_scope() as session:
        profile = active_profile(session)
        plan = profile.network.community_schools
        schools = _schools(session)
        stored = _tasks(session)
        tasks = {
            street: TaskState.model_validate(
                {
                    "plan_year": t.plan_year,
                    "opened_on": t.opened_on,
                    "due_on": t.due_on,
                    "status": t.status,
                }
            )
            for street, t in stored.items()
        }
        digest = rollout_digest(plan=plan, year=year, today=today, schools=schools, tasks=tasks)
        done: list[RolloutAction] = []
        messages = 0
        actions = rollout_actions(plan=plan, year=year, today=today, schools=schools, tasks=tasks)
        outcomes = rollout_outcomes(actions)
        for action in actions:
            kind = _DECISION_KINDS[action.kind]
            if _decided(session, year=year, street=action.street, kind=kind):
                continue
            keep_inputs(
                session,
                process=FLOW,
                year=year,
                kind="rollout",
                digest=digest,
                payload=rollout_payload(
                    plan=plan, year=year, today=today, schools=schools, tasks=tasks
                ),
                rule_version=RULE_VERSION,
            )
            session.add(
                decision(
                    process=FLOW,
                    year=year,
                    subject=action.street,
                    kind=kind,
                    rule=RULE,
                    reason=action.reason,
                    inputs_digest=digest,
                    rule_version=RULE_VERSION,
                    outcome=outcomes[(action.street, kind)],
                )
            )
            task = stored.get(action.street)
            if action.kind == "open":
                session.add(
                    RolloutTask(
                        street=action.street,
                        plan_year=action.plan_year,
                        opened_on=today,
                        due_on=action.due_on,
                    )
                )
            elif action.kind == "done" and task is not None:
                task.status, task.done_on = "done", today
                session.add(task)
            elif action.kind == "overdue" and task is not None:
                task.reminders += 1
                task.last_reminded_on = today
                session.add(task)
            if action.kind != "done":
                messages += _stage(session, action, year=year, today=today, profile=profile)
            done.append(action)
        session.flush()
        plan_lines = _plan_lines(session, profile)
        year_end = date(year, 12, 31)
        return RolloutReport(
            year=year,
            today=today,
            actions=done,
            messages=messages,
            plan=plan_lines,
            due_by_year_end=plan.due_by(year),
            open_by_year_end=sum(1 for s in _schools(session).values() if s.opened_on <= year_end),
        )


def _plan_lines(session: Session, profile: DistrictProfile) -> list[RolloutLine]:
    plan = profile.network.community_schools
    schools = _schools(session)
    tasks = _tasks(session)
    lines = []
    for street, plan_year in sorted(plan.plan.items(), key=lambda item: (item[1], item[0])):
        school, task = schools.get(street), tasks.get(street)
        lines.append(
            RolloutLine(
                street=street,
                plan_year=plan_year,
                due_on=task.due_on if task is not None else due_date(plan, plan_year),
                school=school.name if school else "",
                opened_on=school.opened_on if school else None,
                standard_on=school.standard_on if school else None,
                task=task.status if task is not None else "",
            )
        )
    return lines


def rollout_plan(*, year: int, today: date) -> RolloutReport:
    """The plan's state without running the check (nothing written, nothing sent)."""
    with session_scope() as session:
        profile = active_profile(session)
        plan = profile.network.community_schools
        year_end = date(year, 12, 31)
        return RolloutReport(
            year=year,
            today=today,
            actions=[],
            messages=0,
            plan=_plan_lines(session, profile),
            due_by_year_end=plan.due_by(year),
            open_by_year_end=sum(1 for s in _schools(session).values() if s.opened_on <= year_end),
        )


def people(session: Session, *, year: int) -> list[Person]:
    """Everyone in the five teams of `year`: the team register, the secondment, the volunteers."""
    found: list[Person] = [
        Person.model_validate(
            {"team": m.team, "street": m.street, "level": m.level, "dedicated": m.dedicated}
        )
        for m in session.exec(select(TeamMember).where(TeamMember.year == year)).all()
    ]
    found += [
        Person(team="assistant", street=a.street, level="street")
        for a in session.exec(
            select(Assignment).where(Assignment.year == year, Assignment.status == "active")
        ).all()
    ]
    found += [
        Person(team="volunteer" if v.role == "volunteer" else "lecturer", street=v.street)
        for v in session.exec(select(Volunteer).where(Volunteer.year == year)).all()
    ]
    return found


def network_report(*, year: int) -> NetworkReport:
    """The registry report's figures, from every register (read-only)."""
    with session_scope() as session:
        profile = active_profile(session)
        venues = session.exec(select(BaseVenue)).all()
        members = people(session, year=year)
        schools = {s.street: s for s in session.exec(select(CommunitySchool)).all()}
        open_hours = set(session.exec(select(PlaygroundHours.school)).all())
    bases = base_rows([(v.base, v.kind, v.street, v.capacity) for v in venues], BASE_KINDS)
    plan = profile.network.community_schools.plan
    rows = []
    for street in profile.streets:
        in_street = [s.name for s in profile.schools if s.street == street.name]
        school = schools.get(street.name)
        rows.append(
            StreetRow(
                street=street.name,
                pilot=street.pilot,
                communities=len(street.communities),
                schools=len(in_street),
                primary_schools=sum(is_primary(s) for s in in_street),
                community_school=school.name if school else "",
                host_school=school.host_school if school else "",
                opened_on=school.opened_on if school else None,
                standard_on=school.standard_on if school else None,
                plan_year=plan.get(street.name),
                bases=sum(b.street == street.name for b in bases),
                teams=team_counts(members, street=street.name),
                playgrounds=sum(s in open_hours for s in in_street),
            )
        )
    centre = profile.network.centre
    return NetworkReport(
        year=year,
        district=profile.district,
        centre=profile.contacts.centre.name,
        centre_units=list(centre.units),
        college=centre.college,
        streets=rows,
        bases=bases,
        base_kinds={
            label: sum(1 for b in bases if b.kind == label) for label in BASE_KINDS.values()
        },
        teams=team_counts(members),
        dedicated_streets=dedicated_streets(members, profile.street_names),
    )


def pending_message_ids(year: int) -> list[int]:
    return undelivered_message_ids(flow=FLOW, year=year)
