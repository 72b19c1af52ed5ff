"""Results of the golden-idea flows (R7.3): the campaign opened, and the review's outcome."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class CampaignResult(BaseModel):
    """The year's campaign: its phase now and the day each phase starts."""

    year: int
    phase: str
    phases: dict[str, date]
    seed: int
    announced: bool


class SelectedIdea(BaseModel):
    """A representative idea ranked and published, with the near-duplicates it stands for."""

    ref: str
    rank: int
    tier: str
    final: float
    members: list[str]


class IdeasResult(BaseModel):
    """The year's review: published (the ranking on record), or rejected (nothing published)."""

    year: int
    status: Literal["published", "rejected"]
    comment: str = ""
    selected: list[SelectedIdea] = Field(default_factory=list)
