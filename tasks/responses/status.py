"""The operator's view of a year's requests: who answered what, who has not (the table of
`learning-district responses` and of the responses artifact)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, func, select

from models.db import session_scope
from models.responses import ResponseAnswer, ResponseRequest
from models.timeutil import utcnow
from tasks.common import clock
from tasks.common.district import active_profile


class StatusRow(BaseModel):
    """One request as the operator's table shows it."""

    purpose: str
    year: int
    recipient: str
    recipient_name: str
    subject: str
    title: str
    asked_on: date
    deadline: date
    status: str  # answered | waiting | overdue | closed
    answer: str  # the last answer's choice, "" when none
    answer_fields: dict[str, Any]
    answered_at: datetime | None
    reminders_sent: int
    announced: bool


def status_rows(year: int, *, now: datetime | None = None) -> list[StatusRow]:
    """Every request of the year with its last answer: who answered and who has not."""
    now = now or utcnow()
    with session_scope() as session:
        profile = active_profile(session)
        requests = session.exec(
            select(ResponseRequest)
            .where(ResponseRequest.year == year)
            .where(ResponseRequest.purpose != "judging")  # scoring has its own table
            .order_by(
                col(ResponseRequest.purpose), col(ResponseRequest.subject), col(ResponseRequest.id)
            )
        ).all()
        ids = [r.id for r in requests]
        latest = (
            select(ResponseAnswer.request_id, func.max(ResponseAnswer.id).label("last"))
            .where(col(ResponseAnswer.request_id).in_(ids))
            .group_by(col(ResponseAnswer.request_id))
            .subquery()
        )
        answers = {
            a.request_id: a
            for a in session.exec(
                select(ResponseAnswer).join(latest, col(ResponseAnswer.id) == latest.c.last)
            ).all()
        }
    rows = []
    for r in requests:
        answer = answers.get(r.id or 0)
        deadline = r.deadline if r.deadline.tzinfo else r.deadline.replace(tzinfo=now.tzinfo)
        if r.closed_at is not None:
            status = "closed"
        elif answer is not None:
            status = "answered"
        else:
            status = "overdue" if now > deadline else "waiting"
        rows.append(
            StatusRow(
                purpose=r.purpose,
                year=r.year,
                recipient=r.recipient,
                recipient_name=str(r.details.get("recipient_name", r.recipient)),
                subject=r.subject,
                title=str(r.details.get("title", r.subject)),
                asked_on=clock.local_date(r.asked_at, profile),
                deadline=clock.local_date(deadline, profile),
                status=status,
                answer=answer.choice if answer else "",
                answer_fields=dict(answer.fields) if answer else {},
                answered_at=answer.answered_at if answer else None,
                reminders_sent=r.reminders_sent,
                announced=answer is None or answer.announced_at is not None,
            )
        )
    return rows
