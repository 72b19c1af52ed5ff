"""The `network:` section of the district profile: the guidance centre (R2, R8.1) and the plan
that gives every street its community school (R8.3).

    network:
      community_schools:
        plan: {嘉兴路街道: 2026, 四川北路街道: 2027, 江湾镇街道: 2028}
        due: "09-01"               # open by the autumn term of the plan year
        standard_within_years: 2   # then reach the district's standard within two years

Everything has a default, so a profile without this section loads (and plans no rollout).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.profile.calendar import MonthDay


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _centre_units() -> list[str]:
    return [
        "办公室",
        "社区教育课题组",
        "社区教育志愿者协会",
        "社区教育援助热线",
        "档案室",
        "阅览室",
        "接待室",
    ]


class CentreProfile(_Strict):
    """R2: the guidance centre's units (its name and contact are `contacts.centre`); R8.1: the
    community-education college."""

    units: list[str] = Field(default_factory=_centre_units)
    college: str = Field(default="区社区教育学院", description="R8.1 community-education college")


class RolloutPlan(_Strict):
    """R8.3: which street gets its community school in which year, checked once a year."""

    plan: dict[str, int] = Field(
        default_factory=dict, description="street -> the year its community school is due"
    )
    due: MonthDay = Field(default="09-01", description="Open by this day of the plan year")
    standard_within_years: int = Field(
        default=2, ge=0, le=10, description="Years after opening to reach the standard"
    )
    check_schedule: str = Field(
        default="0 9 15 1 *", description="Cron (district timezone) of the yearly rollout check"
    )

    def due_by(self, year: int) -> int:
        """How many streets the plan wants covered by the end of `year`."""
        return sum(1 for planned in self.plan.values() if planned <= year)


class NetworkPolicy(_Strict):
    centre: CentreProfile = Field(default_factory=CentreProfile)
    community_schools: RolloutPlan = Field(default_factory=RolloutPlan)
    report_schedule: str = Field(
        default="0 9 20 12 *", description="Cron of the yearly registry report"
    )


def network_problems(
    policy: NetworkPolicy, streets: list[str]
) -> list[tuple[tuple[object, ...], str]]:
    """Streets of the rollout plan must exist; plan years must be plausible."""
    problems: list[tuple[tuple[object, ...], str]] = []
    for street, year in policy.community_schools.plan.items():
        place = ("network", "community_schools", "plan", street)
        if street not in streets:
            problems.append((place, f"推进计划中的街道“{street}”不在街道名单（streets）中"))
        if not 2000 <= year <= 2100:
            problems.append((place, f"{year}不是2000至2100之间的年份"))
    return problems
