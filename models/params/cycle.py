"""Parameters of the annual cycle and of the KPI report (forms in the Prefect UI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Step = Literal["calendar", "ideas", "secondment", "awards", "report"]
STEPS: tuple[Step, ...] = ("calendar", "ideas", "secondment", "awards", "report")


class AnnualCycleParameters(BaseModel):
    """年度循环参数：按顺序运行日历、金点子、教师挂职、学习型组织评选和年度指标报告。"""

    year: int = Field(ge=2000, le=2100, title="年度")
    approval: Literal["manual", "auto"] = Field(
        default="manual",
        title="审批方式",
        description="manual：各环节生成方案后暂停等待审批；auto：自动批准",
    )
    skip: list[Step] = Field(
        default_factory=list,
        title="跳过的环节",
        description="calendar / ideas / secondment / awards / report",
    )
    seed: int = Field(default=2026, ge=0, title="随机种子", description="评审分配与并列抽签")
