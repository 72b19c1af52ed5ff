"""Database side of the answers people give through personal links.

Each public function is one transaction. `record_answers` stores a batch of answers, each with
the event that announces it (built by the caller from the link's request), before anything is
acknowledged; `unannounced` / `mark_announced` are the event outbox a sweeper drains;
reminders are in `reminders`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, bindparam, func
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from models.db import get_engine, session_scope
from models.responses import ResponseAnswer, ResponseLink, ResponseRequest
from models.timeutil import utcnow
from tasks.common import links
from tasks.common.events import stamped
from tasks.responses.rules import (
    Answer,
    LinkState,
    link_state,
)


class AnswerView(BaseModel):
    model_config = ConfigDict(frozen=True)

    choice: str
    fields: dict[str, Any]
    answered_at: datetime


class LinkView(BaseModel):
    """A link as its page needs it: the request it belongs to, its state, the last answer."""

    model_config = ConfigDict(frozen=True)

    link_id: int
    request_id: int
    purpose: links.Purpose
    year: int
    recipient: str
    subject: str
    details: dict[str, Any]
    deadline: datetime
    state: LinkState
    closed_reason: str
    last: AnswerView | None


class Submitted(BaseModel):
    """An answer as a form sent it: through which link, from which form page."""

    model_config = ConfigDict(frozen=True)

    token: str
    form_id: str
    answer: Answer


class Recorded(BaseModel):
    """What became of a submitted answer: stored (or already stored: `duplicate`) or refused."""

    model_config = ConfigDict(frozen=True)

    state: LinkState | None  # None: known link; see `stored`
    stored: bool = False
    duplicate: bool = False
    answer_id: int | None = None
    event: dict[str, Any] | None = None  # what announces a stored answer
    view: LinkView | None = None


EventFor = Callable[[LinkView, Answer, datetime], dict[str, Any]]


@lru_cache(maxsize=1)
def _view_select() -> Select[Any]:
    """The link, its request and the request's last answer (built once; pages are the portal's
    hottest path)."""
    link, request, answer = (
        ResponseLink.__table__,  # type: ignore[attr-defined]
        ResponseRequest.__table__,  # type: ignore[attr-defined]
        ResponseAnswer.__table__,  # type: ignore[attr-defined]
    )
    every = answer.alias("every_answer")
    last = (
        sa_select(func.max(every.c.id))
        .where(every.c.request_id == request.c.id)
        .correlate(request)
        .scalar_subquery()
    )
    return sa_select(
        link.c.id,
        link.c.revoked_at,
        request.c.id,
        request.c.purpose,
        request.c.year,
        request.c.recipient,
        request.c.subject,
        request.c.details,
        request.c.deadline,
        request.c.closed_at,
        request.c.closed_reason,
        answer.c.choice,
        answer.c.fields,
        answer.c.answered_at,
    ).select_from(
        link.join(request, request.c.id == link.c.request_id).outerjoin(answer, answer.c.id == last)
    )


@lru_cache(maxsize=1)
def _view_statement() -> Select[Any]:
    """One query for a page: the link with this token hash."""
    link = ResponseLink.__table__  # type: ignore[attr-defined]
    return _view_select().where(link.c.token_hash == bindparam("token_hash"))


@lru_cache(maxsize=1)
def _views_statement() -> Select[Any]:
    """One query for a batch of answers: every link with one of these hashes, and its hash."""
    link = ResponseLink.__table__  # type: ignore[attr-defined]
    return (
        _view_select()
        .add_columns(link.c.token_hash)
        .where(link.c.token_hash.in_(bindparam("hashes", expanding=True)))
    )


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)  # SQLite: naive UTC


class _DriverQuery:
    """`_view_statement` as ENGINE's driver runs it: its SQL text, and per column the
    conversion SQLAlchemy would apply (text to datetime or JSON on SQLite, none on PostgreSQL).

    A page's lookup through the pool's driver connection costs a fifth of a Core execution;
    the statement and the conversions are SQLAlchemy's own, compiled once per engine.
    """

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        statement = _view_statement()
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = dialect.positional
        self.convert = [
            (index, processor)
            for index, column in enumerate(statement.selected_columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]

    def first(self, engine: Engine, token_hash: str) -> list[Any] | None:
        params: Any = (token_hash,) if self.positional else {"token_hash": token_hash}
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, params)
                found = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool, rolled back
        if found is None:
            return None
        row = list(found)
        for index, processor in self.convert:
            row[index] = processor(row[index])
        return row


@lru_cache(maxsize=8)
def _driver_query(engine: Engine) -> _DriverQuery:
    return _DriverQuery(engine)


def _view(token: str, now: datetime) -> LinkView | None:
    engine = get_engine()
    row = _driver_query(engine).first(engine, links.token_hash(token))
    return None if row is None else _row_view(row, now)


def _row_view(row: Sequence[Any], now: datetime) -> LinkView:
    (link_id, revoked_at, request_id, purpose, year, recipient, subject, details) = row[:8]
    deadline, closed_at, closed_reason, choice, fields, answered_at = row[8:14]
    deadline = _aware(deadline, now)
    # built without validation: every value is a typed column of this row (a page's hot path)
    return LinkView.model_construct(
        link_id=link_id,
        request_id=request_id,
        purpose=purpose,
        year=year,
        recipient=recipient,
        subject=subject,
        details=dict(details or {}),
        deadline=deadline,
        state=link_state(
            revoked=revoked_at is not None,
            closed=closed_at is not None,
            deadline=deadline,
            now=now,
            purpose=purpose,
            last_choice=choice,
        ),
        closed_reason=closed_reason,
        last=(
            AnswerView.model_construct(
                choice=choice, fields=dict(fields or {}), answered_at=_aware(answered_at, now)
            )
            if choice is not None
            else None
        ),
    )


def open_link(token: str, *, now: datetime | None = None) -> LinkView | None:
    """The link behind TOKEN with its request and last answer; None when no link has it."""
    return _view(token, now or utcnow())


def record_answers(
    items: Sequence[Submitted], *, event_for: EventFor, now: datetime | None = None
) -> list[Recorded]:
    """Store every answer whose link is open, each with its event, in one transaction.

    A form sent again (same `form_id`) is answered with the answer it already stored, even if
    that answer has since used the link up; an answer stored earlier in the same batch counts
    (a link a decline used up refuses the next one). A refused answer stores nothing. Three
    statements a batch: the links, the forms already answered, the new answers.
    """
    now = now or utcnow()
    if not items:
        return []
    answers = ResponseAnswer.__table__  # type: ignore[attr-defined]
    hashes = {item.token: links.token_hash(item.token) for item in items}
    with session_scope() as session:
        connection = session.connection()
        found = connection.execute(_views_statement(), {"hashes": sorted(set(hashes.values()))})
        views = {row[-1]: _row_view(row, now) for row in found}
        form_ids = sorted({item.form_id for item in items})
        stored: dict[tuple[int, str], int] = {
            (request_id, form_id): answer_id
            for answer_id, request_id, form_id in connection.execute(
                sa_select(answers.c.id, answers.c.request_id, answers.c.form_id).where(
                    answers.c.form_id.in_(form_ids)
                )
            )
        }
        batch: dict[tuple[int, str], int] = {}  # (request, form) -> index in `rows`
        latest: dict[int, AnswerView] = {}  # request -> its last answer in this batch
        rows: list[dict[str, Any]] = []
        # each result, or (index in `rows`, view, event) until the rows have their ids
        planned: list[Recorded | tuple[int, LinkView, dict[str, Any] | None]] = []
        for item in items:
            view = views.get(hashes[item.token])
            if view is None:
                planned.append(Recorded(state="unknown"))
                continue
            view = _answered(view, latest.get(view.request_id), now)
            key = (view.request_id, item.form_id)
            if key in stored:
                planned.append(
                    Recorded(state=None, duplicate=True, answer_id=stored[key], view=view)
                )
                continue
            if key in batch:
                planned.append((batch[key], view, None))
                continue
            if view.state != "open":
                planned.append(Recorded(state=view.state, view=view))
                continue
            event = stamped(event_for(view, item.answer, now), event_id=uuid4())
            fields = item.answer.fields()
            batch[key] = len(rows)
            rows.append(
                {
                    "request_id": view.request_id,
                    "link_id": view.link_id,
                    "form_id": item.form_id,
                    "choice": item.answer.choice,
                    "fields": fields,
                    "answered_at": now,
                    "event": event,
                }
            )
            latest[view.request_id] = AnswerView.model_construct(
                choice=item.answer.choice, fields=fields, answered_at=now
            )
            planned.append((batch[key], _answered(view, latest[view.request_id], now), event))
        ids: list[int] = []
        if rows:
            inserted = connection.execute(
                sa_insert(answers).returning(answers.c.id, sort_by_parameter_order=True), rows
            )
            ids = [answer_id for (answer_id,) in inserted]
    results = []
    for plan in planned:
        if isinstance(plan, Recorded):
            results.append(plan)
            continue
        index, after, announcing = plan
        results.append(
            Recorded(
                state=None,
                stored=announcing is not None,
                duplicate=announcing is None,
                answer_id=ids[index],
                event=announcing,
                view=after,
            )
        )
    return results


def _answered(view: LinkView, last: AnswerView | None, now: datetime) -> LinkView:
    """VIEW as it stands once LAST (an answer of this batch) is stored."""
    if last is None:
        return view
    state = view.state
    if state not in ("revoked", "closed"):
        state = link_state(
            revoked=False,
            closed=False,
            deadline=view.deadline,
            now=now,
            purpose=view.purpose,
            last_choice=last.choice,
        )
    return view.model_copy(update={"last": last, "state": state})


def unannounced(
    *, limit: int = 500, older_than: timedelta = timedelta(0)
) -> list[tuple[int, dict[str, Any]]]:
    """(answer id, event) of answers stored at least OLDER_THAN ago and never announced."""
    cutoff = utcnow() - older_than
    with session_scope() as session:
        rows = session.exec(
            select(ResponseAnswer.id, ResponseAnswer.event)
            .where(col(ResponseAnswer.announced_at).is_(None))
            .where(ResponseAnswer.answered_at <= cutoff)
            .order_by(col(ResponseAnswer.id))
            .limit(limit)
        ).all()
    return [(answer_id, dict(event)) for answer_id, event in rows if answer_id is not None]


def mark_announced(ids: Sequence[int], *, now: datetime | None = None) -> None:
    if not ids:
        return
    with session_scope() as session:
        session.execute(
            sa_update(ResponseAnswer)
            .where(col(ResponseAnswer.id).in_(ids), col(ResponseAnswer.announced_at).is_(None))
            .values(announced_at=now or utcnow())
        )


def revoke_links(*, purpose: links.Purpose, year: int, recipient: str) -> int:
    """Revoke RECIPIENT's links of this purpose and year (a lost phone, a wrong recipient)."""
    with session_scope() as session:
        return links.revoke(session, purpose=purpose, year=year, recipient=recipient)
