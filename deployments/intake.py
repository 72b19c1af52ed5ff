"""The HTTP intake endpoint for WeChat / web forms (R7.3): persist, acknowledge, enqueue.

`POST /ideas` validates, stores the idea with status `received` and only then answers 201 with
its reference; the event `district.idea.submitted` is emitted and a screening task is put on
Prefect's task queue. If the queue is unreachable the answer is still 201: the idea is safe
and the sweeper screens it. A resubmission by the same person answers 200 with the first ref.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from models.timeutil import utcnow
from tasks import ideas_records as records
from tasks.screening import Submission

logger = logging.getLogger(__name__)
SUBMITTED_EVENT = "district.idea.submitted"

Enqueue = Callable[[list[int], datetime], None]


class IdeaForm(BaseModel):
    """What a form posts."""

    submitter: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    community: str = Field(max_length=50)
    title: str = Field(max_length=1000)
    content: str = Field(max_length=20000)
    ref: str = Field(default="", max_length=50)
    year: int | None = Field(default=None, ge=2000, le=2100)


def idea_event(ack: records.Ack, *, source: str) -> dict[str, object]:
    """The arguments of `emit_event` for a stored submission (no PII in the event)."""
    return {
        "event": SUBMITTED_EVENT,
        "resource": {"prefect.resource.id": f"district.idea.{ack.id}"},
        "payload": {"id": ack.id, "ref": ack.ref, "year": ack.year, "source": source},
    }


def queue_screening(ids: list[int], now: datetime) -> None:
    """Put a screening batch on Prefect's task queue (served by `ideas worker`)."""
    from tasks.ideas_tasks import screen_ideas

    screen_ideas.delay(ids)
    records.mark_enqueued(ids=ids, now=now)


def announce(ack: records.Ack, *, source: str, enqueue: Enqueue, now: datetime) -> None:
    """After the idea is stored: emit the event and enqueue screening; never raises."""
    try:
        from prefect.events import emit_event

        emit_event(**idea_event(ack, source=source))  # type: ignore[arg-type]
    except Exception:  # the idea is stored; the sweeper does not need the event
        logger.warning("could not emit %s for idea %d", SUBMITTED_EVENT, ack.id, exc_info=True)
    try:
        enqueue([ack.id], now)
    except Exception:
        logger.warning("could not enqueue screening of idea %d; the sweeper will", ack.id)


def create_app(
    *, enqueue: Enqueue = queue_screening, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    app = FastAPI(title="learning-district idea intake", version="1")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/ideas", status_code=201)
    def post_idea(form: IdeaForm) -> JSONResponse:
        profile, _ = records.profile_and_policy()
        now = clock()
        year = form.year or now.astimezone(ZoneInfo(profile.timezone)).year
        submission = Submission(**form.model_dump(exclude={"year"}))
        try:
            ack = records.submit(year=year, submission=submission, source="http", now=now)
        except records.SubmissionRejected as exc:
            return JSONResponse({"errors": exc.problems}, status_code=422)
        if ack.duplicate:
            return JSONResponse(ack.model_dump(), status_code=200)
        # stored: acknowledge now; the event and the queue follow the answer (the sweeper
        # screens whatever they miss)
        after = BackgroundTask(announce, ack, source="http", enqueue=enqueue, now=now)
        return JSONResponse(ack.model_dump(), status_code=201, background=after)

    return app
