"""SMS as a Chinese provider takes it: an approved template, a registered signature, variables.

`sms_request` decides, from the message kind and the profile's `notifications.sms_templates`,
whether a message can go by SMS and with which variables; `aliyun_params` builds the signed
Aliyun `SendSms` request (RPC style, signature version 1.0). A message that cannot go is refused
with a Chinese reason for its delivery record, before anything is sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from models.profile.notifications import NotificationPolicy
from tasks.notify.vendors import aliyun_signature

# Aliyun's rule for a variable of a notice template: at most 35 characters.
VARIABLE_MAX_CHARS = 35
_LINK = re.compile(r"https?://[^\s，。；、）)]+")


class NotSendable(Exception):
    """This message cannot go by SMS; the message says why, in Chinese."""


@dataclass(frozen=True)
class SmsRequest:
    template_code: str
    variables: dict[str, str]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sms_request(
    *,
    kind: str,
    title: str,
    body: str,
    policy: NotificationPolicy,
    public_url: str | None,
    variable_max: int = VARIABLE_MAX_CHARS,
) -> SmsRequest:
    """The template and its variables for one message, or `NotSendable` saying why not.

    Text variables are shortened to `variable_max` characters (the provider refuses longer);
    a link is never shortened: one longer than the limit is refused rather than cut.
    """
    template = policy.sms_template(kind) if kind else None
    if template is None:
        raise NotSendable("该类消息没有经审核的短信模板，未通过短信发送")
    variables: dict[str, str] = {}
    for name, source in template.params.items():
        if source == "title":
            value = _shorten(title, variable_max)
        elif source == "summary":
            value = _shorten(body, variable_max)
        else:
            found = _LINK.search(body)
            value = found.group(0) if found else (public_url or "").rstrip("/")
            if not value:
                raise NotSendable(f"短信模板变量“{name}”需要链接，消息中没有链接，也未设置门户地址")
            if len(value) > variable_max:
                raise NotSendable(f"链接长于短信模板变量的上限（{variable_max}个字符）")
        variables[name] = value
    return SmsRequest(template_code=template.template_code, variables=variables)


def aliyun_params(
    *,
    request: SmsRequest,
    phones: list[str],
    sign_name: str,
    access_key_id: str,
    access_key_secret: str,
    nonce: str,
    now: datetime,
    region: str = "cn-hangzhou",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The form fields of one signed `SendSms` call (POST), `Signature` included."""
    params = {
        "AccessKeyId": access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": ",".join(phones),
        "RegionId": region,
        "SignName": sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": request.template_code,
        "TemplateParam": json.dumps(request.variables, ensure_ascii=False),
        "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        **(extra or {}),
    }
    params["Signature"] = aliyun_signature("POST", params, access_key_secret)
    return params
