"""The daily advance (key-day notices, reminders, the distribution campaign) and confirmations."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.db import session_scope
from models.meetings import CalendarYear, Distribution
from models.profile.calendar import CalendarPolicy
from models.profile.schema import DistrictProfile
from tasks.calendar.messages import (
    offices_of,
    stage_annual_plan,
    stage_invitations,
    when_and_where,
)
from tasks.calendar.records import FLOW, CalendarError, year_meetings
from tasks.calendar.rules import (
    PublicityCalendar,
    distribution_reminder_days,
    distribution_request_day,
    invitation_day,
    key_days,
    plan_notice_day,
    publicity_calendar,
    reminder_dates,
)
from tasks.common import clock, links
from tasks.common.district import profile_in_force
from tasks.common.holidays import current_work_calendar
from tasks.common.workdays import WorkCalendar
from tasks.notify.render import cn_date, render
from tasks.notify.staging import message_key, stage_message


class DueReport(BaseModel):
    plan_notices: int = 0
    invitations: int = 0
    key_day_notices: int = 0
    reminders: int = 0
    distribution_requests: int = 0
    distribution_reminders: int = 0

    @property
    def total(self) -> int:
        return (
            self.plan_notices
            + self.invitations
            + self.key_day_notices
            + self.reminders
            + self.distribution_requests
            + self.distribution_reminders
        )


def stage_due(year: int, *, today: date) -> DueReport:
    """Stage whatever is due on `today`: the year's plan to the offices, invitations, key-day
    notices, meeting reminders, distribution requests and follow-ups.

    Only a signed-off year sends anything, and each notice only from its own date on: the plan
    a lead time before 1 January (until the year ends), an invitation a lead time before its
    meeting (until the meeting). Every message has its idempotency key, so calling this twice a
    day, or re-running a missed day, sends nothing twice. Reminders name the meeting's date in
    their key: a meeting that moves gets fresh reminders for its new date.
    """
    report = DueReport()
    profile = profile_in_force()
    policy = profile.calendar
    workdays = current_work_calendar()
    publicity = publicity_calendar(year, workdays=workdays)
    with session_scope() as session:
        if session.get(CalendarYear, year) is None:
            return report
        scheduled = year_meetings(session, year, status="scheduled")
        if plan_notice_day(year, policy, workdays=workdays) <= today <= date(year, 12, 31):
            rows = session.exec(select(Distribution).where(Distribution.year == year)).all()
            report.plan_notices += stage_annual_plan(
                session,
                publicity=publicity,
                meetings=scheduled,
                profile=profile,
                request_on=rows[0].requested_on
                if rows
                else distribution_request_day(policy, year, workdays=workdays),
            )
        for meeting in scheduled:
            if invitation_day(meeting.day, policy, workdays=workdays) <= today < meeting.day:
                report.invitations += stage_invitations(session, meeting, profile)
        for key_day in key_days(publicity, workdays=workdays):
            if not key_day.due <= today <= key_day.day:
                continue
            for tag, office in offices_of(profile):
                title, body = render(
                    "calendar_key_day",
                    kind=key_day.kind,
                    label=key_day.label,
                    day=key_day.day,
                    year=year,
                    office=office,
                    material=policy.distribution.material,
                    contact=profile.contacts.centre,
                    **publicity.message_fields(),
                )
                staged = stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind=f"key-day-{key_day.kind}",
                    recipient=office,
                    audience=tag,
                    title=title,
                    body=body,
                )
                report.key_day_notices += staged is not None
        names = policy.audience_names
        for meeting in year_meetings(session, year, status="scheduled"):
            if meeting.day <= today:
                continue
            due = [
                (n, d)
                for n, d in reminder_dates(meeting.day, policy.reminder_offsets, workdays=workdays)
                if d <= today
            ]
            if not due:
                continue
            offset, _ = min(due)  # only the latest reminder when several are due at once
            for audience in meeting.audiences:
                title, body = render(
                    "calendar_reminder",
                    **when_and_where(meeting),
                    offset=offset,
                    audience_name=names.get(audience, audience),
                    contact=profile.contacts.centre,
                )
                staged = stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind=f"reminder-{meeting.key}-T{offset}-{meeting.day.isoformat()}",
                    recipient=audience,
                    audience=f"group-{audience}",
                    title=title,
                    body=body,
                )
                report.reminders += staged is not None
        rows = session.exec(
            select(Distribution).where(Distribution.year == year).order_by(col(Distribution.id))
        ).all()
        for row in rows:
            _advance_distribution(
                session,
                row,
                today=today,
                profile=profile,
                publicity=publicity,
                report=report,
                workdays=workdays,
            )
    return report


def _distribution_link(
    session: Session,
    row: Distribution,
    kind: str,
    publicity: PublicityCalendar,
    policy: CalendarPolicy,
) -> str | None:
    """The office's personal link for the message of KIND (open until the publicity month
    ends: the campaign's reminders carry it too)."""
    return links.ask_in_message(
        session,
        message_key=message_key(flow=FLOW, year=row.year, kind=kind, recipient=row.community),
        purpose="distribution",
        year=row.year,
        recipient=row.community,
        subject="material",
        audience=f"community-{row.community}",
        deadline=clock.end_of_day(publicity.month_end),
        details={
            "recipient_name": row.community,
            "title": f"{row.year}年{policy.distribution.material}发放",
            "street": row.street,
            "material": policy.distribution.material,
        },
    )


def _advance_distribution(
    session: Session,
    row: Distribution,
    *,
    today: date,
    profile: DistrictProfile,
    publicity: PublicityCalendar,
    report: DueReport,
    workdays: WorkCalendar,
) -> None:
    """Send the request when the campaign starts; remind an unconfirmed office when it is due.

    The campaign belongs to the publicity month: after it (e.g. planning a past year) nothing
    is asked or chased any more.
    """
    if today > publicity.month_end:
        return
    policy = profile.calendar
    common: dict[str, Any] = {
        "year": row.year,
        "community": row.community,
        "street": row.street,
        "material": policy.distribution.material,
        "contact": profile.contacts.centre,
    }
    # a request day that a later-entered notice made a holiday moves to the next working day
    request_on = workdays.next_working_day(row.requested_on)
    if not row.requested and today >= request_on:
        row.requested_on = request_on
        reminders = distribution_reminder_days(policy, request_on, workdays=workdays)
        title, body = render(
            "calendar_distribution_request",
            month_start=publicity.month_start,
            month_end=publicity.month_end,
            due=reminders[0] if reminders else publicity.month_end,
            link=_distribution_link(session, row, "distribution-request", publicity, policy),
            **common,
        )
        stage_message(
            session,
            flow=FLOW,
            year=row.year,
            kind="distribution-request",
            recipient=row.community,
            audience=f"community-{row.community}",
            title=title,
            body=body,
        )
        row.requested = True
        session.add(row)
        report.distribution_requests += 1
    if not row.requested or row.confirmed_on is not None:
        return
    reminders = distribution_reminder_days(policy, row.requested_on, workdays=workdays)
    due = [d for d in reminders if d <= today]
    if len(due) <= row.reminders_sent:
        return
    number = len(due)
    later = [d for d in reminders if d > today]
    title, body = render(
        "calendar_distribution_reminder",
        number=number,
        requested_on=row.requested_on,
        today=today,
        due=min(later[0] if later else publicity.month_end, publicity.month_end),
        link=_distribution_link(session, row, f"distribution-reminder-{number}", publicity, policy),
        **common,
    )
    staged = stage_message(
        session,
        flow=FLOW,
        year=row.year,
        kind=f"distribution-reminder-{number}",
        recipient=row.community,
        audience=f"community-{row.community}",
        title=title,
        body=body,
    )
    row.reminders_sent = number
    row.last_reminded_on = today
    session.add(row)
    report.distribution_reminders += staged is not None


def confirm_distribution(
    *, year: int, community: str, confirmed_by: str = "", note: str = "", today: date
) -> dict[str, Any]:
    """A community office confirms the material reached every household (R7.2); twice is a no-op.

    Refused (in Chinese) for a year without a signed-off plan, an office not in the campaign,
    and before the material was handed out: nothing can be confirmed that was never asked.
    """
    with session_scope() as session:
        row = session.exec(
            select(Distribution).where(
                Distribution.year == year, Distribution.community == community
            )
        ).first()
        if row is None:
            known = session.exec(
                select(Distribution.community).where(Distribution.year == year)
            ).all()
            if not known:
                raise CalendarError(
                    f"{year}年没有已批准的年度安排，也就没有宣传资料发放任务，不能确认发放"
                )
            raise CalendarError(f"{year}年宣传资料发放任务中没有“{community}”，请核对居委名称")
        if not row.requested:
            raise CalendarError(
                f"{year}年宣传资料尚未下发（{cn_date(row.requested_on)}起下发），"
                f"{community}还不能确认发放"
            )
        if row.confirmed_on is not None:
            return {
                "community": community,
                "confirmed_on": row.confirmed_on.isoformat(),
                "changed": False,
            }
        row.confirmed_on, row.confirmed_by, row.note = today, confirmed_by, note
        session.add(row)
        return {"community": community, "confirmed_on": today.isoformat(), "changed": True}
