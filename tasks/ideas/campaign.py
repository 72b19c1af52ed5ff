"""Opening a year's campaign and moving it through its phases (R7.4)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from models.db import session_scope
from models.ideas import IdeaCampaign
from models.profile.ideas import IdeasPolicy
from models.refusal import Refusal
from models.results.ideas import CampaignResult
from models.settings import get_settings
from tasks.common.district import active_profile
from tasks.ideas.records import FLOW, SubmissionRejected, known_communities
from tasks.notify.render import render
from tasks.notify.staging import stage_message


def phase_dates(*, start: date, policy: IdeasPolicy) -> dict[str, str]:
    """Start date of every phase, from the campaign's first day and the profile's durations."""
    screening = start + timedelta(days=policy.collecting_days)
    reviewing = screening + timedelta(days=policy.screening_days)
    published = reviewing + timedelta(days=policy.reviewing_days)
    closed = published + timedelta(days=policy.follow_up_days)
    return {
        "announce": start.isoformat(),
        "collecting": start.isoformat(),
        "screening": screening.isoformat(),
        "reviewing": reviewing.isoformat(),
        "published": published.isoformat(),
        "follow_up": published.isoformat(),
        "closed": closed.isoformat(),
    }


def open_campaign(*, year: int, start: date, seed: int | None = None) -> CampaignResult:
    """Create the year's campaign (phase `collecting`) and stage its announcement; idempotent.

    The announcement goes to residents (audience `residents`) and to every community office.
    """
    with session_scope() as session:
        profile = active_profile(session)
        policy = profile.ideas
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            campaign = IdeaCampaign(
                year=year,
                phase="collecting",
                phases=phase_dates(start=start, policy=policy),
                seed=policy.seed if seed is None else seed,
            )
            session.add(campaign)
            session.flush()
        if not campaign.announced:
            phases = campaign.phases
            settings = get_settings()
            # the portal's idea form when the district gave it a public address (LD_PUBLIC_URL);
            # the default local address means nothing to a resident: then on paper or by post
            public = "public_url" in settings.model_fields_set
            common: dict[str, Any] = {
                "year": year,
                "collecting_from": date.fromisoformat(phases["collecting"]),
                "collecting_to": date.fromisoformat(phases["screening"]) - timedelta(days=1),
                "publish_on": date.fromisoformat(phases["published"]),
                "title_max": policy.title_max,
                "content_min": policy.content_min,
                "content_max": policy.content_max,
                "submit_url": f"{settings.public_url}/ideas" if public else None,
                "contact": profile.contacts.centre,
            }
            recipients = [("residents", "residents", "全区居民朋友们")]
            recipients += [
                (f"community-{name}", name, f"{name}")
                for name in sorted(known_communities(session))
            ]
            for audience, recipient, audience_name in recipients:
                title, body = render("ideas_announce", audience_name=audience_name, **common)
                stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind="announce",
                    recipient=recipient,
                    audience=audience,
                    title=title,
                    body=body,
                )
            campaign.announced = True
        return CampaignResult.model_validate(campaign.model_dump())


def start_review(*, year: int) -> int | None:
    """Move the year's campaign to review and return its seed; None once it is published.

    Refused when the year has no campaign (nothing to review)."""
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            raise Refusal(f"{year}年度尚未开展金点子征集，无可评审的建议")
        if campaign.published_at is not None:
            return None
        campaign.phase = "reviewing"
        return campaign.seed


def ensure_campaign(session: Session, *, year: int) -> IdeaCampaign:
    campaign = session.get(IdeaCampaign, year)
    if campaign is None:
        raise SubmissionRejected({"year": f"{year}年度金点子征集尚未启动"})
    if campaign.phase not in ("announce", "collecting"):
        closed = f"{year}年度金点子征集已截止（当前阶段 {campaign.phase}）"
        raise SubmissionRejected({"year": closed})
    return campaign
