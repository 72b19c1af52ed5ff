"""Flow parameters and committee inputs of the learning awards (forms in the Prefect UI)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from prefect.input import RunInput
from pydantic import BaseModel, Field


class AwardsParameters(BaseModel):
    """学习型组织评选参数 — every field left empty takes its value from the district profile."""

    year: int = Field(ge=2000, le=2100, title="年度", description="评选年度")
    approval: Literal["manual", "auto"] = Field(
        default="manual",
        title="审定方式",
        description="manual：生成拟表彰名单后暂停，等待评审委员会审定；auto：自动审定",
    )
    seed: int | None = Field(
        default=None, ge=0, title="抽签种子", description="并列时抽签所用种子；留空为年度"
    )
    method: Literal["zscore", "raw"] = Field(
        default="zscore", title="汇总方法", description="zscore：评委分数校准；raw：原始均分"
    )
    publicity_start: date | None = Field(
        default=None, title="公示开始日期", description="留空为审定当日（北京时间）"
    )
    strike: dict[str, str] = Field(
        default_factory=dict, title="删除的提名", description="编号 → 理由（评审委员会决定）"
    )
    add: dict[str, str] = Field(
        default_factory=dict, title="增列的提名", description="编号 → 理由（评审委员会决定）"
    )


class AwardsSignOff(RunInput):
    """评审委员会审定：批准，或删除/增列提名（须写明理由）后重新生成名单。"""

    decision: Literal["approve", "strike", "add"] = Field(
        default="approve", title="审定结果", description="approve 批准；strike 删除；add 增列"
    )
    operator: str = Field(default="", max_length=50, title="审定人")
    comment: str = Field(default="", max_length=500, title="意见")
    refs: list[str] = Field(default_factory=list, title="提名编号", description="strike/add 时填写")
    reason: str = Field(default="", max_length=500, title="理由", description="strike/add 必填")
