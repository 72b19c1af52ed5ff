"""The portal's limits on the idea intake: request size, rate per source, and no reflected input.

Every answer is JSON with `X-Content-Type-Options: nosniff`; an oversize body gets 413 before it
is read, a source over its rate 429 with Retry-After; an invalid request's errors name the field
and the rule but never the submitted text (FastAPI's default 422 would echo it); a valid one is
answered with its id, ref and status only. Each malformed request is recorded in the hardening
ledger as a bad input.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from deployments.portal.app import create_app
from deployments.portal.limits import MAX_CLIENTS, Limit, PortalGuard, TokenBuckets, refuse
from models.db import session_scope
from models.ideas import Idea
from models.profile.schema import DistrictProfile
from tasks.ideas import intake
from tasks.ideas.campaign import open_campaign
from tests.hardening import Ledger

YEAR = 2026
NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)
LIMIT = 64 * 1024
SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
OBJECT = "请求体须为 JSON 对象"
NOT_JSON = "请求体不是有效的 JSON"


@pytest.fixture
def campaign(registry: DistrictProfile) -> DistrictProfile:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    return registry


@pytest.fixture
def enqueued() -> list[list[int]]:
    return []


@pytest.fixture
def client(campaign: DistrictProfile, enqueued: list[list[int]]) -> Iterator[TestClient]:
    events: list[dict[str, object]] = []
    app = create_app(
        enqueue=lambda ids, _now: enqueued.append(ids),
        emit=events.append,
        clock=lambda: NOW,
        rate_per_minute=1000,
    )
    with TestClient(app) as test_client:
        yield test_client


def _form(profile: DistrictProfile, **overrides: Any) -> dict[str, Any]:
    community = profile.streets[0].communities[0]
    form: dict[str, Any] = {
        "submitter": "张三",
        "phone": "13812345678",
        "community": community,
        "title": "社区读书会",
        "content": "建议每月在社区活动室举办一次读书会，邀请居民分享好书，营造学习氛围。",
        "year": YEAR,
    }
    return {**form, **overrides}


def _stored() -> list[Idea]:
    with session_scope() as session:
        return list(session.exec(select(Idea)).all())


def _is_json_and_nosniff(reply: Any) -> bool:
    return (
        reply.headers["content-type"].startswith("application/json")
        and reply.headers["x-content-type-options"] == "nosniff"
    )


def test_a_valid_submission_is_answered_with_id_ref_and_status_only(
    campaign: DistrictProfile,
) -> None:
    enqueued: list[list[int]] = []
    events: list[dict[str, object]] = []
    app = create_app(
        enqueue=lambda ids, _now: enqueued.append(ids), emit=events.append, clock=lambda: NOW
    )
    form = _form(campaign, content=f"<b>建议</b>每月在社区活动室举办读书会，{SCRIPT}，欢迎参加。")
    with TestClient(app) as client:
        reply = client.post("/ideas", json=form)
        again = client.post("/ideas", json=form)
    # (leaving the block stopped the app, after its announcer had finished)
    assert reply.status_code == 201, reply.text
    assert set(reply.json()) == {"id", "ref", "status"}
    assert reply.json()["status"] == "received"
    assert "<" not in reply.text and "13812345678" not in reply.text
    assert _is_json_and_nosniff(reply)
    assert again.status_code == 200 and again.json() == reply.json()
    (idea,) = _stored()
    assert idea.content == form["content"]  # stored as typed; escaping is the reader's job
    assert enqueued == [[idea.id]]
    (event,) = events  # one event for the batch, naming the idea but not its text or phone
    assert event["event"] == "district.ideas.submitted"
    assert event["payload"] == {
        "count": 1,
        "ids": [idea.id],
        "refs": [idea.ref],
        "years": [YEAR],
        "source": "http",
    }
    assert "13812345678" not in json.dumps(event) and "<" not in json.dumps(event)


@pytest.mark.parametrize(
    ("name", "overrides", "fields"),
    [
        ("unknown community", {"community": SCRIPT}, {"community"}),
        ("phone not a mobile number", {"phone": IMG}, {"phone"}),
        (
            "HTML in every text, 3 rules broken",
            {"community": SCRIPT, "phone": IMG, "title": ""},
            {"community", "phone", "title"},
        ),
        ("title over 1000 characters", {"title": SCRIPT * 40}, {"title"}),
        ("year not a number", {"year": SCRIPT}, {"year"}),
        ("year out of range", {"year": 1900}, {"year"}),
        ("submitter a list", {"submitter": [SCRIPT]}, {"submitter"}),
        ("ref in the automatic format", {"ref": "2026-000007"}, {"ref"}),
    ],
)
def test_an_invalid_submission_names_field_and_rule_without_echoing_it(
    client: TestClient,
    campaign: DistrictProfile,
    hardening: Ledger,
    name: str,
    overrides: dict[str, Any],
    fields: set[str],
) -> None:
    reply = client.post("/ideas", json=_form(campaign, **overrides))
    errors = reply.json().get("errors", {})
    echoed = any(text in reply.text for text in (SCRIPT, IMG, "<script", "<img", "2026-000007"))
    clean = (
        reply.status_code == 422
        and set(errors) == fields
        and not echoed
        and _is_json_and_nosniff(reply)
        and not _stored()
    )
    hardening.bad_input(f"POST /ideas: {name} (script/HTML payload)", rejected_cleanly=clean)
    assert reply.status_code == 422, reply.text
    assert set(errors) == fields and all(errors.values())
    assert not echoed, reply.text
    assert _is_json_and_nosniff(reply)
    assert _stored() == []


def test_a_taken_ref_is_refused_without_quoting_it(
    client: TestClient, campaign: DistrictProfile, hardening: Ledger
) -> None:
    ref = "<b>P-1</b>"
    assert client.post("/ideas", json=_form(campaign, ref=ref)).status_code == 201
    reply = client.post("/ideas", json=_form(campaign, ref=ref, title="另一条建议"))
    clean = reply.status_code == 422 and reply.json()["errors"] == {"ref": "编号已被其他建议使用"}
    hardening.bad_input("POST /ideas: a ref already used, with HTML in it", rejected_cleanly=clean)
    assert clean, reply.text
    assert "P-1" not in reply.text and "<b>" not in reply.text
    assert len(_stored()) == 1


@pytest.mark.parametrize(
    ("name", "body", "content_type", "rule"),
    [
        ("HTML instead of JSON", f"<html><body>{SCRIPT}</body></html>", "text/html", OBJECT),
        ("broken JSON", '{"title": "' + SCRIPT, "application/json", NOT_JSON),
        ("a JSON list", json.dumps([SCRIPT]), "application/json", OBJECT),
        ("a form post", f"title={SCRIPT}", "application/x-www-form-urlencoded", OBJECT),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_without_echo(
    client: TestClient, hardening: Ledger, name: str, body: str, content_type: str, rule: str
) -> None:
    reply = client.post("/ideas", content=body.encode(), headers={"content-type": content_type})
    echoed = "<script" in reply.text or "alert" in reply.text
    clean = reply.status_code == 422 and reply.json()["errors"] == {"body": rule} and not echoed
    hardening.bad_input(f"POST /ideas: {name}", rejected_cleanly=clean and not _stored())
    assert reply.status_code == 422
    assert reply.json()["errors"] == {"body": rule}
    assert not echoed, reply.text
    assert _is_json_and_nosniff(reply)
    assert _stored() == []


def test_an_oversize_body_gets_413_whether_declared_or_streamed(
    client: TestClient, campaign: DistrictProfile, hardening: Ledger
) -> None:
    big = _form(campaign, content="很" * 30_000)  # 90 KB of UTF-8, over the 64 KiB cap
    declared = client.post("/ideas", json=big)

    def chunks() -> Iterator[bytes]:
        payload = json.dumps(big).encode()
        for start in range(0, len(payload), 8192):
            yield payload[start : start + 8192]

    streamed = client.post("/ideas", content=chunks())  # chunked: no Content-Length
    for how, reply in (("Content-Length", declared), ("chunked", streamed)):
        ok = reply.status_code == 413 and reply.json()["errors"]["body"] == (
            f"请求体不能超过 {LIMIT} 字节"
        )
        hardening.bad_input(f"POST /ideas: 90 KB body ({how})", rejected_cleanly=ok)
        assert reply.status_code == 413 and ok, reply.text
        assert "很很" not in reply.text and _is_json_and_nosniff(reply)
    assert _stored() == []


def test_the_guard_answers_413_before_reading_a_body_it_will_refuse() -> None:
    """At the ASGI level: a declared oversize body is not read at all; a streamed one is read
    only until it passes the cap; the app behind never runs."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not see an oversize request")

    guard = PortalGuard(
        app,
        limits=[
            Limit(
                paths={"/ideas"},
                buckets=TokenBuckets(per_minute=60),
                max_body_bytes=1000,
                refuse=refuse,
            )
        ],
    )

    def run(headers: list[tuple[bytes, bytes]], parts: int) -> tuple[int, int]:
        reads = 0
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            return {"type": "http.request", "body": b"x" * 400, "more_body": reads < parts}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/ideas",
            "headers": headers,
            "client": ("192.0.2.1", 5000),
        }
        asyncio.run(guard(scope, receive, send))
        return sent[0]["status"], reads

    assert run([(b"content-length", b"4000")], parts=10) == (413, 0)
    assert run([], parts=10) == (413, 3)  # 1,200 bytes > 1,000 after the third part


def test_a_source_over_its_rate_gets_429_with_retry_after(
    campaign: DistrictProfile, hardening: Ledger
) -> None:
    app = create_app(
        enqueue=lambda ids, _now: None, emit=lambda _: None, clock=lambda: NOW, rate_per_minute=5
    )
    with (
        TestClient(app, client=("198.51.100.7", 40000)) as first,
        TestClient(app, client=("198.51.100.8", 40000)) as other,
    ):
        answers = [
            first.post("/ideas", json=_form(campaign, title=f"社区读书会第{n}期")).status_code
            for n in range(6)
        ]
        refused = first.post("/ideas", json=_form(campaign, title="再来一条"))
        elsewhere = other.post("/ideas", json=_form(campaign, title="另一个来源"))
    ok = answers == [201] * 5 + [429] and refused.status_code == 429
    hardening.bad_input(
        "POST /ideas: 7 submissions a minute from one IP (limit 5)", rejected_cleanly=ok
    )
    assert answers == [201] * 5 + [429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert set(refused.json()["errors"]) == {"rate"} and _is_json_and_nosniff(refused)
    assert elsewhere.status_code == 201  # another source has its own bucket
    assert len(_stored()) == 6  # the refused ones were never read, let alone stored


def test_token_buckets_refill_at_the_rate_and_forget_full_buckets_first() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=6, clock=lambda: now[0])  # a token every 10 s
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == pytest.approx(10.0)
    now[0] = 5.0
    assert buckets.take("a") == pytest.approx(5.0)  # half a token refilled
    now[0] = 10.0
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0  # every client starts with a full minute
    now[0] = 1000.0  # "b" refills to full; "a" is drained again
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    for n in range(MAX_CLIENTS - 1):
        buckets.take(f"c{n}")
    # one client too many: the full bucket ("b") is forgotten, the drained one is not
    assert len(buckets) == MAX_CLIENTS
    assert buckets.take("a") == pytest.approx(10.0)


def test_a_database_failure_answers_503_and_acknowledges_nothing(
    client: TestClient,
    campaign: DistrictProfile,
    hardening: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unavailable(**_: Any) -> list[Any]:
        statement = "INSERT INTO idea (phone, content) VALUES (?, ?)"
        raise OperationalError(statement, ("13812345678", SCRIPT), Exception("database is locked"))

    with monkeypatch.context() as patch:
        patch.setattr(intake, "submit_many", unavailable)
        form = _form(campaign, content=f"建议开设夜校课程，{SCRIPT}，方便上班族学习。")
        reply = client.post("/ideas", json=form)
    ok = reply.status_code == 503 and "ref" not in reply.json() and "<script" not in reply.text
    hardening.fault(
        "intake: database unavailable during a write → 503, nothing acknowledged", survived=ok
    )
    assert reply.status_code == 503 and reply.headers["retry-after"] == "5"
    assert set(reply.json()) == {"errors"} and _is_json_and_nosniff(reply)
    assert "<script" not in reply.text and "locked" not in reply.text
    assert "OperationalError" in caplog.text  # logged by type, without its parameters (PII)
    assert "13812345678" not in caplog.text and "<script" not in caplog.text
    assert _stored() == []
    assert client.post("/ideas", json=_form(campaign)).status_code == 201  # and it recovers


def test_unknown_paths_and_methods_answer_json_with_nosniff(client: TestClient) -> None:
    for reply in (client.get(f"/{SCRIPT}"), client.put("/ideas"), client.get("/docs")):
        assert reply.status_code in (404, 405)
        assert _is_json_and_nosniff(reply) and "<script" not in reply.text


def test_control_characters_and_bidi_overrides_are_stripped_before_storing(
    client: TestClient, campaign: DistrictProfile
) -> None:
    """U+202E would show a name reversed; PostgreSQL refuses a NUL in text."""
    form = _form(
        campaign,
        submitter="\u202e三张",
        content="建议每月在社区活动室举办一次读书会，\x00邀请居民分享好书，营造学习氛围。",
    )
    reply = client.post("/ideas", json=form)
    assert reply.status_code == 201, reply.text
    (idea,) = _stored()
    assert idea.submitter == "三张"
    assert "\x00" not in idea.content and idea.content.startswith("建议每月")
