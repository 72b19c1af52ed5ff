"""Decision records: every automated decision with its reason, rule, inputs digest and seed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
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
    decided_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
