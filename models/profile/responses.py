"""The `responses:` section of the district profile: answers through personal links."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ResponsesPolicy(BaseModel):
    """When people who have not answered are reminded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reminder_offsets: list[int] = Field(
        default_factory=lambda: [2],
        description="A non-responder is reminded this many working days before the deadline "
        "(each a working day after the question was asked)",
    )
    schedule: str = Field(
        default="0 9 * * *", description="Cron (district timezone) of the daily reminder run"
    )

    @field_validator("reminder_offsets")
    @classmethod
    def _working_days(cls, value: list[int]) -> list[int]:
        if any(n < 1 or n > 30 for n in value):
            raise ValueError("reminder_offsets must be working days from 1 to 30")
        return sorted(set(value), reverse=True)
