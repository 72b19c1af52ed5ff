"""Database side of the annual calendar: what a year's plan takes in, and its meetings.

Each public function of the calendar's database side (this module, `files`, `messages`,
`summary`, `plan`, `distribution`, `meetings`) is one transaction (`session_scope`): a decision
and the outbox messages it causes are written together (R7.1, R7.2, R7.4, R7.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.settings import get_settings
from tasks.calendar.audit import RULE_VERSION, schedule_outcomes, schedule_payload
from tasks.calendar.placement import (
    EventSpec,
    PlacedEvent,
    Schedule,
    ScheduleRules,
    VenueSpec,
    meeting_rule,
)
from tasks.calendar.rules import clone_specs, event_specs, schedule_rules
from tasks.common.decisions import decision, keep_inputs
from tasks.common.district import profile_in_force
from tasks.common.holidays import current_work_calendar
from tasks.common.ics import event_uid
from tasks.notify.delivery import undelivered_message_ids

FLOW = "calendar"


class CalendarError(Refusal):
    """A calendar action that cannot be done as asked; the message says why, in words."""


class PlanInputs(BaseModel):
    """Everything the year's placement is decided on (a snapshot, so the flow can show it)."""

    year: int
    events: list[EventSpec]
    venues: list[VenueSpec]
    rules: ScheduleRules
    clone_from: int | None = None
    cloned_uids: dict[str, str] = {}  # event key -> last year's UID


def calendar_dir() -> Path:
    return get_settings().data_dir / "calendar"


def as_placed(meeting: Meeting) -> PlacedEvent:
    """A stored meeting as the scheduler placed it."""
    return PlacedEvent(
        key=meeting.key,
        kind=meeting.kind,
        title=meeting.title,
        day=meeting.day,
        venue=meeting.venue,
        audiences=tuple(meeting.audiences),
        invitees=meeting.invitees,
        reason=meeting.reason,
    )


def new_meeting(
    placed: PlacedEvent,
    *,
    year: int,
    district: str,
    times: tuple[time, time],
    now: datetime,
    cloned_from: str | None = None,
) -> Meeting:
    """The meeting row of a placed event, its UID stable for the district, year and key."""
    return Meeting(
        year=year,
        key=placed.key,
        uid=event_uid(district=district, year=year, key=placed.key),
        kind=placed.kind,
        title=placed.title,
        day=placed.day,
        start_time=times[0],
        end_time=times[1],
        venue=placed.venue,
        audiences=list(placed.audiences),
        invitees=placed.invitees,
        reason=placed.reason,
        cloned_from=cloned_from,
        stamped_at=now,
        created_at=now,
    )


def record_schedule(
    session: Session,
    schedule: Schedule,
    solved_on: tuple[Sequence[EventSpec], Sequence[VenueSpec], ScheduleRules],
    *,
    year: int,
    now: datetime,
) -> None:
    """Keep what SCHEDULE was solved on (events, venues, rules) and one decision per placed
    meeting, so that the audit can place them again."""
    events, venues, rules = solved_on
    keep_inputs(
        session,
        process=FLOW,
        year=year,
        kind="schedule",
        digest=schedule.inputs_digest,
        payload=schedule_payload(events, venues, rules),
        rule_version=RULE_VERSION,
    )
    outcomes = schedule_outcomes(schedule)
    for placed in schedule.events:
        session.add(
            decision(
                process=FLOW,
                year=year,
                subject=placed.key,
                kind="placed",
                rule=meeting_rule(placed.kind),
                reason=placed.reason,
                inputs_digest=schedule.inputs_digest,
                rule_version=RULE_VERSION,
                outcome=outcomes[(placed.key, "placed")],
                seed=rules.seed,
                decided_at=now,
            )
        )


def venues_of(profile: DistrictProfile) -> list[VenueSpec]:
    return [VenueSpec(name=v.name, capacity=v.capacity) for v in profile.venues]


def plan_inputs(params: CalendarParameters, *, year: int) -> PlanInputs:
    """The year's events (from the profile, or cloned from an earlier year), venues and rules."""
    profile = profile_in_force()
    policy = profile.calendar
    venues = venues_of(profile)
    if not venues:
        raise CalendarError("区情配置中没有会场，无法安排会议，请先在区情配置中填写会场")
    rules = schedule_rules(
        policy,
        year,
        workdays=current_work_calendar(),
        avoid_activity_week=params.avoid_activity_week,
        one_event_per_day=params.one_event_per_day,
    )
    if params.clone_from is None:
        return PlanInputs(year=year, events=event_specs(policy, year), venues=venues, rules=rules)
    if params.clone_from >= year:
        raise CalendarError(f"只能沿用{year}年以前的年度安排，不能沿用{params.clone_from}年")
    with session_scope() as session:
        rows = session.exec(
            select(Meeting)
            .where(Meeting.year == params.clone_from, Meeting.status == "scheduled")
            .order_by(col(Meeting.day), col(Meeting.key))
        ).all()
        past = [as_placed(m) for m in rows]
        uids = {m.key: m.uid for m in rows}
    if not past:
        raise CalendarError(f"{params.clone_from}年没有可沿用的会议，请先安排该年度")
    specs = clone_specs(past, year=year, venues=venues, audience_sizes=policy.audience_sizes)
    return PlanInputs(
        year=year,
        events=specs,
        venues=venues,
        rules=rules,
        clone_from=params.clone_from,
        cloned_uids=uids,
    )


def is_planned(year: int) -> bool:
    with session_scope() as session:
        return session.get(CalendarYear, year) is not None


def year_meetings(session: Session, year: int, *, status: str | None = None) -> list[Meeting]:
    query = select(Meeting).where(Meeting.year == year)
    if status is not None:
        query = query.where(Meeting.status == status)
    return list(session.exec(query.order_by(col(Meeting.day), col(Meeting.key))).all())


def find_meeting(session: Session, year: int, key: str) -> Meeting:
    meeting = session.exec(select(Meeting).where(Meeting.year == year, Meeting.key == key)).first()
    if meeting is None:
        known = "、".join(f"{m.title}（{m.key}）" for m in year_meetings(session, year))
        hint = f"，已安排的会议：{known}" if known else "，该年度尚未安排会议"
        raise CalendarError(f"{year}年没有“{key}”这项会议{hint}")
    return meeting


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's calendar not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
