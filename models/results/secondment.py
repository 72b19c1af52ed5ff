"""Results of the secondment flows (R10.2): a year's placement, and a decline's replacement."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SecondedTeacher(BaseModel):
    """A teacher placed on a street (still active: a decliner is listed under `declined`)."""

    staff_id: str
    street: str
    score: float
    school: str
    backbone: bool
    preferred: bool
    replaces: str | None = None  # the decliner this teacher replaces
    reason: str


class IneligibleTeacher(BaseModel):
    staff_id: str
    name: str = ""
    reasons: list[str]


class DeclinedTeacher(BaseModel):
    staff_id: str
    street: str
    reason: str = ""


class SecondmentResult(BaseModel):
    """The year's secondment: approved (what is on record), or the proposal the operator
    rejected (nothing placed)."""

    year: int
    status: Literal["approved", "rejected"]
    comment: str = ""
    assignments: list[SecondedTeacher] = Field(default_factory=list)
    total_score: float
    ineligible: list[IneligibleTeacher] = Field(default_factory=list)
    declined: list[DeclinedTeacher] = Field(default_factory=list)


class DeclineOutcome(BaseModel):
    """A recorded decline and who took the place (recorded once: a repeat says so)."""

    year: int
    declined: str
    street: str
    replacement: str | None
    score: float | None = None
    reason: str = ""  # why the replacement was chosen
    already_recorded: bool = False
