"""Results of the learning-awards flows (R11.2): the list on record, an objection, a ruling and
the final list."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class ListedNominee(BaseModel):
    """A nominee on the year's list (公示 or final), in its category's rank order."""

    ref: str
    score: float
    rank: int | None
    name: str
    publicity_end: date | None = None


class JudgeShortage(BaseModel):
    """A nomination that had fewer eligible judges than it needed."""

    ref: str
    needed: int
    available: int


class AwardsResult(BaseModel):
    """The committee-approved list of a year: under 公示, or final."""

    year: int
    status: Literal["publicity", "final"]
    categories: dict[str, list[ListedNominee]]
    flagged: list[str] = Field(default_factory=list)  # too few valid scores: not ranked
    shortfalls: dict[str, str] = Field(default_factory=dict)  # category → why under quota
    shortages: list[JudgeShortage] = Field(default_factory=list)
    publicity: list[date] = Field(default_factory=list)  # first and last day of the 公示
    final_on: date | None = None
