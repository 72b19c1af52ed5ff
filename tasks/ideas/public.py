"""What residents see of a campaign: its theme and dates, the communities and idea categories to
choose from (R7.3).

Read by the portal's idea form and by the poster; one transaction per function, nothing written.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict
from sqlmodel import col, select

from models.db import session_scope
from models.ideas import IdeaCampaign
from models.profile.contacts import OfficeContact
from models.registry import Community
from tasks.common.district import active_profile
from tasks.ideas.screening import category_choices


class CampaignView(BaseModel):
    """A year's golden-idea campaign as the form and the poster show it."""

    model_config = ConfigDict(frozen=True)

    year: int
    district: str
    theme: str
    phase: str
    collecting_from: date
    collecting_to: date
    publish_on: date
    title_max: int
    content_min: int
    content_max: int
    contact: OfficeContact
    communities: list[tuple[str, list[str]]]  # (street, its communities), in the registry's order
    categories: list[tuple[str, str]] = []  # (code, Chinese name) a submitter may choose

    @property
    def heading(self) -> str:
        return f"{self.year}年度{self.theme}“金点子”征集"

    def open_on(self, today: date) -> bool:
        """Whether the form takes ideas on TODAY (collecting, and within its dates)."""
        collecting = self.phase in ("announce", "collecting")
        return collecting and self.collecting_from <= today <= self.collecting_to

    @property
    def community_names(self) -> set[str]:
        return {name for _, names in self.communities for name in names}


def campaign_view(year: int) -> CampaignView | None:
    """The campaign of YEAR as residents see it; None when it was never opened."""
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            return None
        profile = active_profile(session)
        rows = session.exec(
            select(Community.street, Community.name).order_by(
                col(Community.street), col(Community.name)
            )
        ).all()
    by_street: dict[str, list[str]] = {}
    for street, name in rows:
        by_street.setdefault(street, []).append(name)
    order = {name: index for index, name in enumerate(profile.street_names)}
    streets = sorted(by_street, key=lambda s: (order.get(s, len(order)), s))
    phases = campaign.phases
    policy = profile.ideas
    return CampaignView(
        year=year,
        district=profile.district,
        theme=policy.theme,
        phase=campaign.phase,
        collecting_from=date.fromisoformat(phases["collecting"]),
        collecting_to=date.fromisoformat(phases["screening"]) - timedelta(days=1),
        publish_on=date.fromisoformat(phases["published"]),
        title_max=policy.title_max,
        content_min=policy.content_min,
        content_max=policy.content_max,
        contact=profile.contacts.centre,
        communities=[(street, by_street[street]) for street in streets],
        categories=category_choices(policy),
    )
