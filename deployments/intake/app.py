"""The HTTP intake endpoint for WeChat / web forms (R7.3): persist, acknowledge, enqueue.

`POST /ideas` validates and stores the idea with status `received` and only then answers 201
with its reference (`id`, `ref`, `status`); a resubmission by the same person answers 200 with
the first one's. Requests do not write one by one: a single writer thread stores everything
waiting in one transaction (group commit, `intake_batching.Batcher`), and each request is
answered after that commit. New ideas then go to a single announcer thread, which announces them
in batches of up to 200: one event `district.ideas.submitted` naming the batch's ideas and one
`.delay()` putting them on Prefect's task queue. (An event per idea made a burst of 10,000 flood
the Prefect server: its task-run creation slowed from 0.15 s to 2 s while it stored them.)
If the queue is unreachable the answer is still 201: the idea is safe, the app announces what
it left at its next start, and the sweeper screens it.

Limits (`limits`): a per-client-IP rate (`LD_INTAKE_RATE_PER_MINUTE`, 429 with
Retry-After), a body cap (`LD_INTAKE_MAX_BODY_BYTES`, 413 before the body is read), JSON errors
that name the field and the rule but never echo what was submitted, `nosniff` on every answer.
Serve it with ONE process (`learning-district ideas intake`): the writer thread is what makes
SQLite fast, and several processes would only contend for its write lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from deployments.events import SUBMITTED_EVENT, ideas_event
from deployments.intake.batching import Batcher
from deployments.intake.limits import (
    IntakeGuard,
    TokenBuckets,
    validation_problems,
    without_echo,
)
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.ideas import records
from tasks.ideas.screening import Submission

logger = logging.getLogger(__name__)
SOURCE = "http"
WRITE_BATCH = 200  # submissions per transaction at most
ANNOUNCE_BATCH = 200  # ideas per `.delay()` at most
ANNOUNCE_DRAIN_SECONDS = 30.0  # how long a stopping intake waits for its announcer
# messages of `records.validate_submission` that quote the input, as plain rules for HTTP
PLAIN_RULES = {
    "community": "社区须为本区社区名录中的名称",
    "ref": "编号已被其他建议使用",
}

Enqueue = Callable[[list[int], datetime], None]
Emit = Callable[[dict[str, object]], None]
Outcome = records.Ack | records.SubmissionRejected


class IdeaForm(BaseModel):
    """What a form posts."""

    submitter: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    community: str = Field(max_length=50)
    title: str = Field(max_length=1000)
    content: str = Field(max_length=20000)
    ref: str = Field(default="", max_length=50)
    year: int | None = Field(default=None, ge=2000, le=2100)


def queue_screening(ids: list[int], now: datetime) -> None:
    """Put a screening batch on Prefect's task queue (served by `ideas worker`)."""
    from tasks.ideas.tasks import screen_ideas

    screen_ideas.delay(ids)
    records.mark_enqueued(ids=ids, now=now)


def emit_to_prefect(event: dict[str, object]) -> None:
    """Emit an event (the arguments of `emit_event`) to the Prefect API."""
    from prefect.events import emit_event

    emit_event(**event)  # type: ignore[arg-type]


def announce(
    acks: list[records.Ack], *, source: str, enqueue: Enqueue, emit: Emit, now: datetime
) -> None:
    """After ideas are stored: one event and one screening task for the batch; never raises
    (the ideas are stored; the sweeper screens whatever is not enqueued)."""
    if not acks:
        return
    try:
        emit(ideas_event(acks, source=source))
    except Exception:  # the sweeper does not need the event
        logger.warning("could not emit %s for %d ideas", SUBMITTED_EVENT, len(acks), exc_info=True)
    try:
        enqueue([ack.id for ack in acks], now)
    except Exception as exc:
        logger.warning(
            "could not enqueue screening of %d ideas (%s); the sweeper will",
            len(acks),
            type(exc).__name__,
        )


def create_app(
    *,
    enqueue: Enqueue = queue_screening,
    emit: Emit = emit_to_prefect,
    clock: Callable[[], datetime] = utcnow,
    rate_per_minute: int | None = None,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """The intake app; limits default to the settings (`LD_INTAKE_*`)."""
    settings = get_settings()

    def announce_batch(acks: list[records.Ack]) -> list[None]:
        announce(acks, source=SOURCE, enqueue=enqueue, emit=emit, now=clock())
        return [None] * len(acks)

    announcer: Batcher[records.Ack, None] = Batcher(
        announce_batch, name="intake-announcer", max_batch=ANNOUNCE_BATCH
    )

    def store(forms: list[IdeaForm]) -> list[Outcome]:
        """One transaction for every form waiting; the new ideas go on to the announcer."""
        items = [(form.year, Submission(**form.model_dump(exclude={"year"}))) for form in forms]
        outcomes = records.submit_many(items=items, source=SOURCE, now=clock())
        for outcome in outcomes:
            if isinstance(outcome, records.Ack) and not outcome.duplicate:
                announcer.put(outcome)
        return outcomes

    writer: Batcher[IdeaForm, Outcome] = Batcher(store, name="intake-writer", max_batch=WRITE_BATCH)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # what a previous process stored but never announced (stopped in between)
        for ack in await asyncio.to_thread(records.unannounced, source=SOURCE):
            announcer.put(ack)
        yield
        await asyncio.to_thread(writer.flush)
        # bounded: with Prefect down every batch fails slowly; what is left unannounced is
        # announced at the next start (the database says which) or screened by the sweeper
        await asyncio.to_thread(announcer.flush, ANNOUNCE_DRAIN_SECONDS)

    app = FastAPI(
        title="learning-district idea intake",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        IntakeGuard,
        paths={"/ideas"},
        buckets=TokenBuckets(per_minute=rate_per_minute or settings.intake_rate_per_minute),
        max_body_bytes=max_body_bytes or settings.intake_max_body_bytes,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc.errors(), fields=IdeaForm.model_fields)
        return JSONResponse({"errors": problems}, status_code=422)

    @app.exception_handler(Exception)
    async def failed(_: Request, exc: Exception) -> JSONResponse:
        logger.error("intake failed: %s", type(exc).__name__)
        return JSONResponse({"errors": {"server": "服务器内部错误，请稍后重试"}}, status_code=500)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/ideas", status_code=201, response_model=None)
    async def post_idea(form: IdeaForm) -> JSONResponse:
        try:
            outcome = await asyncio.wrap_future(writer.put(form))
        except Exception:  # not stored (the batch's transaction failed; the writer logged why)
            return JSONResponse(
                {"errors": {"server": "暂时无法保存，请稍后重试"}},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        if isinstance(outcome, records.SubmissionRejected):
            # the community's message always quotes it (even one character): use the rule
            problems = {
                field: PLAIN_RULES[field] if field == "community" else message
                for field, message in outcome.problems.items()
            }
            submitted = form.model_dump(exclude={"year"})
            return JSONResponse(
                {"errors": without_echo(problems, submitted, plain=PLAIN_RULES)}, status_code=422
            )
        answer = {"id": outcome.id, "ref": outcome.ref, "status": outcome.status}
        return JSONResponse(answer, status_code=200 if outcome.duplicate else 201)

    return app
