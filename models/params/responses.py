"""Parameters of the daily run of personal-link answers (reminders and the operator's table)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import form_schema


class ResponsesParameters(BaseModel):
    """回复情况巡检参数 — 留空的字段取当天和当年（区情配置的时区）。"""

    model_config = ConfigDict(title="回复情况巡检参数", json_schema_extra=form_schema)

    year: int | None = Field(default=None, ge=2000, le=2100, title="年度", description="留空为当年")
    today: date | None = Field(
        default=None,
        title="业务日期",
        description="按哪一天提醒未回复的人员；留空为当天",
    )
