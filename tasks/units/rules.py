"""Community units' contributions as plain functions (R7.6): what a pledge gives, in words."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from models.units import PLEDGE_KINDS

RULE = "R7.6"


class PledgeFacts(BaseModel):
    """What the words need of a pledge."""

    model_config = ConfigDict(frozen=True)

    kind: str
    content: str = ""
    amount: int = 0
    hours: int = 0
    venue: str = ""
    venue_capacity: int = 0


def contribution_zh(pledge: PledgeFacts) -> str:
    """出资人民币5,000元 / 提供志愿服务40小时，出借会议室（可容纳50人） / 献计献策：…"""
    if pledge.kind == "money":
        return f"出资人民币{pledge.amount:,}元" + (
            f"，用于{pledge.content}" if pledge.content else ""
        )
    if pledge.kind == "idea":
        return f"献计献策：{pledge.content}"
    parts = []
    if pledge.hours:
        parts.append(f"提供志愿服务{pledge.hours}小时")
    if pledge.venue:
        parts.append(f"出借{pledge.venue}（可容纳{pledge.venue_capacity}人）")
    text = "，".join(parts)
    return text + (f"（{pledge.content}）" if pledge.content else "")


def kind_zh(kind: str) -> str:
    return PLEDGE_KINDS.get(kind, kind)
