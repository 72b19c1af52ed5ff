"""Database side of the golden-idea campaign (R7.3, R7.4): screening and reading back.

Each public function of the campaign's database side (this module, `campaign`, `intake`,
`clusters`) is one transaction (`session_scope`), so a retry or a duplicated event never
half-writes anything: intake persists before it acknowledges, screening only touches ideas still
`received` (idempotent), and every decision is written with its outbox messages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from models.db import session_scope
from models.ideas import Idea
from models.profile.ideas import IdeasPolicy
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.registry import Community
from tasks.common.decisions import decision, keep_inputs, payload_digest
from tasks.common.district import active_profile
from tasks.ideas.audit import RULE_VERSION, screening_outcome, screening_payload
from tasks.ideas.screening import (
    RULE,
    screen_idea,
    shown,
)
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import stage_message

FLOW = "ideas"
SCREEN_BATCH = 500


class SubmissionRejected(Refusal):
    """A submission that fails validation; `problems` maps field name to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


class Ack(BaseModel):
    """What a resident is told once the submission is safely stored."""

    id: int
    ref: str
    year: int
    status: str
    duplicate: bool = False


def profile_and_policy() -> tuple[DistrictProfile, IdeasPolicy]:
    with session_scope() as session:
        profile = active_profile(session)
    return profile, profile.ideas


def known_communities(session: Session) -> dict[str, str]:
    """Community -> street, from the registry loaded by `init`."""
    return {c.name: c.street for c in session.exec(select(Community)).all()}


def screen_ids(*, ids: Sequence[int], now: datetime) -> int:
    """Screen the given ideas that are still `received`; return how many were screened now.

    Idempotent: an idea already screened or rejected is left alone, so a duplicated event, a
    re-enqueued batch or the sweeper racing a slow worker screens each idea once.
    """
    if not ids:
        return 0
    done = 0
    with session_scope() as session:
        profile = active_profile(session)
        policy = profile.ideas
        for start in range(0, len(ids), SCREEN_BATCH):
            chunk = list(ids[start : start + SCREEN_BATCH])
            rows = session.exec(
                select(Idea).where(col(Idea.id).in_(chunk), Idea.status == "received")
            ).all()
            for idea in rows:
                outcome = screen_idea(
                    title=idea.title,
                    content=idea.content,
                    policy=policy,
                    chosen=idea.chosen_category,
                )
                idea.status = outcome.status
                idea.norm_key = outcome.key
                idea.category = outcome.category
                idea.reason = outcome.reason
                idea.screened_at = now
                done += 1
                if outcome.status == "rejected":
                    _record_rejection(session, idea=idea, policy=policy, reason=outcome.reason)
                    title, body = render(
                        "ideas_rejected",
                        submitter=idea.submitter,
                        title=shown(idea.title),
                        ref=idea.ref,
                        reason=outcome.notice,
                        contact=profile.contacts.centre,
                    )
                    stage_message(
                        session,
                        flow=FLOW,
                        year=idea.year,
                        kind="rejected",
                        recipient=idea.ref,
                        audience=f"idea-submitter-{idea.ref}",
                        title=title,
                        body=body,
                    )
    return done


def _record_rejection(session: Session, *, idea: Idea, policy: IdeasPolicy, reason: str) -> None:
    """The rejection with the text and screening rules it was decided on (see `tasks/audit`)."""
    payload = screening_payload(
        ref=idea.ref,
        title=idea.title,
        content=idea.content,
        policy=policy,
        chosen=idea.chosen_category,
    )
    digest_ = payload_digest(payload)
    keep_inputs(
        session,
        process=FLOW,
        year=idea.year,
        kind="screening",
        digest=digest_,
        payload=payload,
        rule_version=RULE_VERSION,
    )
    session.add(
        decision(
            process=FLOW,
            year=idea.year,
            subject=idea.ref,
            kind="rejected",
            rule=RULE,
            reason=reason,
            inputs_digest=digest_,
            rule_version=RULE_VERSION,
            outcome=screening_outcome(status="rejected", reason=reason),
        )
    )


def mark_enqueued(*, ids: Sequence[int], now: datetime) -> None:
    """Stamp when a batch went on the task queue (one statement, however large the batch)."""
    if not ids:
        return
    with session_scope() as session:
        session.execute(update(Idea).where(col(Idea.id).in_(list(ids))).values(enqueued_at=now))


def unannounced(*, source: str) -> list[Ack]:
    """Ideas from SOURCE still `received` and never put on the task queue, oldest first.

    What an intake process that stopped between storing and enqueueing left behind.
    """
    with session_scope() as session:
        rows = session.exec(
            select(Idea.id, Idea.ref, Idea.year, Idea.status)
            .where(
                Idea.status == "received",
                col(Idea.enqueued_at).is_(None),
                Idea.source == source,
            )
            .order_by(col(Idea.id))
        ).all()
    return [
        Ack(id=idea_id, ref=ref, year=year, status=status)
        for idea_id, ref, year, status in rows
        if idea_id is not None
    ]


def overdue_ids(
    *, now: datetime, after: timedelta | None = None, year: int | None = None
) -> list[int]:
    """Ideas still `received` that arrived (or were last enqueued) longer than AFTER ago (by
    default the profile's `ideas.sweep_after_minutes`)."""
    with session_scope() as session:
        if after is None:
            after = timedelta(minutes=active_profile(session).ideas.sweep_after_minutes)
        cutoff = now - after
        query = select(Idea).where(Idea.status == "received")
        if year is not None:
            query = query.where(Idea.year == year)
        rows = session.exec(query.order_by(col(Idea.id))).all()
        return [
            i.id
            for i in rows
            if i.id is not None and _aware(i.enqueued_at or i.received_at) <= cutoff
        ]


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def received_ids(*, year: int) -> list[int]:
    with session_scope() as session:
        return [
            i
            for i in session.exec(
                select(Idea.id).where(Idea.year == year, Idea.status == "received")
            ).all()
            if i is not None
        ]


def ideas_by_ref(year: int, refs: Iterable[str]) -> dict[str, Idea]:
    wanted = list(refs)
    with session_scope() as session:
        rows = session.exec(select(Idea).where(Idea.year == year, col(Idea.ref).in_(wanted))).all()
        return {i.ref: i for i in rows}


def year_ideas(year: int) -> list[Idea]:
    with session_scope() as session:
        return list(
            session.exec(select(Idea).where(Idea.year == year).order_by(col(Idea.ref))).all()
        )


def screening_table(year: int, *, limit: int = 200) -> list[dict[str, object]]:
    """The office's view of screened/rejected ideas; phones and text masked (PII)."""
    from tasks.common.privacy import mask_phone

    rows = year_ideas(year)[:limit]
    return [
        {
            "编号": i.ref,
            "提交人": i.submitter,
            "手机": mask_phone(i.phone),
            "社区": i.community,
            "标题": shown(i.title),
            "状态": i.status,
            "分类": i.category,
            "说明": i.reason,
        }
        for i in rows
    ]


def digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's ideas not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
