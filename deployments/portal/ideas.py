"""The idea intake for WeChat / web forms (R7.3): `POST /ideas` persists, acknowledges, enqueues.

`POST /ideas` validates and stores the idea with status `received` and only then answers 201
with its reference (`id`, `ref`, `status`); a resubmission by the same person answers 200 with
the first one's. Requests do not write one by one: a single writer thread stores everything
waiting in one transaction (group commit, `batching.Batcher`), and each request is answered
after that commit. New ideas then go to a single announcer thread, which announces them in
batches of up to 200: one event `district.ideas.submitted` naming the batch's ideas and one
`.delay()` putting them on Prefect's task queue. (An event per idea made a burst of 10,000 flood
the Prefect server: its task-run creation slowed from 0.15 s to 2 s while it stored them.)
If the queue is unreachable the answer is still 201: the idea is safe, the portal announces what
it left at its next start, and the sweeper screens it.

Texts are cleaned on the way in (`tasks.common.text`, through `Submission`). Limits are the
portal's (`limits`): a per-client-IP rate (`LD_INTAKE_RATE_PER_MINUTE`, 429 with Retry-After),
a body cap (`LD_INTAKE_MAX_BODY_BYTES`, 413 before the body is read), JSON errors that name the
field and the rule but never echo what was submitted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from deployments.events import SUBMITTED_EVENT, ideas_event
from deployments.portal.batching import Batcher
from deployments.portal.limits import without_echo
from tasks.common.events import PrefectApi, api_settings, publish, stamped
from tasks.ideas import intake, records
from tasks.ideas.screening import Submission

logger = logging.getLogger(__name__)
SOURCE = "http"
WRITE_BATCH = 200  # submissions per transaction at most
ANNOUNCE_BATCH = 200  # ideas per `.delay()` at most
ANNOUNCE_DRAIN_SECONDS = 30.0  # how long a stopping intake waits for its announcer
# messages of `screening.validate_submission` that quote the input, as plain rules for HTTP
PLAIN_RULES = {
    "community": "社区须为本区社区名录中的名称",
    "ref": "编号已被其他建议使用",
    "category": "类别须为征集列出的类别之一，或留空由工作人员归类",
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
    category: str = Field(default="", max_length=50)  # chosen by the resident; empty = not sure
    year: int | None = Field(default=None, ge=2000, le=2100)


def queue_screening(ids: list[int], now: datetime) -> None:
    """Put a screening batch on Prefect's task queue (served by `ideas worker`)."""
    from tasks.ideas.tasks import screen_ideas

    screen_ideas.delay(ids)
    records.mark_enqueued(ids=ids, now=now)


def no_api(*_: object) -> None:
    """What announcing does when no Prefect API is configured: nothing (the sweeper screens
    what was never enqueued; nothing is marked enqueued)."""


def enqueue_on(api: PrefectApi | None) -> Enqueue:
    """`queue_screening` on API (never a temporary server)."""
    if api is None:
        return no_api

    def enqueue(ids: list[int], now: datetime) -> None:
        with api_settings(api):
            queue_screening(ids, now)

    return enqueue


def emit_on(api: PrefectApi | None) -> Emit:
    """Publish one event to API, acknowledged."""
    if api is None:
        return no_api
    return lambda event: publish([stamped(event)], api=api)


def announce(
    acks: list[records.Ack], *, source: str, enqueue: Enqueue, emit: Emit, now: datetime
) -> None:
    """After ideas are stored: one event and one screening task for the batch; never raises
    (the ideas are stored; the sweeper screens whatever is not enqueued)."""
    if not acks:
        return
    try:
        emit(ideas_event(acks, source=source))
    except Exception as exc:  # the sweeper does not need the event
        logger.warning(
            "could not emit %s for %d ideas (%s)", SUBMITTED_EVENT, len(acks), type(exc).__name__
        )
    try:
        enqueue([ack.id for ack in acks], now)
    except Exception as exc:
        logger.warning(
            "could not enqueue screening of %d ideas (%s); the sweeper will",
            len(acks),
            type(exc).__name__,
        )


class Intake:
    """The intake's routes, its writer (group commit) and its announcer."""

    def __init__(
        self,
        *,
        enqueue: Enqueue,
        emit: Emit,
        clock: Callable[[], datetime],
        on_stored: Callable[[IdeaForm, records.Ack], None] | None = None,
    ) -> None:
        self.clock = clock
        self.on_stored = on_stored  # each new idea, once committed (the similar-ideas index)

        def announce_batch(acks: list[records.Ack]) -> list[None]:
            announce(acks, source=SOURCE, enqueue=enqueue, emit=emit, now=clock())
            return [None] * len(acks)

        self.announcer: Batcher[records.Ack, None] = Batcher(
            announce_batch, name="intake-announcer", max_batch=ANNOUNCE_BATCH
        )
        self.writer: Batcher[IdeaForm, Outcome] = Batcher(
            self._store, name="intake-writer", max_batch=WRITE_BATCH
        )
        self.router = APIRouter()
        self.router.add_api_route(
            "/ideas", self.post_idea, methods=["POST"], status_code=201, response_model=None
        )

    def _store(self, forms: list[IdeaForm]) -> list[Outcome]:
        """One transaction for every form waiting; the new ideas go on to the announcer."""
        items = [(form.year, Submission(**form.model_dump(exclude={"year"}))) for form in forms]
        outcomes = intake.submit_many(items=items, source=SOURCE, now=self.clock())
        for form, outcome in zip(forms, outcomes, strict=True):
            if isinstance(outcome, records.Ack) and not outcome.duplicate:
                self.announcer.put(outcome)
                if self.on_stored is not None:
                    try:
                        self.on_stored(form, outcome)
                    except Exception as exc:  # the idea is stored; a lookup catches up later
                        logger.warning("on_stored failed (%s)", type(exc).__name__)
        return outcomes

    async def start(self) -> None:
        """Announce what a previous process stored but never announced (stopped in between)."""
        for ack in await asyncio.to_thread(records.unannounced, source=SOURCE):
            self.announcer.put(ack)

    async def stop(self) -> None:
        await asyncio.to_thread(self.writer.flush)
        # bounded: with Prefect down every batch fails slowly; what is left unannounced is
        # announced at the next start (the database says which) or screened by the sweeper
        await asyncio.to_thread(self.announcer.flush, ANNOUNCE_DRAIN_SECONDS)

    async def post_idea(self, form: IdeaForm) -> JSONResponse:
        try:
            outcome = await asyncio.wrap_future(self.writer.put(form))
        except Exception:  # not stored (the batch's transaction failed; the writer logged why)
            return JSONResponse(
                {"errors": {"server": "暂时无法保存，请稍后重试"}},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        if isinstance(outcome, records.SubmissionRejected):
            # the community's and category's messages always quote them (even one character):
            # use the rule
            problems = {
                field: PLAIN_RULES[field] if field in ("community", "category") else message
                for field, message in outcome.problems.items()
            }
            # the rules quote the cleaned text: look for that
            submitted = Submission(**form.model_dump(exclude={"year"})).model_dump()
            return JSONResponse(
                {"errors": without_echo(problems, submitted, plain=PLAIN_RULES)}, status_code=422
            )
        answer = {"id": outcome.id, "ref": outcome.ref, "status": outcome.status}
        return JSONResponse(answer, status_code=200 if outcome.duplicate else 201)
