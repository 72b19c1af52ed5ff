"""The `notifications:` section of the district profile: which message kinds go out by SMS.

Chinese SMS providers send only templates approved in advance, under a registered signature,
with variables filled in; free text is refused. Each entry maps message kinds to one approved
template and says where each of its variables comes from. A message whose kind no entry maps is
not sent by SMS (its delivery record says so); the signature and the account live in the Apprise
config of the SMS target.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Where a template variable's value comes from: the message's title, its text shortened to the
# provider's variable length, the first link in it (else the portal's address).
SmsSource = Literal["title", "summary", "link"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmsTemplate(_Strict):
    """One approved SMS template and the message kinds it carries."""

    kinds: list[str] = Field(
        min_length=1,
        description="Message kinds, `*` matching any text: `selected`, `invitation-*`",
    )
    template_code: str = Field(
        min_length=1, max_length=40, description="The provider's code, e.g. SMS_460815001"
    )
    params: dict[str, SmsSource] = Field(
        default_factory=dict,
        description="Template variable -> its source: title, summary or link",
    )


class NotificationPolicy(_Strict):
    sms_templates: list[SmsTemplate] = Field(default_factory=list)

    def sms_template(self, kind: str) -> SmsTemplate | None:
        """The first template whose kinds match `kind`, or None (not sent by SMS)."""
        for template in self.sms_templates:
            if any(fnmatchcase(kind, pattern) for pattern in template.kinds):
                return template
        return None
