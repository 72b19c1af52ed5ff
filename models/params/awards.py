"""Flow parameters and committee inputs of the learning awards (forms in the Prefect UI)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import Choice, form_schema
from models.params.ideas import Method
from models.params.secondment import Approval

# A ruling on an objection during the 公示: codes and what the committee reads.
RULINGS = Choice({"uphold": "异议成立", "dismiss": "异议不成立"})
Ruling = Annotated[Literal["uphold", "dismiss"], RULINGS]


class AwardsParameters(BaseModel):
    """学习型组织评选参数：留空的项按区情配置。"""

    model_config = ConfigDict(title="学习型组织评选参数", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度", description="评选年度")
    approval: Approval = Field(
        default="manual",
        title="审定方式",
        description="人工审批：生成拟表彰名单后暂停，等待评审委员会审定；自动批准：自动审定",
    )
    seed: int | None = Field(
        default=None, ge=0, title="抽签种子", description="并列时抽签所用种子；留空为年度"
    )
    method: Method = Field(default="zscore", title="汇总方法")
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

    model_config = ConfigDict(title="评审委员会审定", json_schema_extra=form_schema)
    # The fields a choice asks for besides the common ones (the terminal asks only these).
    FOLLOW_UPS: ClassVar[dict[str, tuple[str, ...]]] = {
        "strike": ("refs", "reason"),
        "add": ("refs", "reason"),
    }

    decision: Annotated[
        Literal["approve", "strike", "add"],
        Choice({"approve": "批准", "strike": "删除提名后重排", "add": "增列提名后重排"}),
    ] = Field(default="approve", title="审定结果")
    operator: str = Field(default="", max_length=50, title="审定人")
    comment: str = Field(default="", max_length=500, title="意见")
    refs: list[str] = Field(default_factory=list, title="提名编号", description="删除或增列时填写")
    reason: str = Field(default="", max_length=500, title="理由", description="删除或增列时必填")


class ObjectionParameters(BaseModel):
    """公示期内的实名异议：登记，等待评审委员会裁定。"""

    model_config = ConfigDict(title="公示异议登记", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度", description="评选年度")
    ref: str = Field(min_length=1, max_length=50, title="提名编号", description="被提出异议的提名")
    objector: str = Field(min_length=1, max_length=50, title="异议人", description="须实名")
    content: str = Field(min_length=1, title="异议内容")
    phone: str = Field(default="", max_length=30, title="联系电话", description="不公开")
    today: date | None = Field(default=None, title="登记日期", description="留空为当日")


class RulingParameters(BaseModel):
    """异议裁定：成立则撤销并按排名递补、单独公示；不成立则维持公示。"""

    model_config = ConfigDict(title="异议裁定", json_schema_extra=form_schema)

    objection_id: int = Field(ge=1, title="异议编号")
    decision: Ruling = Field(title="裁定结果")
    ruling: str = Field(min_length=1, title="裁定意见")
    operator: str = Field(default="", max_length=50, title="裁定人")
    today: date | None = Field(default=None, title="裁定日期", description="留空为当日")


class FinaliseParameters(BaseModel):
    """名单定稿：公示期满且无未决异议时确定表彰名单。"""

    model_config = ConfigDict(title="表彰名单定稿", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度", description="评选年度")
    today: date | None = Field(default=None, title="定稿日期", description="留空为当日")
