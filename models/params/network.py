"""Flow parameters of the district network, playgrounds and community units (Prefect UI forms)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from models.params.forms import form_schema


class RolloutParameters(BaseModel):
    """街道社区学校推广检查：留空的项取当天（区情配置的时区）。"""

    model_config = ConfigDict(title="社区学校推广检查参数", json_schema_extra=form_schema)

    year: int | None = Field(default=None, ge=2000, le=2100, title="年度", description="留空为当年")
    today: date | None = Field(
        default=None, title="检查日期", description="留空为当天（区情配置的时区）"
    )


class PlaygroundParameters(BaseModel):
    """学校操场开放 — 按哪一天发送到期的暂停开放通知，或发布哪一周的开放安排。"""

    model_config = ConfigDict(title="学校操场开放参数", json_schema_extra=form_schema)

    today: date | None = Field(
        default=None, title="业务日期", description="留空为当天（区情配置的时区）"
    )


class PledgeConfirmParameters(BaseModel):
    """社区单位支持承诺的确认：已落实后由区社区教育指导中心确认，并向单位致谢。"""

    model_config = ConfigDict(title="社区单位承诺确认", json_schema_extra=form_schema)

    year: int = Field(ge=2000, le=2100, title="年度")
    ref: str = Field(min_length=1, max_length=50, title="承诺编号")
    confirmed_by: str = Field(min_length=1, max_length=50, title="确认人")
    note: str = Field(default="", max_length=500, title="落实情况")
    today: date | None = Field(default=None, title="确认日期", description="留空为当天")
