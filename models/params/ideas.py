"""Flow parameters and operator input of the golden-idea campaign (Prefect UI forms)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import Choice, form_schema
from models.params.secondment import Approval

METHODS = Choice({"zscore": "按评审人标准分校准", "raw": "原始均分"})
Method = Annotated[Literal["zscore", "raw"], METHODS]


class CampaignParameters(BaseModel):
    """金点子征集参数 — 留空的项按区情配置。"""

    model_config = ConfigDict(title="金点子征集参数", json_schema_extra=form_schema)

    year: int | None = Field(default=None, ge=2000, le=2100, title="年度", description="留空为当年")
    start: date | None = Field(default=None, title="征集开始日期", description="留空为运行当天")
    seed: int | None = Field(default=None, title="随机种子", description="评审分配与并列抽签")


class ReviewParameters(BaseModel):
    """金点子评审参数。"""

    model_config = ConfigDict(title="金点子评审参数", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度")
    approval: Approval = Field(
        default="manual",
        title="审批方式",
        description="人工审批：排名生成后暂停等待审批；自动批准：演示用",
    )
    method: Method | None = Field(default=None, title="校准方法", description="留空按区情配置")
    generate_scores: bool = Field(
        default=False, title="生成模拟评分", description="仅用于演示：为每个分配生成评分"
    )
    today: date | None = Field(default=None, title="公布日期", description="留空为运行当天")


class IdeasSignOff(RunInput):
    """经办人员审批评审结果：批准后统一公布并通知全部提交人。"""

    model_config = ConfigDict(title="评审结果审批", json_schema_extra=form_schema)

    decision: Annotated[
        Literal["approve", "reject"], Choice({"approve": "批准", "reject": "退回"})
    ] = Field(default="approve", title="审批结果")
    operator: str = Field(default="", max_length=50, title="审批人")
    comment: str = Field(default="", max_length=500, title="意见")
