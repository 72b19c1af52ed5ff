"""Yearly targets towards the 3-5-year goal (R1), for the annual KPI report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KpiTargets(BaseModel):
    """What a year should reach; the report sets the year's figures against these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goal_year: int | None = Field(default=None, description="the year the R1 goal is due")
    community_school_streets: dict[int, int] = Field(
        default_factory=dict,
        description="R8.3 year -> streets with a community school, when network.community_schools"
        " has no plan (the plan gives the target otherwise)",
    )
    seconded_teachers: int = Field(default=15, ge=0, description="R10.2")
    ideas_received: int = Field(default=300, ge=0, description="R7.3")
    ideas_adopted: int = Field(default=10, ge=0, description="R7.3")
    meetings: int = Field(default=3, ge=0, description="R7.5 annual meetings")
    trainings: int = Field(default=4, ge=0, description="R7.1 cadre trainings")
    awards: int = Field(default=30, ge=0, description="R11.2 awarded units and people")
    volunteers_teaching: int | None = Field(
        default=None, ge=0, description="R10.3 volunteers teaching at community schools"
    )
    lecturers: int | None = Field(default=None, ge=0, description="R10.4 lecturer group members")
    training_attendance_rate: float | None = Field(
        default=0.8, ge=0, le=1, description="R7.1 share of the invited who sign in"
    )
    contributing_units: int | None = Field(
        default=None, ge=0, description="R7.6 units whose pledges the office confirmed"
    )
    research_members: int | None = Field(
        default=None, ge=0, description="R10.5 members of the theory-research group"
    )
