"""The Chinese vendors' protocols, as plain functions: signatures, limits, reading their answers.

DingTalk, WeCom and Feishu group robots answer HTTP 200 even when they refuse a message; the
JSON answer's ``errcode`` (DingTalk, WeCom) or ``code`` / ``StatusCode`` (Feishu) says why.
Aliyun's SMS API answers ``Code: "OK"`` or a named error, with HTTP 200 or 4xx. `read_answer`
turns any of these into a `VendorAnswer`: delivered only on the vendor's success code, else an
outcome that says what a retry means (see tasks/notify/protocol.py) and a Chinese reason that
names the vendor's code, for the delivery record.

Limits (the vendors' published defaults; each can be overridden per target in the Apprise config)
    DingTalk custom robot: 20 messages a minute, then throttled for 10 minutes; a text of at
    most 20,000 bytes. WeCom group robot: 20 a minute; a text of at most 2,048 bytes (UTF-8).
    Feishu custom robot: 100 a minute and 5 a second; a request body of at most 20 KB.
    Aliyun SMS: per phone number 1 a minute, 5 an hour, 10 a day; each template variable at
    most 35 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tasks.notify.protocol import Outcome


@dataclass(frozen=True)
class Vendor:
    key: str
    label: str  # how a Chinese reason names it
    limits: tuple[tuple[int, float], ...]
    throttle_seconds: float
    max_bytes: int
    digest_min: int


MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
VENDORS: dict[str, Vendor] = {
    "dingtalk": Vendor("dingtalk", "钉钉群机器人", ((20, MINUTE),), 10 * MINUTE, 20_000, 3),
    "wecom": Vendor("wecom", "企业微信群机器人", ((20, MINUTE),), MINUTE, 2_048, 3),
    # 20 KB is the whole request: leave room for the JSON around the text.
    "feishu": Vendor("feishu", "飞书群机器人", ((100, MINUTE), (5, 1.0)), MINUTE, 18_000, 3),
    "sms": Vendor("sms", "短信平台", ((1, MINUTE), (5, HOUR), (10, DAY)), HOUR, 0, 0),
}


@dataclass(frozen=True)
class VendorAnswer:
    """What a vendor said about one message."""

    ok: bool
    code: str
    reason: str  # Chinese, names the vendor and its code; empty when delivered
    outcome: Outcome | None = None  # None when delivered
    retry_after: float | None = None


DELIVERED = VendorAnswer(ok=True, code="0", reason="")


# --------------------------------------------------------------------------- signatures


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: Base64(HmacSHA256(key=secret, "<timestamp>\\n<secret>")), before URL
    encoding (the HTTP client encodes the query)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: Base64(HmacSHA256(key="<timestamp>\\n<secret>", empty message))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def _rfc3986(value: str) -> str:
    return quote(value, safe="~")


def aliyun_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Aliyun's RPC signature (version 1.0, HMAC-SHA1) over the sorted, RFC 3986-encoded query."""
    canonical = "&".join(f"{_rfc3986(k)}={_rfc3986(params[k])}" for k in sorted(params))
    to_sign = f"{method.upper()}&{_rfc3986('/')}&{_rfc3986(canonical)}"
    digest = hmac.new(
        f"{access_key_secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


# --------------------------------------------------------------------------- answers

_THROTTLED_ROBOT = "发送过快，已被限流（每分钟最多20条）"
_DINGTALK: dict[str, tuple[Outcome, str]] = {
    "300001": ("config", "机器人令牌无效"),
    "300005": ("config", "机器人令牌不存在"),
    "400101": ("config", "机器人令牌不存在"),
    "400102": ("config", "机器人已停用"),
    "400106": ("config", "机器人不存在"),
    "400013": ("config", "群已解散"),
    "410100": ("throttled", "发送过快，已被限流（每分钟最多20条，超出后限流10分钟）"),
    "130101": ("throttled", "发送过快，已被限流（每分钟最多20条，超出后限流10分钟）"),
    "400105": ("refused", "不支持的消息类型"),
    "430101": ("refused", "消息含有不安全的外链，被拦截"),
    "430102": ("refused", "消息含有不合适的文本，被拦截"),
    "430103": ("refused", "消息含有不合适的图片，被拦截"),
    "430104": ("refused", "消息含有不合适的内容，被拦截"),
    "460101": ("refused", "消息过长（超过20000字节）"),
}
_WECOM: dict[str, tuple[Outcome, str]] = {
    "93000": ("config", "机器人地址无效（密钥错误或机器人已被移出群聊）"),
    "45009": ("throttled", _THROTTLED_ROBOT),
    "40008": ("refused", "不支持的消息类型"),
    "44004": ("refused", "消息内容为空"),
    "40058": ("refused", "消息参数不合法"),
}
_FEISHU: dict[str, tuple[Outcome, str]] = {
    "19001": ("config", "机器人地址无效（令牌错误）"),
    "19021": ("config", "签名校验未通过（密钥不符或时间戳超过1小时）"),
    "19022": ("config", "发送方IP不在机器人的IP白名单内"),
    "19024": ("config", "消息不含机器人安全设置中的自定义关键词"),
    "11232": ("throttled", "发送过快，已被限流"),
    "9499": ("refused", "消息格式不正确"),
}
_SMS_ACCOUNT = "短信账号或访问密钥无效"
_ALIYUN: dict[str, tuple[Outcome, str]] = {
    "isv.BUSINESS_LIMIT_CONTROL": ("throttled", "同一号码发送过于频繁，触发短信流控"),
    "isv.DAY_LIMIT_CONTROL": ("throttled", "已达当日发送上限"),
    "isv.SMS_SIGNATURE_ILLEGAL": ("config", "短信签名不可用（未审核通过或名称不符）"),
    "isv.SIGN_NAME_ILLEGAL": ("config", "短信签名不可用（未审核通过或名称不符）"),
    "isv.MOBILE_NUMBER_ILLEGAL": ("config", "手机号码格式不正确"),
    "isv.MOBILE_COUNT_OVER_LIMIT": ("config", "一次发送的手机号码过多"),
    "isv.AMOUNT_NOT_ENOUGH": ("config", "短信账户余额不足"),
    "isv.ACCOUNT_NOT_EXISTS": ("config", _SMS_ACCOUNT),
    "isv.ACCOUNT_ABNORMAL": ("config", "短信账户异常"),
    "isv.OUT_OF_SERVICE": ("config", "短信业务已停机"),
    "InvalidAccessKeyId.NotFound": ("config", _SMS_ACCOUNT),
    "SignatureDoesNotMatch": ("config", "请求签名不符（访问密钥有误）"),
    "isp.RAM_PERMISSION_DENY": ("config", "访问密钥无发送短信的权限"),
    "isv.SMS_TEMPLATE_ILLEGAL": ("refused", "短信模板不可用（未审核通过或不属于本账号）"),
    "isv.TEMPLATE_MISSING_PARAMETERS": ("refused", "短信模板变量缺失"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": ("refused", "短信模板变量不合规"),
    "isv.PARAM_LENGTH_LIMIT": ("refused", "短信模板变量超长"),
    "isv.INVALID_JSON_PARAM": ("refused", "短信模板变量格式不正确"),
    "isv.BLACK_KEY_CONTROL_LIMIT": ("refused", "短信内容含禁止发送的关键词"),
}


def _refusal(
    vendor: Vendor, code: str, message: str, table: Mapping[str, tuple[Outcome, str]]
) -> VendorAnswer:
    outcome, reason = table.get(code, ("failed", ""))
    if vendor.key == "dingtalk" and code == "310000":
        outcome, reason = "config", _dingtalk_security(message)
    detail = reason or f"返回错误（{message or '无说明'}）"
    retry_after = vendor.throttle_seconds if outcome == "throttled" else None
    if code == "isv.DAY_LIMIT_CONTROL":
        retry_after = DAY
    return VendorAnswer(
        ok=False,
        code=code,
        reason=f"{vendor.label}拒收（错误码 {code}）：{detail}",
        outcome=outcome,
        retry_after=retry_after,
    )


def _dingtalk_security(message: str) -> str:
    """DingTalk answers every security failure with 310000; its message says which."""
    text = message.lower()
    if "keyword" in text:
        return "消息不含机器人安全设置中的自定义关键词"
    if "sign" in text:
        return "加签校验未通过（密钥不符）"
    if "timestamp" in text:
        return "加签时间戳与钉钉服务器时间相差超过1小时"
    if "ip" in text or "whitelist" in text:
        return "发送方IP不在机器人的IP白名单内"
    return "机器人安全设置校验未通过"


def _http_failure(vendor: Vendor, status: int) -> VendorAnswer:
    """An answer without the vendor's JSON: judge by the HTTP status alone."""
    code = f"HTTP {status}"
    if status == 429:
        return VendorAnswer(
            False,
            code,
            f"{vendor.label}拒收（{code}）：发送过快，已被限流",
            "throttled",
            vendor.throttle_seconds,
        )
    if 400 <= status < 500:
        return VendorAnswer(
            False, code, f"{vendor.label}拒收（{code}）：接口地址或凭据有误", "config"
        )
    return VendorAnswer(False, code, f"{vendor.label}暂时不可用（{code}）", "failed")


def read_answer(vendor_key: str, status: int, text: str) -> VendorAnswer:
    """Judge a vendor's HTTP answer: delivered only on its success code."""
    vendor = VENDORS[vendor_key]
    try:
        answer: Any = json.loads(text) if text else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if 200 <= status < 300:
            return VendorAnswer(
                False, f"HTTP {status}", f"{vendor.label}的回复无法识别（不是JSON）", "failed"
            )
        return _http_failure(vendor, status)
    if vendor_key == "sms":
        code = str(answer.get("Code", ""))
        if code == "OK":
            return DELIVERED
        if not code:
            return _http_failure(vendor, status) if status >= 300 else _unreadable(vendor)
        return _refusal(vendor, code, str(answer.get("Message", "")), _ALIYUN)
    if vendor_key == "feishu":
        raw = answer.get("code", answer.get("StatusCode"))
        message = str(answer.get("msg", answer.get("StatusMessage", "")))
        table = _FEISHU
    else:
        raw = answer.get("errcode")
        message = str(answer.get("errmsg", ""))
        table = _DINGTALK if vendor_key == "dingtalk" else _WECOM
    if raw is None:
        return _http_failure(vendor, status) if status >= 300 else _unreadable(vendor)
    code = str(raw)
    if code == "0":
        return DELIVERED
    return _refusal(vendor, code, message, table)


def _unreadable(vendor: Vendor) -> VendorAnswer:
    return VendorAnswer(False, "", f"{vendor.label}的回复缺少结果代码", "failed")


def unreachable(vendor_key: str, error: str) -> VendorAnswer:
    """No answer at all (connection refused, timed out): try again on the next pass."""
    return VendorAnswer(
        False, "", f"{VENDORS[vendor_key].label}无法连接（{error}）", "failed", None
    )
