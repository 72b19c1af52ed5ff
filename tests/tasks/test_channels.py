"""The Chinese channels against local fakes of each vendor (tests/vendor_fakes.py): delivered only
on the vendor's success code, throttling waited out within 20 a minute, a broken configuration
held with one alert, digests and parts within the vendor's length, SMS by approved template."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.profile.notifications import NotificationPolicy, SmsTemplate
from models.settings import get_settings
from tasks.notify.adapter import AppriseNotifier
from tasks.notify.delivery import DeliveryReport, deliver_pending
from tasks.notify.staging import stage_message
from tasks.notify.targets import resume, stored_targets
from tests.vendor_fakes import FakeClock, VendorFake

# --------------------------------------------------------------------------- helpers


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fakes() -> Iterator[list[VendorFake]]:
    started: list[VendorFake] = []
    yield started
    for fake in started:
        fake.close()


def vendor(fakes: list[VendorFake], name: str, clock: FakeClock, **options: Any) -> VendorFake:
    fake = VendorFake(name, clock=clock, **options)
    fakes.append(fake)
    return fake


SCHEME = {"dingtalk": "lddingtalk", "wecom": "ldwecom", "feishu": "ldfeishu", "sms": "ldsms"}


def config(tmp_path: Path, fake: VendorFake, tag: str = "street-a", **settings: Any) -> Path:
    """One vendor target tagged `tag` (its token a secret from the environment) and a local
    outbox for the operator's alerts."""
    lines = [f"      {key}: {value}" for key, value in settings.items()]
    text = "\n".join(
        [
            "version: 1",
            "template:",
            "  - robot_token",
            "urls:",
            f"  - {SCHEME[fake.vendor]}://127.0.0.1:{fake.port}:",
            f"      tag: {tag}",
            "      tls: no",
            *([] if fake.vendor == "sms" else ["      token: ${robot_token}"]),
            *lines,
            "  - ldoutbox://operator:",
            "      tag: operator",
        ]
    )
    path = tmp_path / "apprise.yml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def stage_many(
    count: int, *, audience: str = "street-a", kind: str = "selected", **fields: Any
) -> list[int]:
    ids = []
    with session_scope() as session:
        for number in range(count):
            message = stage_message(
                session,
                flow="secondment",
                year=2026,
                kind=kind,
                recipient=f"T{number:03d}",
                audience=audience,
                title=fields.get("title", "挂职通知"),
                body=fields.get("body", f"第{number}位老师：您已入选2026年度社区教育挂职。"),
            )
            assert message is not None and message.id is not None
            ids.append(message.id)
    return ids


def rows(message_ids: list[int]) -> list[Delivery]:
    with session_scope() as session:
        return list(
            session.exec(
                select(Delivery)
                .where(col(Delivery.message_id).in_(message_ids))
                .order_by(col(Delivery.message_id))
            )
        )


def statuses(message_ids: list[int]) -> list[str]:
    with session_scope() as session:
        return [
            m.status
            for m in session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(message_ids))
                .order_by(col(OutboxMessage.id))
            )
        ]


def alerts_in_outbox(db: Path) -> list[dict[str, Any]]:
    outbox = db / "outbox.jsonl"
    if not outbox.exists():
        return []
    return [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]


def deliver(notifier: AppriseNotifier, clock: FakeClock) -> DeliveryReport:
    return deliver_pending(notifier=notifier, clock=clock)


# --------------------------------------------------------------------------- truthful delivery


def test_signed_dingtalk_messages_are_delivered_on_errcode_0(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_SECRET", "SEC0123abcd")
    fake = vendor(fakes, "dingtalk", clock, secret="SEC0123abcd")
    path = config(tmp_path, fake, secret="${robot_secret}")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "  - robot_token", "  - robot_token\n  - robot_secret"
        ),
        encoding="utf-8",
    )
    ids = stage_many(2)

    report = deliver(AppriseNotifier(path, clock=clock), clock)

    assert (report.messages_delivered, report.sends_ok) == (2, 2)
    assert len(fake.delivered) == 2
    assert all(r.query["timestamp"] == str(int(clock.time() * 1000)) for r in fake.delivered)
    assert [r.text.splitlines()[0] for r in fake.delivered] == ["挂职通知", "挂职通知"]
    assert {(d.status, d.attempts, d.last_code) for d in rows(ids)} == {("delivered", 1, "")}


@pytest.mark.parametrize(
    ("name", "options", "code", "reason"),
    [
        ("dingtalk", {"keyword": "社区教育通知"}, "310000", "自定义关键词"),
        ("dingtalk", {"secret": "SECexpected"}, "310000", "加签"),
        ("wecom", {"token": "another-key"}, "93000", "机器人地址无效"),
        ("feishu", {"secret": "feishu-secret"}, "19021", "签名校验未通过"),
        ("feishu", {"keyword": "区社区教育中心"}, "19024", "自定义关键词"),
    ],
)
def test_a_refusal_answered_with_http_200_is_never_recorded_as_delivered(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    options: dict[str, Any],
    code: str,
    reason: str,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fake = vendor(fakes, name, clock, **options)
    ids = stage_many(1)

    report = deliver(AppriseNotifier(config(tmp_path, fake), clock=clock), clock)

    assert len(fake.requests) == 1 and fake.delivered == []
    # Every one of these is the robot's configuration: the target is held, the operator told.
    assert (report.sends_failed, report.config_alerts) == (1, ["street-a"])
    (row,) = rows(ids)
    assert (row.status, row.last_code) == ("failed", code)
    assert f"错误码 {code}" in row.last_error and reason in row.last_error
    assert "robot-token-1" not in row.last_error
    assert statuses(ids) == ["failed"]
    with session_scope() as session:
        (attempt,) = session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == row.id)
        ).all()
    assert (attempt.ok, attempt.code) == (False, code)


def test_bad_token_raises_one_alert_and_no_retry_storm_until_the_token_is_fixed(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "a-stale-key")
    fake = vendor(fakes, "wecom", clock)
    path = config(tmp_path, fake, digest_min=0)
    ids = stage_many(5)

    passes = []
    for _ in range(3):
        passes.append(deliver(AppriseNotifier(path, clock=clock), clock))
        clock.advance(600)  # the sweeper's interval

    # One request found the key wrong; nothing was tried again, three sweeps later.
    assert len(fake.requests) == 1 and fake.delivered == []
    assert passes[0].config_alerts == ["street-a"] and passes[0].sends_held == 4
    assert [p.config_alerts for p in passes[1:]] == [[], []]
    assert [p.sends_held for p in passes[1:]] == [5, 5]
    first, *rest = rows(ids)
    assert (first.status, first.attempts, first.last_code) == ("failed", 1, "93000")
    assert {(r.status, r.attempts) for r in rest} == {("pending", 0)}
    (alert,) = alerts_in_outbox(db)
    assert alert["tags"] == ["operator"] and "street-a" in alert["title"]
    assert "机器人地址无效" in alert["body"] and "a-stale-key" not in alert["body"]
    assert "93000" not in alert["body"]  # the code is in the delivery record, not the message
    (held,) = stored_targets()
    assert held.name == "street-a" and "93000" in held.held_reason

    # The operator puts the right key in the environment: the configuration changed, so the
    # next pass resumes the target by itself.
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fixed = deliver(AppriseNotifier(path, clock=clock), clock)

    assert (fixed.messages_delivered, fixed.sends_ok, fixed.config_alerts) == (5, 5, [])
    assert len(fake.delivered) == 5 and statuses(ids) == ["delivered"] * 5
    assert len(alerts_in_outbox(db)) == 1
    assert stored_targets()[0].held_reason == ""


def test_a_refusal_fixed_at_the_vendor_waits_for_the_operator_to_resume(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fake = vendor(fakes, "dingtalk", clock, keyword="区社区教育中心")
    path = config(tmp_path, fake)
    ids = stage_many(2)
    deliver(AppriseNotifier(path, clock=clock), clock)
    fake.keyword = None  # the robot's keyword rule is relaxed in DingTalk's own settings

    held = deliver(AppriseNotifier(path, clock=clock), clock)
    assert (held.sends_held, len(fake.requests)) == (2, 1)

    listed = CliRunner().invoke(app, ["notify", "targets"])
    assert listed.exit_code == 0 and "street-a：已暂停：" in listed.output
    assert "自定义关键词" in listed.output
    resumed_cli = CliRunner().invoke(app, ["notify", "resume", "street-a"])
    assert resumed_cli.exit_code == 0 and "已恢复" in resumed_cli.output
    assert not resume("street-a")  # nothing holds it any more
    resumed = deliver(AppriseNotifier(path, clock=clock), clock)

    assert resumed.messages_delivered == 2 and statuses(ids) == ["delivered", "delivered"]
    assert len(alerts_in_outbox(db)) == 1


# --------------------------------------------------------------------------- pacing


def test_throttled_robot_gets_the_rest_after_its_window_never_over_20_a_minute(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fake = vendor(fakes, "dingtalk", clock)
    path = config(tmp_path, fake, digest_min=0)
    fake.other_sender(15)  # another system shares the robot: 15 of its 20 this minute are gone
    start = clock.time()
    ids = stage_many(30)

    first = deliver(AppriseNotifier(path, clock=clock), clock)

    # Five went, the sixth was throttled (HTTP 200, errcode 410100): failed, not delivered,
    # and the other 24 were left for after DingTalk's ten-minute window.
    assert (first.sends_ok, first.sends_failed, first.sends_deferred) == (5, 1, 24)
    throttled = rows(ids)[5]
    assert (throttled.status, throttled.last_code) == ("failed", "410100")
    assert "限流" in throttled.last_error

    clock.advance(300)
    during = deliver(AppriseNotifier(path, clock=clock), clock)
    assert (during.sends_ok, during.sends_failed, during.sends_deferred) == (0, 0, 25)
    assert len(fake.requests) == 6  # nothing was sent while the robot was throttled

    clock.advance(301)
    after = deliver(AppriseNotifier(path, clock=clock), clock)

    assert (after.sends_ok, after.messages_delivered) == (25, 25)
    assert statuses(ids) == ["delivered"] * 30
    assert len(fake.requests) == 31  # every message once, the throttled one twice
    # Never more than 20 in any minute, counting the other system's 15, and the last 5 after
    # a wait of about a minute on the clock.
    assert max(fake.in_window(r.at) for r in fake.delivered) <= 20
    assert not [r for r in fake.requests[6:] if r.at < start + 600]
    assert any(55 <= s <= 60 for s in clock.slept)
    assert (throttled.message_id, rows([throttled.message_id])[0].attempts) == (ids[5], 2)


def test_pacing_holds_20_a_minute_across_passes(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fake = vendor(fakes, "wecom", clock)
    path = config(tmp_path, fake, digest_min=0)
    stage_many(15)
    deliver(AppriseNotifier(path, clock=clock), clock)
    clock.advance(10)
    with session_scope() as session:
        for number in range(10):
            stage_message(
                session,
                flow="calendar",
                year=2026,
                kind="later",
                recipient=f"C{number}",
                audience="street-a",
                title="会议通知",
                body=f"第{number}条",
            )

    # The second pass, ten seconds later (a new notifier, as another process would build),
    # knows the 15 sent before: 5 go now, 5 after the minute is over.
    report = deliver_pending(notifier=AppriseNotifier(path, clock=clock), clock=clock)

    assert report.sends_ok == 10 and fake.delivered and len(fake.delivered) == 25
    assert max(fake.in_window(r.at) for r in fake.delivered) <= 20
    assert [r.answer["errcode"] for r in fake.requests] == [0] * 25


def test_a_wait_longer_than_the_lane_may_leaves_the_rest_pending(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fake = vendor(fakes, "wecom", clock)
    ids = stage_many(25)

    report = deliver_pending(
        notifier=AppriseNotifier(config(tmp_path, fake, digest_min=0), clock=clock),
        clock=clock,
        max_wait=10,
    )

    assert (report.sends_ok, report.sends_deferred, report.messages_waiting) == (20, 5, 5)
    assert statuses(ids).count("pending") == 5 and clock.slept == []


# --------------------------------------------------------------------------- digests and length


def test_many_notices_for_one_robot_go_as_a_digest_within_its_length(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    monkeypatch.setenv("LD_PUBLIC_URL", "https://portal.example.gov.cn/")
    get_settings.cache_clear()
    fake = vendor(fakes, "wecom", clock)
    ids = stage_many(
        40,
        body="老师您好：您已入选2026年度社区教育挂职，请于2026年3月6日前到街道社区学校报到，并携带本人身份证件和学校出具的推荐表。",
    )

    report = deliver(AppriseNotifier(config(tmp_path, fake), clock=clock), clock)

    assert (report.messages_delivered, report.sends_ok) == (40, 40)
    texts = [r.text for r in fake.delivered]
    assert 1 < len(texts) < 40 and len(fake.requests) == len(texts)
    assert all(len(text.encode()) <= 2048 for text in texts)
    assert texts[0].startswith("【通知汇总】共40条（1/")
    items = [line for text in texts for line in text.splitlines() if line[:1].isdigit()]
    assert len(items) == 40 and items[0].startswith("1. 挂职通知：") and items[0].endswith("…")
    assert texts[-1].endswith("全文请登录 https://portal.example.gov.cn 查看。")
    assert statuses(ids) == ["delivered"] * 40


def test_one_long_notice_is_split_into_numbered_parts(
    db: Path,
    tmp_path: Path,
    clock: FakeClock,
    fakes: list[VendorFake],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "robot-token-1")
    fake = vendor(fakes, "wecom", clock)
    body = "\n".join(
        f"{n}. 第{n}位入选教师：姓名、学校、挂职街道、报到日期。" for n in range(1, 121)
    )
    (message_id,) = stage_many(1, body=body)

    deliver(AppriseNotifier(config(tmp_path, fake), clock=clock), clock)

    texts = [r.text for r in fake.delivered]
    total = len(texts)
    assert total >= 3 and all(len(t.encode()) <= 2048 for t in texts)
    assert [t.splitlines()[0] for t in texts] == [
        f"挂职通知（{'续' if n > 1 else ''}{n}/{total}）" for n in range(1, total + 1)
    ]
    assert "\n".join(line for t in texts for line in t.splitlines()[1:]) == body
    assert statuses([message_id]) == ["delivered"]


# --------------------------------------------------------------------------- SMS


SMS_TEMPLATES = {"SMS_460815001": (["title", "link"], "您有一条新通知：${title}，详见${link}")}


def sms_notifier(path: Path, clock: FakeClock) -> AppriseNotifier:
    policy = NotificationPolicy(
        sms_templates=[
            SmsTemplate(
                kinds=["selected", "invitation-*"],
                template_code="SMS_460815001",
                params={"title": "title", "link": "link"},
            )
        ]
    )
    return AppriseNotifier(
        path, clock=clock, policy=policy, public_url="https://portal.example.gov.cn"
    )


def sms_config(tmp_path: Path, fake: VendorFake, secret: str = "test-key-secret") -> Path:
    return config(
        tmp_path,
        fake,
        tag="teacher-t001",
        access_key_id="LTAI-test-id",
        access_key_secret=secret,
        sign="示例区社区教育",
        to="13800138000",
    )


def test_sms_goes_by_its_approved_template_and_signature(
    db: Path, tmp_path: Path, clock: FakeClock, fakes: list[VendorFake]
) -> None:
    fake = vendor(fakes, "sms", clock, templates=SMS_TEMPLATES)
    notifier = sms_notifier(sms_config(tmp_path, fake), clock)
    first = stage_many(1, audience="teacher-t001", title="2026年度社区教育挂职入选通知")
    second = stage_many(
        1,
        audience="teacher-t001",
        kind="invitation-work_conference-v0",
        title="社区教育工作会议通知",
    )

    report = deliver(notifier, clock)

    # One text a minute to one phone: the second waited on the clock instead of being refused.
    assert (report.messages_delivered, report.sends_ok) == (2, 2)
    assert [r.text for r in fake.delivered] == [
        "【示例区社区教育】您有一条新通知：2026年度社区教育挂职入选通知，详见https://portal.example.gov.cn",
        "【示例区社区教育】您有一条新通知：社区教育工作会议通知，详见https://portal.example.gov.cn",
    ]
    assert fake.delivered[1].at - fake.delivered[0].at >= 60
    assert {r.answer["Code"] for r in fake.requests} == {"OK"}
    assert statuses(first + second) == ["delivered", "delivered"]


def test_a_kind_without_an_sms_template_is_not_sent_and_says_so(
    db: Path, tmp_path: Path, clock: FakeClock, fakes: list[VendorFake]
) -> None:
    fake = vendor(fakes, "sms", clock, templates=SMS_TEMPLATES)
    notifier = sms_notifier(sms_config(tmp_path, fake), clock)
    ids = stage_many(1, audience="teacher-t001", kind="declined")

    report = deliver(notifier, clock)
    again = deliver(notifier, clock)

    assert fake.requests == []
    assert (report.sends_refused, report.messages_refused) == (1, 1)
    (row,) = rows(ids)
    assert row.status == "refused" and "没有经审核的短信模板，未通过短信发送" in row.last_error
    assert statuses(ids) == ["refused"]
    assert (again.sends_ok, again.sends_failed, again.sends_refused) == (0, 0, 0)


def test_sms_with_a_wrong_access_key_is_held_with_one_alert(
    db: Path, tmp_path: Path, clock: FakeClock, fakes: list[VendorFake]
) -> None:
    fake = vendor(fakes, "sms", clock, templates=SMS_TEMPLATES)
    notifier = sms_notifier(sms_config(tmp_path, fake, secret="an-old-secret"), clock)
    ids = stage_many(3, audience="teacher-t001")

    first = deliver(notifier, clock)
    second = deliver(notifier, clock)

    assert len(fake.requests) == 1 and fake.requests[0].answer["Code"] == "SignatureDoesNotMatch"
    assert (first.config_alerts, first.sends_held, second.sends_held) == (["teacher-t001"], 2, 3)
    assert rows(ids)[0].last_code == "SignatureDoesNotMatch"
    (alert,) = alerts_in_outbox(db)
    assert "an-old-secret" not in json.dumps(alert, ensure_ascii=False)


# --------------------------------------------------------------------------- the README


def test_the_readme_config_and_profile_section_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### DingTalk, WeCom, Feishu, e-mail and SMS", 1)[1]
    config_text, profile_text = [
        block.split("```", 1)[0] for block in section.split("```yaml\n")[1:3]
    ]
    for name in ("dingtalk_token", "dingtalk_secret", "wecom_key", "smtp_password"):
        monkeypatch.setenv(f"APPRISE_TEMPLATE_{name.upper()}", "abc123secret")
    monkeypatch.setenv("APPRISE_TEMPLATE_SMS_KEY_ID", "LTAI-id")
    monkeypatch.setenv("APPRISE_TEMPLATE_SMS_KEY_SECRET", "sms-secret")
    path = tmp_path / "apprise.yml"
    path.write_text(config_text, encoding="utf-8")

    notifier = AppriseNotifier(path)

    assert notifier.names == [
        "dingtalk-jiaxing",
        "mail-jiaxing",
        "street-曲阳路街道",
        "teacher-t0001",
        "operator",
    ]
    assert notifier.targets("street-嘉兴路街道") == ["dingtalk-jiaxing", "mail-jiaxing"]
    assert notifier.spec("street-曲阳路街道").limits == ((10, 60.0),)
    assert notifier.spec("dingtalk-jiaxing").throttle_seconds == 600.0
    assert notifier.spec("teacher-t0001").vendor == "sms"
    policy = NotificationPolicy.model_validate(yaml.safe_load(profile_text)["notifications"])
    assert policy.sms_template("invitation-work_conference-v1") is not None
