"""Parameters of the annual cycle and of the KPI report (forms in the Prefect UI)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import Choice, form_schema
from models.params.secondment import Approval

STEP_LABELS = {
    "calendar": "社区教育日历",
    "ideas": "金点子征集与评审",
    "secondment": "教师挂职选派",
    "awards": "学习型组织评选",
    "report": "年度指标报告",
}
StepCode = Literal["calendar", "ideas", "secondment", "awards", "report"]
Step = Annotated[StepCode, Choice(STEP_LABELS)]
STEPS: tuple[StepCode, ...] = get_args(StepCode)


class AnnualCycleParameters(BaseModel):
    """年度循环参数：按顺序运行日历、金点子、教师挂职、学习型组织评选和年度指标报告。"""

    model_config = ConfigDict(title="年度循环参数", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度")
    approval: Approval = Field(
        default="manual",
        title="审批方式",
        description="人工审批：各环节生成方案后暂停等待审批；自动批准：不暂停",
    )
    skip: list[Step] = Field(default_factory=list, title="跳过的环节")
    seed: int = Field(default=2026, ge=0, title="随机种子", description="评审分配与并列抽签")
