"""The golden-idea campaign's section of the district profile (R7.3, R7.4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdeaReviewer(_Strict):
    """A reviewer; never reviews ideas from their own community (or street, when given)."""

    name: str = Field(min_length=1)
    community: str | None = None
    street: str | None = None


def _default_categories() -> dict[str, list[str]]:
    return {
        "elderly_education": ["老年", "老人", "长者", "银发", "智能手机"],
        "youth_education": ["青少年", "孩子", "儿童", "学生", "托管", "亲子"],
        "adult_education": ["职工", "成人", "技能", "夜校", "务工", "普通话"],
        "reading": ["阅读", "读书", "图书", "书香"],
        "volunteering": ["志愿", "积分", "互助"],
        "facilities": ["场地", "设施", "活动室", "学习点", "改造", "文化墙"],
        "culture": ["非遗", "书法", "绘画", "合唱", "手工"],
        "health": ["健康", "养生", "防诈骗", "垃圾分类"],
    }


def _default_criteria() -> dict[str, float]:
    return {
        "feasibility": 0.25,
        "sustainability": 0.2,
        "reach": 0.2,
        "social_benefit": 0.2,
        "innovation": 0.15,
    }


class IdeasPolicy(_Strict):
    """R7.3 parameters: intake bounds, screening rules, review, tiers; every key optional."""

    theme: str = Field(
        default="学习型城区建设",
        max_length=40,
        description="What the campaign asks ideas for (the form's and the poster's heading)",
    )
    similarity_threshold: float = Field(
        default=0.6, gt=0, le=1, description="Jaccard of character 2-grams (docs/spec.md)"
    )
    title_max: int = Field(default=100, ge=1)
    content_min: int = Field(default=10, ge=1)
    content_max: int = Field(default=5000, ge=1)
    min_key_chars: int = Field(
        default=6, ge=1, description="fewer meaningful characters after normalising = empty"
    )
    spam_keywords: list[str] = Field(
        default_factory=lambda: ["加微信", "代开发票", "贷款", "刷单", "博彩", "兼职日结"]
    )
    categories: dict[str, list[str]] = Field(default_factory=_default_categories)
    reviewers: list[IdeaReviewer] = Field(default_factory=list)
    reviewers_per_idea: int = Field(default=2, ge=2)
    criteria: dict[str, float] = Field(default_factory=_default_criteria)
    criteria_labels: dict[str, str] = Field(
        default_factory=lambda: {
            "feasibility": "可行性",
            "sustainability": "可持续性",
            "reach": "受益面",
            "social_benefit": "社会效益",
            "innovation": "创新性",
        },
        description="Chinese names of the review criteria on the reviewers' scoring page",
    )
    category_labels: dict[str, str] = Field(
        default_factory=lambda: {
            "elderly_education": "老年教育",
            "youth_education": "青少年教育",
            "adult_education": "成人教育",
            "reading": "全民阅读",
            "volunteering": "志愿服务",
            "facilities": "场地设施",
            "culture": "文化传承",
            "health": "健康生活",
            "other": "其他",
        },
        description="Chinese names of the idea categories shown to reviewers",
    )
    reminder_offsets: list[Annotated[int, Field(ge=1, le=30)]] = Field(
        default_factory=lambda: [3, 1],
        description="Reviewers with unscored ideas are reminded this many working days "
        "before the scoring deadline",
    )
    calibration: str = Field(default="zscore", pattern="^(zscore|raw)$")
    departments: dict[str, str] = Field(
        default_factory=lambda: {
            "elderly_education": "区老年大学",
            "youth_education": "区少年儿童活动中心",
            "adult_education": "区社区学院",
            "reading": "区图书馆",
            "volunteering": "区志愿者协会",
            "facilities": "所在街道办事处",
            "other": "区社区教育指导中心",
        },
        description="category -> owner department of adopted ideas (default: other's)",
    )
    tiers: dict[str, int] = Field(default_factory=lambda: {"十佳": 10, "优秀": 20})
    collecting_days: int = Field(default=30, ge=1)
    screening_days: int = Field(default=7, ge=1)
    reviewing_days: int = Field(default=14, ge=1)
    follow_up_days: int = Field(default=180, ge=1)
    progress_report_days: int = Field(
        default=5, ge=1, le=60, description="Working days an owner department has to report"
    )
    sweep_after_minutes: int = Field(default=10, ge=1)
    schedule: str = Field(
        default="0 9 1 9 *", description="Cron (district timezone): September, publicity month"
    )
    seed: int = 2026

    @model_validator(mode="after")
    def _check(self) -> IdeasPolicy:
        if self.content_min > self.content_max:
            raise ValueError("内容最少字数（content_min）不能超过最多字数（content_max）")
        total = sum(self.criteria.values())
        if self.criteria and abs(total - 1.0) > 1e-6:
            raise ValueError(f"评审各项权重之和应为1，现为{total:g}")
        return self
