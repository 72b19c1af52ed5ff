"""Reminders for whoever has not answered a personal link, on working days before the deadline.

One transaction per public function, like `records`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select

from models.db import session_scope
from models.responses import ResponseAnswer, ResponseRequest
from models.timeutil import utcnow
from tasks.common import clock, links
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import stage_message
from tasks.responses.rules import REMINDED, reminder_due

FLOW = "responses"
# What the message that asked was called, as a reminder names it.
NOTICES = {"secondment": "挂职选派通知", "meeting": "会议通知", "distribution": "宣传资料发放通知"}


def stage_reminders(*, today: date, now: datetime | None = None) -> list[int]:
    """Remind every open, unanswered request whose reminder is due today; the messages' ids.

    Each reminder carries a new link to the same request (the first message's link still
    works); it is staged once per request and number, so a re-run sends nothing twice.
    """
    now = now or utcnow()
    staged: list[int] = []
    with session_scope() as session:
        profile = active_profile(session)
        calendar = work_calendar(session)
        answered = select(ResponseAnswer.request_id).distinct()
        waiting = session.exec(
            select(ResponseRequest)
            .where(col(ResponseRequest.purpose).in_(sorted(REMINDED)))
            .where(col(ResponseRequest.closed_at).is_(None))
            .where(ResponseRequest.deadline >= now)
            .where(col(ResponseRequest.id).not_in(answered))
            .order_by(col(ResponseRequest.id))
        ).all()
        for request in waiting:
            deadline_day = clock.local_date(request.deadline, profile)
            number = reminder_due(
                asked_on=clock.local_date(request.asked_at, profile),
                deadline_day=deadline_day,
                today=today,
                sent=request.reminders_sent,
                offsets=profile.responses.reminder_offsets,
                calendar=calendar,
            )
            if number is None:
                continue
            url = links.ask(
                session,
                purpose=request.purpose,  # type: ignore[arg-type]  # stored from a Purpose
                year=request.year,
                recipient=request.recipient,
                subject=request.subject,
                audience=request.audience,
                deadline=request.deadline,
                details=dict(request.details),
                now=now,
            )
            title, body = render(
                "responses_reminder",
                notice=NOTICES[request.purpose],
                recipient_name=_addressed(request),
                title=request.details.get("title", ""),
                asked_on=clock.local_date(request.asked_at, profile),
                deadline=deadline_day,
                link=url,
                contact=profile.contacts.centre,
            )
            message = stage_message(
                session,
                flow=FLOW,
                year=request.year,
                kind=f"reminder-{request.purpose}-{request.subject}-{number}",
                recipient=request.recipient,
                audience=request.audience,
                title=title,
                body=body,
            )
            request.reminders_sent, request.last_reminded_on = number, today
            session.add(request)
            if message is not None and message.id is not None:
                staged.append(message.id)
    return staged


def _addressed(request: ResponseRequest) -> str:
    """How a message addresses the recipient: a teacher as 老师, an office or group by name."""
    name = str(request.details.get("recipient_name", request.recipient))
    return f"{name}老师" if request.purpose == "secondment" else name


def pending_message_ids(year: int) -> list[int]:
    """Reminders of this year not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
