"""The district profile: streets, communities, schools, bases, venues and policy parameters.

The sections of the profile as typed, frozen models; reading and checking the YAML file is in
`models/profile/loading.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.profile.audit import AuditPolicy
from models.profile.calendar import CalendarPolicy
from models.profile.contacts import Contacts
from models.profile.holidays import HolidaysPolicy
from models.profile.ideas import IdeasPolicy
from models.profile.kpi import KpiTargets
from models.profile.network import NetworkPolicy
from models.profile.notifications import NotificationPolicy
from models.profile.playgrounds import PlaygroundsPolicy
from models.profile.responses import ResponsesPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StreetProfile(_Strict):
    name: str = Field(min_length=1)
    pilot: bool = False
    communities: list[str] = Field(default_factory=list)


class SchoolProfile(_Strict):
    name: str = Field(min_length=1)
    street: str
    pilot: bool = Field(default=False, description="Pilot community school of R8.3")


class BaseProfile(_Strict):
    """One of the four bases of R5."""

    name: str
    kind: Literal[
        "party_school", "community_management_school", "elderly_university", "children_centre"
    ]
    street: str | None = None


class VenueProfile(_Strict):
    name: str
    capacity: int = Field(gt=0)
    street: str | None = None


class MeritWeights(_Strict):
    """R10.2 criteria: political quality, experience, overall ability, skill at community work."""

    model_config = ConfigDict(
        title="综合得分权重",
        json_schema_extra={
            "description": "政治素质、教龄经验、综合能力、社区工作能力的权重，合计为 1"
        },
    )

    political: float = Field(default=0.30, ge=0, le=1, title="政治素质")
    experience: float = Field(default=0.20, ge=0, le=1, title="教龄经验")
    ability: float = Field(default=0.25, ge=0, le=1, title="综合能力")
    community_work: float = Field(default=0.25, ge=0, le=1, title="社区工作能力")

    @model_validator(mode="after")
    def _sum_to_one(self) -> MeritWeights:
        total = self.political + self.experience + self.ability + self.community_work
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"择优各项权重之和应为1，现为{total:g}")
        return self


class SecondmentPolicy(_Strict):
    """R10.2 parameters; empty quotas mean 5 teachers to every pilot street (the pilot year)."""

    quotas: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(default_factory=dict)
    min_years: int = Field(default=5, ge=0)
    cooldown_years: int = Field(default=2, ge=0)
    max_per_school: int = Field(default=2, ge=1)
    min_backbone_share: float = Field(default=0.2, ge=0, le=1)
    preference_bonus: float = Field(default=5, ge=0)
    weights: MeritWeights = Field(default_factory=MeritWeights)
    schedule: str = Field(
        default="0 9 1 3 *", description="Cron (district timezone) of the yearly secondment run"
    )
    report_within_days: int = Field(
        default=5, ge=1, le=60, description="Working days a seconded teacher has to report"
    )
    term_months: int = Field(default=12, ge=1, le=60, description="Length of the term")


class Judge(_Strict):
    name: str
    street: str | None = None
    unit: str | None = None


class AwardsPolicy(_Strict):
    """R11.2 parameters."""

    quotas: dict[str, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=lambda: dict.fromkeys(
            ["residential_area", "agency", "enterprise", "building", "family", "leader"], 5
        )
    )
    min_judges: int = Field(default=3, ge=1)
    criteria: dict[str, float] = Field(
        default_factory=lambda: {
            "organisation": 0.3,
            "activities": 0.3,
            "participation": 0.2,
            "effect": 0.2,
        }
    )
    judges: list[Judge] = Field(default_factory=list)
    # extensions beyond the spec's minimal keys (all optional)
    publicity_days: int = Field(default=5, ge=1, le=30)  # 公示 working days
    objection_publicity_days: int = Field(default=3, ge=1, le=30)  # short 公示 of a promotion
    repeat_cooldown_years: int = Field(default=3, ge=0)  # no repeat award within N years
    metrics: dict[str, str] = Field(
        default_factory=lambda: {
            "activities": "活动场次",
            "participants": "参与人次",
            "reading_hours": "阅读时长",
            "volunteers": "志愿者人数",
            "courses": "课程数",
        },
        description="evidence metric columns of nominations: code -> Chinese header",
    )
    criteria_labels: dict[str, str] = Field(
        default_factory=lambda: {
            "organisation": "组织保障",
            "activities": "活动开展",
            "participation": "群众参与",
            "effect": "工作成效",
        },
        description="Chinese headers of the rubric criteria in score files",
    )
    requirements: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="category -> {metric: minimum} for eligibility"
    )
    schedule: str = Field(default="0 9 1 12 *", description="Cron of the yearly awards run")
    judge_max_load: int | None = Field(
        default=None,
        ge=1,
        description="Most nominations one judge may hold after reassignments (default: the "
        "balanced plan's largest load plus one)",
    )
    judging_reminder_offsets: list[Annotated[int, Field(ge=1, le=30)]] = Field(
        default_factory=lambda: [3, 1],
        description="Judges with unscored nominations are reminded this many working days "
        "before the scoring deadline",
    )


class DistrictProfile(_Strict):
    district: str = Field(min_length=1)
    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA time zone of the district: its dates, deadlines and schedules",
    )
    streets: list[StreetProfile] = Field(min_length=1)
    schools: list[SchoolProfile] = Field(default_factory=list)
    bases: list[BaseProfile] = Field(default_factory=list)
    venues: list[VenueProfile] = Field(default_factory=list)
    secondment: SecondmentPolicy = Field(default_factory=SecondmentPolicy)
    awards: AwardsPolicy = Field(default_factory=AwardsPolicy)
    ideas: IdeasPolicy = Field(default_factory=IdeasPolicy)
    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    holidays: HolidaysPolicy = Field(default_factory=HolidaysPolicy)
    kpi: KpiTargets = Field(default_factory=KpiTargets)
    contacts: Contacts = Field(default_factory=Contacts)
    notifications: NotificationPolicy = Field(default_factory=NotificationPolicy)
    network: NetworkPolicy = Field(default_factory=NetworkPolicy)
    playgrounds: PlaygroundsPolicy = Field(default_factory=PlaygroundsPolicy)
    responses: ResponsesPolicy = Field(default_factory=ResponsesPolicy)
    audit: AuditPolicy = Field(default_factory=AuditPolicy)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"“{value}”不是时区名称，应写作Asia/Shanghai这样的名称") from None
        return value

    @property
    def street_names(self) -> list[str]:
        return [s.name for s in self.streets]

    @property
    def school_streets(self) -> dict[str, str]:
        return {s.name: s.street for s in self.schools}

    def secondment_quotas(self) -> dict[str, int]:
        """Quotas in profile street order; default 5 per pilot street (R10.2 pilot year)."""
        quotas = self.secondment.quotas or {s.name: 5 for s in self.streets if s.pilot}
        ordered = {s.name: quotas[s.name] for s in self.streets if s.name in quotas}
        # unknown streets stay in, so the run refuses them by name instead of dropping places
        return ordered | {name: n for name, n in quotas.items() if name not in ordered}
