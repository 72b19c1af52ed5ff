"""The `contacts:` section of the district profile: the offices people answer to.

Every message that asks something of its reader (a reply, an objection, a confirmation) carries
the office's phone and address from here; the office's name signs the message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficeContact(_Strict):
    """An office as its messages name it: who, a phone, an address."""

    name: str = Field(min_length=1, max_length=60)
    phone: str = Field(default="", max_length=40, description="e.g. 021-65412380")
    address: str = Field(default="", max_length=120)


class Contacts(_Strict):
    """The district's offices: the community-education centre, and the awards' leading office."""

    centre: OfficeContact = Field(
        default_factory=lambda: OfficeContact(name="区社区教育指导中心"),
        description="Signs secondment, calendar and golden-idea messages; takes the answers",
    )
    awards: OfficeContact = Field(
        default_factory=lambda: OfficeContact(name="区学习型城区建设领导小组办公室"),
        description="Signs the learning awards' 公示 and takes real-name objections",
    )
