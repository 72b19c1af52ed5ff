"""Flow parameters and operator inputs of the secondment (rendered as forms in the Prefect UI)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import Choice, form_schema
from models.profile.schema import MeritWeights

Approval = Annotated[Literal["manual", "auto"], Choice({"manual": "人工审批", "auto": "自动批准"})]


class SecondmentParameters(BaseModel):
    """教师挂职选派参数：各项已按区情配置填写，只需修改与配置不同的项；年度留空为当年。"""

    model_config = ConfigDict(title="教师挂职选派参数", json_schema_extra=form_schema)

    year: int | None = Field(
        default=None, ge=2000, le=2100, title="年度", description="选派年度；留空为当年"
    )
    approval: Approval = Field(
        default="manual",
        title="审批方式",
        description="人工审批：生成方案后暂停，等待经办人员审批；自动批准：定时任务用",
    )
    quotas: dict[str, Annotated[int, Field(ge=0, le=1000)]] | None = Field(
        default=None, title="各街道名额", description='如 {"嘉兴路街道": 5}；留空按区情配置'
    )
    min_years: int | None = Field(default=None, ge=0, le=50, title="最低教龄（年）")
    cooldown_years: int | None = Field(default=None, ge=0, le=20, title="再次挂职间隔（年）")
    max_per_school: int | None = Field(default=None, ge=1, le=50, title="每校最多选派人数")
    min_backbone_share: float | None = Field(
        default=None, ge=0, le=1, title="骨干教师最低比例", description="0.2 即 20%，向上取整"
    )
    preference_bonus: float | None = Field(default=None, ge=0, le=100, title="意向街道加分")
    weights: MeritWeights | None = Field(default=None, title="综合得分权重（合计为1）")
    exclude: list[str] = Field(
        default_factory=list, title="排除教师工号", description="审批时排除的教师，重新求解"
    )
    time_limit_seconds: float | None = Field(
        default=None,
        ge=0,
        le=3600,
        title="求解时限（秒）",
        description="留空为60秒；到时仍未证明最优的，给出已找到的最好方案并注明差距",
    )


class SecondmentSignOff(RunInput):
    """经办人员审批：批准、退回（附意见）或排除指定教师后重新求解。"""

    model_config = ConfigDict(title="经办人员审批", json_schema_extra=form_schema)
    # The fields a choice asks for besides the common ones (the terminal asks only these).
    FOLLOW_UPS: ClassVar[dict[str, tuple[str, ...]]] = {"exclude": ("exclude_staff_ids",)}

    decision: Annotated[
        Literal["approve", "reject", "exclude"],
        Choice({"approve": "批准", "reject": "退回", "exclude": "排除后重算"}),
    ] = Field(default="approve", title="审批结果")
    operator: str = Field(default="", max_length=50, title="审批人")
    comment: str = Field(default="", max_length=500, title="意见")
    exclude_staff_ids: list[str] = Field(
        default_factory=list, title="排除教师工号", description="选择“排除后重算”时填写"
    )


class DeclineParameters(BaseModel):
    """挂职教师不能到岗：登记原因，按同等条件递补。"""

    model_config = ConfigDict(title="挂职教师不能到岗", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度", description="挂职选派年度")
    staff_id: str = Field(min_length=1, max_length=50, title="教师工号")
    reason: str = Field(default="", max_length=500, title="不能到岗原因")
