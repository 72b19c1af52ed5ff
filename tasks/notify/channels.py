"""Apprise schemes of our own for the Chinese vendors, which read the vendor's answer.

Apprise 2.0.1's `dingtalk://`, `wecombot://` and `feishu://` plugins look only at the HTTP status,
and these robots answer 200 when they refuse a message. The schemes below (registered with
`apprise.decorators.notify` when this module is imported, before any config is loaded) send the
same requests and judge the JSON answer (tasks/notify/vendors.py). The answer reaches the
delivery engine through `channel_call`: `AppriseNotifier.send` opens one around each send, the
scheme puts the `VendorAnswer` in it (Apprise itself carries only True/False).

Every scheme takes the vendor's endpoint as its URL (host, port, path; https unless `tls: no`),
so a test or a private gateway is configured the same way as the real service; the secrets and
options are the entry's settings (write secrets as `${name}` template variables)::

    lddingtalk://oapi.dingtalk.com     token, secret (加签), keyword
    ldwecom://qyapi.weixin.qq.com      token (the webhook key)
    ldfeishu://open.feishu.cn          token (the hook id), secret (签名校验), keyword
    ldsms://dysmsapi.aliyuncs.com      access_key_id, access_key_secret, sign (签名), to
                                       (phone numbers), region, variable_max

Every entry may also set `per_second`, `per_minute`, `per_hour`, `per_day` (override the
vendor's rate limits), `throttle_seconds`, `digest_min` (0: never a digest) and `max_bytes`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from apprise.decorators import notify as apprise_notify

from models.profile.notifications import NotificationPolicy
from tasks.notify.pacing import Clock, SystemClock
from tasks.notify.protocol import ChannelSpec
from tasks.notify.sms import VARIABLE_MAX_CHARS, NotSendable, aliyun_params, sms_request
from tasks.notify.vendors import (
    DAY,
    HOUR,
    MINUTE,
    VENDORS,
    VendorAnswer,
    dingtalk_sign,
    feishu_sign,
    read_answer,
    unreachable,
)

SCHEMES = {"lddingtalk": "dingtalk", "ldwecom": "wecom", "ldfeishu": "feishu", "ldsms": "sms"}
DEFAULT_PATHS = {
    "dingtalk": "/robot/send",
    "wecom": "/cgi-bin/webhook/send",
    "feishu": "/open-apis/bot/v2/hook/",
    "sms": "/",
}
REQUIRED = {
    "dingtalk": ("token",),
    "wecom": ("token",),
    "feishu": ("token",),
    "sms": ("access_key_id", "access_key_secret", "sign", "to"),
}
# Settings whose values are secrets (kept out of logs).
SECRET_SETTINGS = ("token", "secret", "access_key_id", "access_key_secret")
_WINDOWS = {"per_second": 1.0, "per_minute": MINUTE, "per_hour": HOUR, "per_day": DAY}
_TIMEOUT = httpx.Timeout(8.0, connect=4.0)


@dataclass
class ChannelCall:
    """The context of one send: what the scheme needs beyond the text, and what it answers."""

    kind: str = ""
    clock: Clock | None = None
    policy: NotificationPolicy | None = None
    public_url: str | None = None
    answer: VendorAnswer | None = None


_CALL: ContextVar[ChannelCall | None] = ContextVar("ld_channel_call", default=None)


@contextmanager
def channel_call(call: ChannelCall) -> Iterator[ChannelCall]:
    """Make `call` the context of the sends made inside (Apprise copies it to its threads)."""
    token = _CALL.set(call)
    try:
        yield call
    finally:
        _CALL.reset(token)


# --------------------------------------------------------------------------- specs


def _number(settings: Mapping[str, Any], key: str, *, minimum: int) -> int | None:
    value = settings.get(key)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"setting {key!r} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"setting {key!r} must be at least {minimum}, got {number}")
    return number


def channel_spec(scheme: str, settings: Mapping[str, Any], *, fingerprint: str) -> ChannelSpec:
    """The pacing rules of one config entry: its vendor's defaults, then its own settings.

    Raises ValueError naming a setting that cannot be used or a required one that is missing.
    """
    vendor = VENDORS.get(SCHEMES.get(scheme, ""))
    if vendor is not None:
        missing = [key for key in REQUIRED[vendor.key] if not settings.get(key)]
        if missing:
            raise ValueError(f"{scheme}:// needs the setting(s) {', '.join(missing)}")
    windows = {span: count for count, span in (vendor.limits if vendor else ())}
    for key, span in _WINDOWS.items():
        count = _number(settings, key, minimum=1)
        if count is not None:
            windows[span] = count
    _number(settings, "variable_max", minimum=1)  # read at send time; checked here
    digest_min = _number(settings, "digest_min", minimum=0)
    max_bytes = _number(settings, "max_bytes", minimum=0)
    throttle = _number(settings, "throttle_seconds", minimum=1)
    return ChannelSpec(
        vendor=vendor.key if vendor else "",
        label=vendor.label if vendor else "",
        limits=tuple((count, span) for span, count in sorted(windows.items())),
        throttle_seconds=float(throttle or (vendor.throttle_seconds if vendor else MINUTE)),
        digest_min=digest_min if digest_min is not None else (vendor.digest_min if vendor else 0),
        max_bytes=max_bytes if max_bytes is not None else (vendor.max_bytes if vendor else 0),
        fingerprint=fingerprint,
    )


# --------------------------------------------------------------------------- sending


def _base(meta: Mapping[str, Any], vendor: str) -> str:
    tls = str(meta.get("tls", "yes")).strip().lower() not in {"no", "false", "0", "off"}
    host = meta.get("host") or ""
    port = f":{meta['port']}" if meta.get("port") else ""
    path = meta.get("fullpath") or ""
    if path in {"", "/"}:
        path = DEFAULT_PATHS[vendor]
    return f"{'https' if tls else 'http'}://{host}{port}{path}"


def _content(title: str, body: str, keyword: str) -> str:
    text = f"{title}\n{body}" if title else body
    if keyword and keyword not in text:
        text = f"【{keyword}】{text}"
    return text


def _post(vendor: str, url: str, **request: Any) -> VendorAnswer:
    try:
        response = httpx.post(url, timeout=_TIMEOUT, **request)
    except httpx.HTTPError as exc:
        return unreachable(vendor, type(exc).__name__)
    return read_answer(vendor, response.status_code, response.text)


def _dingtalk(
    meta: Mapping[str, Any], title: str, body: str, fmt: str, call: ChannelCall
) -> VendorAnswer:
    params: dict[str, str] = {"access_token": str(meta["token"])}
    if meta.get("secret"):
        timestamp = int((call.clock or SystemClock()).time() * 1000)
        params |= {
            "timestamp": str(timestamp),
            "sign": dingtalk_sign(str(meta["secret"]), timestamp),
        }
    keyword = str(meta.get("keyword") or "")
    if fmt == "markdown":
        text = f"#### {title}\n{body}" if title else body
        payload: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": title or "通知", "text": _content("", text, keyword)},
        }
    else:
        payload = {"msgtype": "text", "text": {"content": _content(title, body, keyword)}}
    return _post("dingtalk", _base(meta, "dingtalk"), params=params, json=payload)


def _wecom(
    meta: Mapping[str, Any], title: str, body: str, fmt: str, call: ChannelCall
) -> VendorAnswer:
    del call
    if fmt == "markdown":
        text = f"**{title}**\n{body}" if title else body
        payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": text}}
    else:
        payload = {"msgtype": "text", "text": {"content": _content(title, body, "")}}
    params = {"key": str(meta["token"])}
    return _post("wecom", _base(meta, "wecom"), params=params, json=payload)


def _feishu(
    meta: Mapping[str, Any], title: str, body: str, fmt: str, call: ChannelCall
) -> VendorAnswer:
    del fmt  # text only: Feishu's rich text is a structure of its own, not markdown
    keyword = str(meta.get("keyword") or "")
    payload: dict[str, Any] = {
        "msg_type": "text",
        "content": {"text": _content(title, body, keyword)},
    }
    if meta.get("secret"):
        timestamp = int((call.clock or SystemClock()).time())
        payload |= {
            "timestamp": str(timestamp),
            "sign": feishu_sign(str(meta["secret"]), timestamp),
        }
    url = _base(meta, "feishu").rstrip("/") + "/" + str(meta["token"])
    return _post("feishu", url, json=payload)


def _sms(
    meta: Mapping[str, Any], title: str, body: str, fmt: str, call: ChannelCall
) -> VendorAnswer:
    del fmt
    try:
        request = sms_request(
            kind=call.kind,
            title=title,
            body=body,
            policy=call.policy or NotificationPolicy(),
            public_url=call.public_url,
            variable_max=int(meta.get("variable_max") or VARIABLE_MAX_CHARS),
        )
    except NotSendable as exc:
        return VendorAnswer(False, "", f"短信未发送：{exc}", "refused")
    phones = [p.strip() for p in str(meta["to"]).replace(";", ",").split(",") if p.strip()]
    now = datetime.fromtimestamp((call.clock or SystemClock()).time(), UTC)
    fields = aliyun_params(
        request=request,
        phones=phones,
        sign_name=str(meta["sign"]),
        access_key_id=str(meta["access_key_id"]),
        access_key_secret=str(meta["access_key_secret"]),
        nonce=uuid.uuid4().hex,
        now=now,
        region=str(meta.get("region") or "cn-hangzhou"),
    )
    return _post("sms", _base(meta, "sms"), data=fields)


Sender = Callable[[Mapping[str, Any], str, str, str, ChannelCall], VendorAnswer]


def _deliver(
    vendor: str, send: Sender, body: str, title: str, meta: Mapping[str, Any], body_format: Any
) -> bool:
    call = _CALL.get() or ChannelCall()
    # Apprise hands over its NotifyFormat enum, a str subclass; compare the plain value.
    fmt = str(getattr(body_format, "value", body_format) or "text")
    missing = [key for key in REQUIRED[vendor] if not meta.get(key)]
    if missing:
        answer = VendorAnswer(
            False, "", f"{VENDORS[vendor].label}缺少设置：{', '.join(missing)}", "config"
        )
    else:
        answer = send(meta, title, body, fmt, call)
    call.answer = answer
    return answer.ok


def _register_plugin(vendor: str, schema: str, name: str, send: Sender) -> None:
    """Make Apprise deliver `SCHEMA://` URLs through `_deliver` with this vendor's sender."""

    def plugin(
        body: str,
        title: str,
        _notify_type: str,
        *_args: Any,
        meta: dict[str, Any],
        body_format: Any = "text",
        **_kwargs: Any,
    ) -> bool:
        return _deliver(vendor, send, body, title, meta, body_format)

    # Apprise's decorator module has no type annotations.
    apprise_notify(on=schema, name=f"{name} (learning-district)")(plugin)  # type: ignore[no-untyped-call]


for _vendor, _schema, _name, _send in (
    ("dingtalk", "lddingtalk", "DingTalk robot", _dingtalk),
    ("wecom", "ldwecom", "WeCom group robot", _wecom),
    ("feishu", "ldfeishu", "Feishu robot", _feishu),
    ("sms", "ldsms", "Aliyun SMS", _sms),
):
    _register_plugin(_vendor, _schema, _name, _send)
