"""Flow parameters of the annual calendar (rendered as forms in the Prefect UI)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import Choice, form_schema
from models.params.secondment import Approval

RESPONSES = {
    "accepted": "accepted",
    "accept": "accepted",
    "yes": "accepted",
    "参加": "accepted",
    "出席": "accepted",
    "declined": "declined",
    "decline": "declined",
    "no": "declined",
    "不参加": "declined",
    "请假": "declined",
    "tentative": "tentative",
    "maybe": "tentative",
    "待定": "tentative",
}


class CalendarParameters(BaseModel):
    """年度社区教育日历参数：各项已按区情配置填写，只需修改与配置不同的项。"""

    model_config = ConfigDict(title="年度社区教育日历参数", json_schema_extra=form_schema)

    year: int | None = Field(default=None, ge=2000, le=2100, title="年度", description="留空为当年")
    approval: Approval = Field(
        default="manual",
        title="审批方式",
        description="人工审批：拟定年度安排后暂停，等待经办人员审批；自动批准：定时任务用。"
        "批准后各项通知按各自日期发送",
    )
    today: date | None = Field(
        default=None,
        title="业务日期",
        description="按哪一天发送到期的通知和提醒；留空为当天（区情配置的时区）",
    )
    clone_from: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        title="沿用年度",
        description="把该年度的会议按同一星期几顺延到本年度的工作日；留空按区情配置安排",
    )
    avoid_activity_week: bool | None = Field(
        default=None, title="避开宣传活动周", description="留空按区情配置（R7.4）"
    )
    one_event_per_day: bool | None = Field(
        default=None, title="每天至多一个会议", description="留空按区情配置"
    )


class CalendarSignOff(RunInput):
    """经办人员审批年度安排：批准后保存，各项通知到期发送；退回则不保存、不发送。"""

    model_config = ConfigDict(title="年度安排审批", json_schema_extra=form_schema)

    decision: Annotated[
        Literal["approve", "reject"], Choice({"approve": "批准", "reject": "退回"})
    ] = Field(default="approve", title="审批结果")
    operator: str = Field(default="", max_length=50, title="审批人")
    comment: str = Field(default="", max_length=500, title="意见")


class RsvpParameters(BaseModel):
    """会议回执：参会人员是否参加。"""

    model_config = ConfigDict(title="会议回执", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度")
    event: str = Field(min_length=1, title="会议标识", description="如 work_conference")
    attendee: str = Field(min_length=1, max_length=100, title="参会人员（姓名或单位）")
    response: Annotated[
        Literal["accepted", "declined", "tentative"],
        Choice({"accepted": "参加", "declined": "不参加", "tentative": "待定"}),
    ] = Field(default="accepted", title="回执")
    audience: str = Field(
        default="", max_length=50, title="所属参会对象", description="如 street_staff"
    )
    comment: str = Field(default="", max_length=500, title="备注")


class ConfirmParameters(BaseModel):
    """居委确认宣传资料已发放到户（R7.2）。"""

    model_config = ConfigDict(title="资料发放确认", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度")
    community: str = Field(min_length=1, title="居委")
    confirmed_by: str = Field(default="", max_length=50, title="确认人")
    note: str = Field(default="", max_length=500, title="备注（如发放户数）")
    today: date | None = Field(default=None, title="确认日期", description="留空为当天")


class MeetingChangeParameters(BaseModel):
    """会议调整：改期、换会场或取消；日历文件同一 UID 更新，提醒随之重算。"""

    model_config = ConfigDict(title="会议调整", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度")
    event: str = Field(min_length=1, title="会议标识")
    action: Annotated[
        Literal["move", "cancel"], Choice({"move": "改期或换会场", "cancel": "取消会议"})
    ] = Field(default="move", title="操作")
    day: date | None = Field(default=None, title="新日期", description="改期时填写（须为工作日）")
    venue: str | None = Field(default=None, title="新会场", description="留空不变")
    reason: str = Field(default="", max_length=500, title="原因")
    operator: str = Field(default="", max_length=50, title="经办人")
