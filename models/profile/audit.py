"""The `audit:` section of the district profile: when the weekly re-check of decisions runs and
whom it tells when a decision no longer agrees with its inputs.

    audit:
      schedule: "0 7 * * 1"            # every Monday 07:00, district time zone
      operator: 区社区教育指导中心信息管理员  # told through the `operator` notification target
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuditPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schedule: str = Field(
        default="0 7 * * 1", description="Cron (district timezone) of the weekly decision audit"
    )
    operator: str = Field(
        default="",
        max_length=60,
        description="Who hears of a difference (the `operator` target); empty: nobody is told",
    )
