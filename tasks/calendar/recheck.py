"""Re-check a year's plans against the working-day calendar in force now.

A plan stores the calendar it was made on: the annual calendar in its placement rules, the
awards round beside its 公示 periods. When a notice is entered later (or the library learns the
year), some days change between working day and day off, and with them the dates counted from
them. `recheck` compares every planned date of the year (meetings and their reminders, key-day
notices, the distribution request and its follow-ups, 公示 periods) under both calendars and
says exactly which dates fall on a changed day or move; `accept_recheck` records that the
operator has seen it and makes the current calendar the plan's new basis.

Reminders, key-day notices and follow-ups follow the calendar in force by themselves; a meeting
on a day that is no longer a working day stays where it is until the operator moves it (its
invitees were told), so the report suggests the nearest free working day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models.audit import Decision
from models.awards import AwardEntry, AwardRound
from models.db import session_scope
from models.meetings import CalendarYear, Distribution, Meeting
from models.timeutil import utcnow
from tasks.calendar.placement import ScheduleRules
from tasks.calendar.rules import (
    distribution_reminder_days,
    key_days,
    publicity_calendar,
    reminder_dates,
)
from tasks.common.district import active_profile
from tasks.common.holiday_sources import SOURCE_NAMES
from tasks.common.holidays import work_calendar
from tasks.common.workdays import DayChange, WorkCalendar, changed_days, day_zh

WORKDAYS_KEY = "workdays"  # where a plan keeps the calendar it was made on


class PlannedDate(BaseModel):
    """One planned date under the plan's calendar and under the calendar in force."""

    model_config = ConfigDict(frozen=True)

    process: Literal["calendar", "awards"]
    subject: str  # meeting key, key-day kind, "distribution", award refs
    label: str  # what it is, in Chinese
    old: date
    new: date | None  # None: a meeting on a day that is no longer a working day
    on_changed_day: bool
    suggestion: date | None = None  # for a meeting that must move: the nearest free working day

    def describe(self) -> str:
        if self.new is None:
            text = f"{self.label}：原定{day_zh(self.old)}已不是工作日，须改期"
            if self.suggestion is not None:
                text += f"，最近的可用工作日为{day_zh(self.suggestion)}"
            return text
        if self.new == self.old:
            return f"{self.label}：{day_zh(self.old)}的工作日状态有变，日期不变"
        return f"{self.label}：由{day_zh(self.old)}改为{day_zh(self.new)}"


class Recheck(BaseModel):
    """What the calendar in force changes in a year's plans."""

    year: int
    basis: list[str]  # where the plans' holidays came from when they were made
    current: str  # where this year's holidays come from now
    changed_days: list[DayChange]
    dates: list[PlannedDate]  # every planned date that falls on a changed day or moves

    @property
    def needed(self) -> bool:
        return bool(self.dates)

    def lines(self) -> list[str]:
        return [d.describe() for d in self.dates]

    def note(self) -> str:
        basis = "、".join(self.basis)
        return (
            f"{self.year}年的计划按{basis}编制，现按{self.current}，"
            f"有{len(self.changed_days)}天的工作日状态不同，{len(self.dates)}个计划日期须复核"
        )


def _changes(
    old: WorkCalendar, new: WorkCalendar, dates: list[date]
) -> tuple[list[DayChange], set[date]]:
    years = sorted({d.year for d in dates})
    changes = [c for y in years for c in changed_days(old, new, y)]
    return changes, {c.day for c in changes}


def _item(
    process: Literal["calendar", "awards"],
    subject: str,
    label: str,
    old: date,
    new: date | None,
    changed: set[date],
    suggestion: date | None = None,
) -> PlannedDate | None:
    if new == old and old not in changed:
        return None
    return PlannedDate(
        process=process,
        subject=subject,
        label=label,
        old=old,
        new=new,
        on_changed_day=old in changed,
        suggestion=suggestion,
    )


def _nearest_free(
    day: date, *, workdays: WorkCalendar, taken: set[date], avoid: set[date]
) -> date | None:
    for distance in range(1, 60):
        for candidate in (day - timedelta(days=distance), day + timedelta(days=distance)):
            if (
                candidate.year == day.year
                and workdays.is_working_day(candidate)
                and candidate not in taken
                and candidate not in avoid
            ):
                return candidate
    return None


def _calendar_dates(
    session: Session, stored: CalendarYear, current: WorkCalendar
) -> tuple[WorkCalendar, list[tuple[Any, ...]]]:
    """(basis, [(subject, label, old, new, suggestion)]) of the annual calendar."""
    year = stored.year
    rules = ScheduleRules.model_validate(stored.rules)
    basis = rules.workdays
    policy = active_profile(session).calendar
    meetings = session.exec(
        select(Meeting)
        .where(Meeting.year == year, Meeting.status == "scheduled")
        .order_by(col(Meeting.day), col(Meeting.key))
    ).all()
    taken = {m.day for m in meetings}
    found: list[tuple[Any, ...]] = []
    for m in meetings:
        works = current.is_working_day(m.day)
        suggestion = (
            None
            if works
            else _nearest_free(m.day, workdays=current, taken=taken, avoid=set(rules.avoid))
        )
        found.append((m.key, f"{m.title}（会议日期）", m.day, m.day if works else None, suggestion))
        before = reminder_dates(m.day, policy.reminder_offsets, workdays=basis)
        after = dict(reminder_dates(m.day, policy.reminder_offsets, workdays=current))
        for offset, old in before:
            label = f"{m.title}（提前{offset}个工作日提醒）"
            found.append((m.key, label, old, after[offset], None))
    old_days = key_days(publicity_calendar(year, workdays=basis), workdays=basis)
    new_days = {
        k.kind: k for k in key_days(publicity_calendar(year, workdays=current), workdays=current)
    }
    for k in old_days:
        found.append((k.kind, f"{k.label}（提前通知）", k.due, new_days[k.kind].due, None))
    row = session.exec(select(Distribution).where(Distribution.year == year)).first()
    if row is not None:
        old_request = basis.next_working_day(row.requested_on)
        new_request = current.next_working_day(row.requested_on)
        found.append(("distribution", "宣传资料发放通知", old_request, new_request, None))
        old_reminders = distribution_reminder_days(policy, old_request, workdays=basis)
        new_reminders = distribution_reminder_days(policy, new_request, workdays=current)
        for i, (old, new) in enumerate(zip(old_reminders, new_reminders, strict=True), 1):
            found.append(("distribution", f"宣传资料发放第{i}次催办", old, new, None))
    return basis, found


def _awards_dates(
    session: Session, stored: AwardRound, current: WorkCalendar
) -> tuple[WorkCalendar, list[tuple[Any, ...]]]:
    """(basis, [(subject, label, old, new, None)]) of the year's 公示 periods."""
    basis = WorkCalendar.model_validate(stored.result[WORKDAYS_KEY])
    days = _publicity_days(stored)
    entries = session.exec(
        select(AwardEntry)
        .where(AwardEntry.year == stored.year, col(AwardEntry.publicity_start).is_not(None))
        .order_by(col(AwardEntry.ref))
    ).all()
    periods: dict[tuple[date, date, bool], list[str]] = {}
    for e in entries:
        if e.publicity_start is not None and e.publicity_end is not None:
            promoted = e.promoted_from is not None
            periods.setdefault((e.publicity_start, e.publicity_end, promoted), []).append(e.ref)
    found: list[tuple[Any, ...]] = []
    for (start, end, promoted), refs in sorted(periods.items()):
        what = "递补公示" if promoted else "表彰名单公示"
        subject = ",".join(refs)
        new_start = current.next_working_day(start)
        found.append((subject, f"{what}（{len(refs)}项）开始", start, new_start, None))
        found.append(
            (
                subject,
                f"{what}（{len(refs)}项）截止",
                end,
                current.period_end(new_start, days[promoted]),
                None,
            )
        )
    return basis, found


def _publicity_days(stored: AwardRound) -> dict[bool, int]:
    """Working days of a 公示: the list's, and a promoted nominee's short one."""
    return {
        False: int(str(stored.parameters.get("publicity_days", 5))),
        True: int(str(stored.parameters.get("objection_publicity_days", 3))),
    }


def _recount_publicity(session: Session, stored: AwardRound, current: WorkCalendar) -> None:
    """Every 公示 period of the round counted again on the calendar in force."""
    days = _publicity_days(stored)
    entries = session.exec(select(AwardEntry).where(AwardEntry.year == stored.year)).all()
    for e in entries:
        if e.publicity_start is None:
            continue
        e.publicity_start = current.next_working_day(e.publicity_start)
        e.publicity_end = current.period_end(e.publicity_start, days[e.promoted_from is not None])
        session.add(e)


def recheck(year: int) -> Recheck:
    """Every planned date of the year that falls on a changed day or moves (see the docstring)."""
    with session_scope() as session:
        current = work_calendar(session)
        planned: list[tuple[Literal["calendar", "awards"], WorkCalendar, list[tuple[Any, ...]]]]
        planned = []
        stored = session.get(CalendarYear, year)
        if stored is not None and WORKDAYS_KEY in stored.rules:
            basis, found = _calendar_dates(session, stored, current)
            planned.append(("calendar", basis, found))
        awards = session.get(AwardRound, year)
        if awards is not None and WORKDAYS_KEY in awards.result:
            basis, found = _awards_dates(session, awards, current)
            planned.append(("awards", basis, found))
    changes: dict[date, DayChange] = {}
    dates: list[PlannedDate] = []
    sources: list[str] = []
    for process, basis, found in planned:
        more, changed = _changes(basis, current, [f[2] for f in found] + [date(year, 1, 1)])
        changes.update({c.day: c for c in more})
        sources.append(SOURCE_NAMES[basis.source(year)])
        for subject, label, old, new, suggestion in found:
            item = _item(process, subject, label, old, new, changed, suggestion)
            if item is not None:
                dates.append(item)
    return Recheck(
        year=year,
        basis=sorted(set(sources)),
        current=SOURCE_NAMES[current.source(year)],
        changed_days=[changes[d] for d in sorted(changes)],
        dates=sorted(dates, key=lambda d: (d.old, d.label)),
    )


def accept_recheck(*, year: int, operator: str, now: datetime | None = None) -> Recheck:
    """The operator has seen the re-check: the calendar in force becomes the plans' basis.

    Records the report as a decision of each process concerned, and counts the 公示 periods
    again on the calendar in force (a 公示 lasts its working days). Meetings that must move are
    moved with `move_meeting`, not here: their invitees are told. Accepting when nothing
    changed writes nothing.
    """
    report = recheck(year)
    if not report.needed:
        return report
    now = now or utcnow()
    reason = "经办人员{who}已复核节假日安排变化：".format(who=operator or "") + "；".join(
        report.lines()
    )
    with session_scope() as session:
        current = work_calendar(session)
        processes = {d.process for d in report.dates}
        stored = session.get(CalendarYear, year)
        if stored is not None and "calendar" in processes:
            pinned = current.pinned([year - 1, year, year + 1]).model_dump(mode="json")
            stored.rules = {**stored.rules, WORKDAYS_KEY: pinned}
            session.add(stored)
        awards = session.get(AwardRound, year)
        if awards is not None and "awards" in processes:
            _recount_publicity(session, awards, current)
            pinned = current.pinned([year, year + 1]).model_dump(mode="json")
            awards.result = {**awards.result, WORKDAYS_KEY: pinned}
            session.add(awards)
        for process in sorted(processes):
            session.add(
                Decision(
                    process=process,
                    year=year,
                    subject="holidays",
                    kind=f"recheck-{now.strftime('%Y%m%d%H%M%S')}",
                    rule="R7.5" if process == "calendar" else "R11.2",
                    reason=reason,
                    decided_at=now,
                )
            )
    return report
