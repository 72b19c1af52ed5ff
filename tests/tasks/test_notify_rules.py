"""The channels' plain rules: reading vendor answers, Aliyun's signature, SMS templates, splitting
and digests, pacing windows, per-target settings. No network, no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.profile.notifications import NotificationPolicy, SmsTemplate
from tasks.notify.adapter import AppriseNotifier
from tasks.notify.channels import channel_spec
from tasks.notify.compose import compose, split
from tasks.notify.pacing import Pacer, TargetState
from tasks.notify.protocol import Attachment, ChannelSpec, NotifierConfigError, Send
from tasks.notify.sms import NotSendable, sms_request
from tasks.notify.vendors import aliyun_signature, read_answer
from tests.vendor_fakes import FakeClock

# --------------------------------------------------------------------------- vendor answers


def answer(vendor: str, body: object, status: int = 200) -> tuple[bool, str, str | None, str]:
    text = body if isinstance(body, str) else json.dumps(body)
    read = read_answer(vendor, status, text)
    return read.ok, read.code, read.outcome, read.reason


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("keywords not in content, more: [...]", "自定义关键词"),
        ("sign not match, more: [...]", "加签校验未通过"),
        ("ip 1.2.3.4 not in whitelist", "IP白名单"),
    ],
)
def test_dingtalk_310000_is_a_configuration_refusal_named_by_its_message(
    message: str, reason: str
) -> None:
    ok, code, outcome, text = answer("dingtalk", {"errcode": 310000, "errmsg": message})
    assert (ok, code, outcome) == (False, "310000", "config")
    assert text.startswith("钉钉群机器人拒收（错误码 310000）：") and reason in text


def test_success_only_on_the_vendors_success_code() -> None:
    assert answer("dingtalk", {"errcode": 0, "errmsg": "ok"})[:2] == (True, "0")
    assert answer("wecom", {"errcode": 0, "errmsg": "ok"})[0]
    assert answer("feishu", {"code": 0, "msg": "success", "data": {}})[0]
    assert answer("feishu", {"StatusCode": 0, "StatusMessage": "success"})[0]  # older answer
    assert answer("sms", {"Code": "OK", "Message": "OK"})[0]
    # HTTP 200 without the code, or with another, is not a delivery.
    assert answer("dingtalk", {"status": "fine"})[:3] == (False, "", "failed")
    assert answer("wecom", "<html>gateway</html>")[:3] == (False, "HTTP 200", "failed")
    ok, code, outcome, text = answer("wecom", {"errcode": 99999, "errmsg": "new error"})
    assert (ok, code, outcome) == (False, "99999", "failed") and "new error" in text


def test_throttling_answers_carry_the_vendors_window() -> None:
    dingtalk = read_answer("dingtalk", 200, json.dumps({"errcode": 410100, "errmsg": "too fast"}))
    wecom = read_answer("wecom", 200, json.dumps({"errcode": 45009, "errmsg": "freq"}))
    daily = read_answer("sms", 200, json.dumps({"Code": "isv.DAY_LIMIT_CONTROL"}))
    assert (dingtalk.outcome, dingtalk.retry_after) == ("throttled", 600.0)
    assert (wecom.outcome, wecom.retry_after) == ("throttled", 60.0)
    assert (daily.outcome, daily.retry_after) == ("throttled", 86400.0)
    assert answer("feishu", "", 429)[2] == "throttled"


def test_http_failures_without_the_vendors_json() -> None:
    assert answer("wecom", "", 502)[:3] == (False, "HTTP 502", "failed")
    assert answer("dingtalk", "not found", 404)[:3] == (False, "HTTP 404", "config")
    # Aliyun answers a bad signature with HTTP 400 and its JSON: the code decides.
    ok, code, outcome, _ = answer("sms", {"Code": "SignatureDoesNotMatch"}, 400)
    assert (ok, code, outcome) == (False, "SignatureDoesNotMatch", "config")
    assert answer("sms", {"Code": "isv.SMS_TEMPLATE_ILLEGAL"})[2] == "refused"


def test_aliyun_signature_matches_the_providers_published_example() -> None:
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


# --------------------------------------------------------------------------- SMS templates

POLICY = NotificationPolicy(
    sms_templates=[
        SmsTemplate(kinds=["invitation-*"], template_code="SMS_1", params={"t": "title"}),
        SmsTemplate(
            kinds=["selected"], template_code="SMS_2", params={"s": "summary", "l": "link"}
        ),
    ]
)


def test_sms_template_by_kind_variables_shortened_links_whole() -> None:
    invitation = sms_request(
        kind="invitation-work_conference-v1",
        title="会议通知：" + "社区教育工作会议" * 6,
        body="",
        policy=POLICY,
        public_url=None,
    )
    assert invitation.template_code == "SMS_1"
    assert len(invitation.variables["t"]) == 35 and invitation.variables["t"].endswith("…")
    selected = sms_request(
        kind="selected",
        title="入选通知",
        body="张老师：\n您已入选，请登录 https://p.example.cn/r/abc 确认。",
        policy=POLICY,
        public_url="https://portal.example.cn",
    )
    assert selected.variables == {
        "s": "张老师： 您已入选，请登录 https://p.example.cn…",  # 35 characters
        "l": "https://p.example.cn/r/abc",
    }


def test_sms_refuses_what_it_cannot_send() -> None:
    with pytest.raises(NotSendable, match="没有经审核的短信模板"):
        sms_request(kind="declined", title="t", body="b", policy=POLICY, public_url=None)
    with pytest.raises(NotSendable, match="需要链接"):
        sms_request(kind="selected", title="t", body="无链接", policy=POLICY, public_url=None)
    with pytest.raises(NotSendable, match="链接长于"):
        sms_request(
            kind="selected",
            title="t",
            body="",
            policy=POLICY,
            public_url="https://portal.example.gov.cn/a/very/long/path",
        )


# --------------------------------------------------------------------------- parts and digests


def send(number: int, body: str = "内容", **fields: object) -> Send:
    values: dict[str, object] = {
        "delivery_id": number,
        "key": f"k{number}",
        "message_id": number,
        "target": "t",
        "kind": "selected",
        "title": f"通知{number}",
        "body": body,
        "body_format": "text",
    }
    values.update(fields)
    return Send(**values)  # type: ignore[arg-type]


def test_split_keeps_every_line_within_the_limit_and_numbers_the_parts() -> None:
    body = "\n".join(["短行"] * 50 + ["长" * 400])
    pieces = split("标题", body, 300)
    assert all(len(f"{p.title}\n{p.body}".encode()) <= 300 for p in pieces)
    assert pieces[0].title == f"标题（1/{len(pieces)}）" and pieces[1].title.startswith(
        "标题（续2/"
    )
    assert "".join(p.body.replace("\n", "") for p in pieces) == body.replace("\n", "")
    assert split("标题", "短", 300) == split("标题", "短", 0)  # fits: as it is


def test_compose_digests_plain_text_only_from_the_threshold() -> None:
    spec = ChannelSpec(digest_min=3)
    ics = Attachment("a.ics", "text/calendar", b"BEGIN:VCALENDAR")
    sends = [send(1), send(2, body_format="markdown"), send(3), send(4, attachments=(ics,))]
    assert [u.kind for u in compose(sends, spec=spec, public_url=None)] == ["selected"] * 4
    sends.append(send(5, body="甲\n乙"))
    units = compose(sends, spec=spec, public_url=None)
    assert [[m.delivery_id for m in u.members] for u in units] == [[1, 3, 5], [2], [4]]
    (piece,) = units[0].pieces
    assert piece.body.splitlines()[1:] == ["1. 通知1：内容", "2. 通知3：内容", "3. 通知5：甲 乙"]
    long = send(
        6, body="请于2026年3月6日前确认。" * 8 + "确认页面：https://portal.example.cn/r/Zx9"
    )
    (summary,) = compose([long] * 3, spec=spec, public_url="https://portal.example.cn")
    line = summary.pieces[0].body.splitlines()[1]
    assert "…" in line and line.endswith(" https://portal.example.cn/r/Zx9")


# --------------------------------------------------------------------------- pacing


def test_pacer_keeps_every_window_and_defers_long_waits() -> None:
    clock = FakeClock()
    spec = ChannelSpec(limits=((1, 60.0), (3, 3600.0)))
    pacer = Pacer(clock)
    assert [pacer.admit("t", spec, max_wait=120) for _ in range(3)] == ["go"] * 3
    assert clock.slept == [60.0, 60.0]
    assert pacer.admit("t", spec, max_wait=120) == "paced"  # the hour is full
    pacer.block("u", 600)
    assert pacer.admit("u", spec, max_wait=120) == "throttled"
    clock.advance(601)
    assert pacer.admit("u", spec, max_wait=120) == "go"
    saved = pacer.changed()
    assert set(saved) == {"t", "u"} and len(saved["t"].recent) == 3


def test_a_hold_lasts_until_the_configuration_changes() -> None:
    old, new = ChannelSpec(fingerprint="a"), ChannelSpec(fingerprint="b")
    pacer = Pacer(FakeClock(), {"t": TargetState(held_reason="令牌无效", held_fingerprint="a")})
    assert pacer.held("t", old) == "令牌无效"
    assert not pacer.hold("t", old, "令牌无效")  # held so already: no second alert
    assert pacer.held("t", new) is None and pacer.held("t", old) is None
    assert pacer.hold("t", new, "令牌无效")


# --------------------------------------------------------------------------- settings


def test_vendor_defaults_and_overrides() -> None:
    dingtalk = channel_spec("lddingtalk", {"token": "x"}, fingerprint="f")
    assert (dingtalk.limits, dingtalk.throttle_seconds, dingtalk.digest_min) == (
        ((20, 60.0),),
        600.0,
        3,
    )
    feishu = channel_spec(
        "ldfeishu", {"token": "x", "per_minute": 30, "digest_min": 0}, fingerprint=""
    )
    assert (feishu.limits, feishu.digest_min) == (((5, 1.0), (30, 60.0)), 0)
    sms = channel_spec(
        "ldsms",
        {"access_key_id": "i", "access_key_secret": "s", "sign": "签名", "to": "1"},
        fingerprint="",
    )
    assert sms.limits == ((1, 60.0), (5, 3600.0), (10, 86400.0)) and sms.max_bytes == 0
    assert channel_spec("json", {"per_hour": 100}, fingerprint="").limits == ((100, 3600.0),)
    with pytest.raises(ValueError, match="per_minute"):
        channel_spec("ldwecom", {"token": "x", "per_minute": "many"}, fingerprint="")
    with pytest.raises(ValueError, match="access_key_secret, sign"):
        channel_spec("ldsms", {"access_key_id": "i", "to": "1"}, fingerprint="")


def test_a_vendor_entry_missing_its_token_is_refused_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "apprise.yml"
    config.write_text(
        "urls:\n  - ldoutbox://a:\n      tag: a\n  - ldwecom://qyapi.weixin.qq.com:\n"
        "      tag: wecom-b\n      per_minute: 0\n",
        encoding="utf-8",
    )
    with pytest.raises(NotifierConfigError, match=r"entry #2 .*needs the setting\(s\) token"):
        AppriseNotifier(config)
