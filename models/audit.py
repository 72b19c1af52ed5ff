"""Decision records: every automated decision with its reason, rule, inputs, seed and outcome.

A decision names the inputs it was made on by `inputs_digest`; the inputs themselves are kept
once per digest in `DecisionInputs` (one snapshot serves every decision of a run), with the
version of the rule that decided. `outcome` is what the rule gave, in a form the audit compares
with what the same rule gives again on the same inputs and seed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow


class Decision(SQLModel, table=True):
    """One decision about one subject, e.g. 'not eligible' for teacher T001 in 2026."""

    __table_args__ = (UniqueConstraint("process", "year", "subject", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    process: str = Field(index=True)  # "secondment", "ideas", "awards", ...
    year: int = Field(index=True)
    subject: str  # staff_id, idea ref, nomination ref
    kind: str  # "selected", "ineligible", "not_selected", "declined", "replacement"
    rule: str  # "R10.2"
    reason: str  # clerk-readable, Chinese
    inputs_digest: str = ""
    seed: int | None = None
    rule_version: str = ""  # the version of the rule that decided ("" for acts of people)
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    decided_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DecisionInputs(SQLModel, table=True):
    """The inputs a run of a rule decided on, kept once per (process, digest)."""

    __tablename__ = "decision_inputs"

    process: str = Field(primary_key=True)
    digest: str = Field(primary_key=True)
    year: int = Field(index=True)
    kind: str  # which re-derivation reads it: "placement", "replacement", "schedule", ...
    rule_version: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
