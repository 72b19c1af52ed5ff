"""Parameters of the daily scoring run and the operator's choice at the deadline (UI forms)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import Choice, form_schema


class ScoringParameters(BaseModel):
    """评分巡检参数 — 留空的字段取当天和当年（区情配置的时区）。"""

    model_config = ConfigDict(title="评分巡检参数", json_schema_extra=form_schema)

    year: int | None = Field(default=None, ge=2000, le=2100, title="年度", description="留空为当年")
    today: date | None = Field(
        default=None, title="业务日期", description="按哪一天提醒和判断截止；留空为当天"
    )
    process: Annotated[
        Literal["awards", "ideas"],
        Choice({"awards": "学习型组织评选（评委）", "ideas": "金点子评选（评审）"}),
    ] = Field(default="awards", title="评分类别")


class ScoringDeadline(RunInput):
    """评分截止：延长评分期限，或按现有评分继续评选（有效评分不足的提名不参与排名）。"""

    model_config = ConfigDict(title="评分截止", json_schema_extra=form_schema)
    FOLLOW_UPS: ClassVar[dict[str, tuple[str, ...]]] = {"extend": ("deadline",)}

    decision: Annotated[
        Literal["proceed", "extend"],
        Choice({"proceed": "按现有评分继续", "extend": "延长评分期限"}),
    ] = Field(default="proceed", title="决定")
    deadline: date | None = Field(default=None, title="新的截止日期", description="选择延长时填写")
    operator: str = Field(default="", max_length=50, title="经办人")
