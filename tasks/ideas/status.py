"""The status link of a golden idea: what its submitter can follow without asking (R7.3).

A resident who submits through the portal gets a link `LD_PUBLIC_URL/s/<token>` on the
acknowledgement page and in a message (`ideas_received`), issued together in one transaction.
The page shows where the idea stands: received → screened (or not accepted, with the reason)
→ in review → adopted / not adopted → follow-through progress → done. The token is random and
names nobody; the database keeps its SHA-256 only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert
from sqlmodel import col, select

from models.db import session_scope
from models.ideas import Idea, IdeaAction, IdeaCampaign, IdeaResult
from models.residents import StatusLink
from models.settings import get_settings
from tasks.common.district import active_profile
from tasks.common.links import new_token, token_hash
from tasks.ideas.records import FLOW
from tasks.ideas.screening import Screening, shown
from tasks.notify.render import render
from tasks.notify.staging import Staged, stage_many

REVIEWING = ("reviewing", "published", "follow_up", "closed")


def status_url(token: str) -> str:
    return f"{get_settings().public_url}/s/{token}"


def issue_receipt(*, year: int, ref: str, now: datetime) -> str:
    """A new status link for idea REF, and the message that carries it."""
    return issue_receipts([(year, ref)], now=now)[0]


def issue_receipts(ideas: Sequence[tuple[int, str]], *, now: datetime) -> list[str]:
    """A new status link for each (year, ref) and, once per idea, the message that carries
    it, in one transaction (the portal's form issues the receipts of many submissions at
    once). The same idea twice in IDEAS gets two links and one message."""
    tokens = [new_token() for _ in ideas]
    with session_scope() as session:
        contact = active_profile(session).contacts.centre
        found = {
            (idea.year, idea.ref): idea
            for idea in session.exec(
                select(Idea).where(
                    col(Idea.year).in_({year for year, _ in ideas}),
                    col(Idea.ref).in_({ref for _, ref in ideas}),
                )
            ).all()
        }
        links = StatusLink.__table__  # type: ignore[attr-defined]
        session.execute(
            insert(links),
            [
                {
                    "token_hash": token_hash(token),
                    "kind": "idea",
                    "year": year,
                    "subject": ref,
                    "issued_at": now,
                }
                for token, (year, ref) in zip(tokens, ideas, strict=True)
            ],
        )
        messages = []
        for token, (year, ref) in zip(tokens, ideas, strict=True):
            idea = found[(year, ref)]
            title, body = render(
                "ideas_received",
                submitter=idea.submitter,
                title=shown(idea.title),
                ref=ref,
                status_url=status_url(token),
                contact=contact,
            )
            audience = f"idea-submitter-{ref}"
            messages.append(Staged(FLOW, year, "received", ref, audience, title, body))
        stage_many(session, messages)  # the first link of an idea is the one its message carries
    return tokens


class Step(BaseModel):
    """One step of the way, as the status page lists it."""

    model_config = ConfigDict(frozen=True)

    label: str
    state: str  # done | current | stopped | todo
    detail: str = ""


class IdeaStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    ref: str
    title: str
    submitted_on: date
    steps: list[Step]


def _steps(
    idea: Idea, campaign: IdeaCampaign | None, result: IdeaResult | None, action: IdeaAction | None
) -> list[Step]:
    steps = [Step(label="已收到", state="done")]
    if idea.status == "received":
        return [*steps, Step(label="初审", state="current", detail="正在初审")]
    if idea.status == "rejected":
        why = Screening(status="rejected", key="", category="", reason=idea.reason).notice
        return [*steps, Step(label="未通过初审", state="stopped", detail=why)]
    steps.append(Step(label="已通过初审", state="done"))
    if result is None:
        reviewing = campaign is not None and campaign.phase in REVIEWING
        state = "current" if reviewing else "todo"
        return [*steps, Step(label="评审", state=state, detail="评审中" if reviewing else "")]
    steps.append(Step(label="评审", state="done"))
    if not result.tier:
        return [*steps, Step(label="未采纳", state="stopped", detail="感谢您的参与")]
    merged = "（与相似建议合并评审）" if len(result.members) > 1 else ""
    steps.append(Step(label="已采纳", state="done", detail=f"评为{result.tier}{merged}"))
    if action is None:
        return [*steps, Step(label="落实", state="todo")]
    if action.status == "done":
        steps.append(Step(label="落实", state="done", detail=f"{action.department}负责"))
        return [*steps, Step(label="已办结", state="done", detail=action.note)]
    detail = f"{action.department}负责，已完成{action.progress}%"
    return [
        *steps,
        Step(label="落实", state="current", detail=detail),
        Step(label="办结", state="todo"),
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def idea_status(token: str, *, zone: tzinfo) -> IdeaStatus | None:
    """Where the idea of a status link stands (dated in ZONE, the district's); None for an
    unknown link."""
    with session_scope() as session:
        link = session.exec(
            select(StatusLink).where(
                StatusLink.token_hash == token_hash(token), StatusLink.kind == "idea"
            )
        ).first()
        if link is None:
            return None
        idea = session.exec(
            select(Idea).where(Idea.year == link.year, Idea.ref == link.subject)
        ).first()
        if idea is None:
            return None
        campaign = session.get(IdeaCampaign, idea.year)
        results = session.exec(select(IdeaResult).where(IdeaResult.year == idea.year)).all()
        result = next((r for r in results if idea.ref in r.members or r.ref == idea.ref), None)
        action = None
        if result is not None:
            action = session.exec(
                select(IdeaAction).where(IdeaAction.year == idea.year, IdeaAction.ref == result.ref)
            ).first()
        steps = _steps(idea, campaign, result, action)
        return IdeaStatus(
            year=idea.year,
            ref=idea.ref,
            title=shown(idea.title),
            submitted_on=_aware(idea.submitted_at).astimezone(zone).date(),
            steps=steps,
        )
