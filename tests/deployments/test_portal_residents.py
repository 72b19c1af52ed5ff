"""The idea form for residents: the page, the checks, similar ideas, support, the JSON lookup.

Everything a resident could get wrong is refused in Chinese, names the field and stores nothing;
an idea is shown the ideas already submitted that it would join, masked, before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from deployments.portal.app import create_app
from models.db import session_scope
from models.ideas import Idea
from models.profile.schema import DistrictProfile
from models.residents import IdeaSupport
from tasks.ideas import records
from tasks.ideas.campaign import open_campaign
from tasks.ideas.intake import submit
from tasks.ideas.screening import Submission, screen_idea
from tests.hardening import Ledger

YEAR = 2026
NOW = datetime(2026, 9, 3, 2, 0, tzinfo=UTC)  # collecting since 1 September
PLANTED = "社区老年人智能手机培训班，每周两次，教老人用手机挂号、支付和视频通话，由志愿者一对一辅导"


@pytest.fixture
def client(registry: DistrictProfile) -> Iterator[TestClient]:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    with TestClient(
        create_app(clock=lambda: NOW, enqueue=lambda *_: None, emit=lambda _: None)
    ) as c:
        yield c


def community(profile: DistrictProfile) -> str:
    return profile.streets[0].communities[0]


def plant(profile: DistrictProfile, content: str = PLANTED, phone: str = "13900000001") -> str:
    ack = submit(
        year=YEAR,
        submission=Submission(
            submitter="李阿姨",
            phone=phone,
            community=community(profile),
            title="开设老年人智能手机课堂",
            content=content + "，联系我13912345678",
        ),
        source="cli",
        now=NOW,
    )
    return ack.ref


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "the page carries no form token"
    return found.group(1)


def fields(profile: DistrictProfile, token: str, **overrides: str) -> dict[str, Any]:
    return {
        "csrf": token,
        "year": str(YEAR),
        "step": "check",
        "submitter": "王小明",
        "phone": "138 0013 8000",
        "community": community(profile),
        "title": "在社区图书角增设亲子阅读时段",
        "content": "每周六上午在社区图书角安排亲子阅读时段，请志愿者给孩子讲故事，家长一起参加。",
        **overrides,
    }


def stored() -> list[Idea]:
    with session_scope() as session:
        return list(session.exec(select(Idea)).all())


def test_the_form_shows_the_campaign_and_works_without_script(
    client: TestClient, registry: DistrictProfile
) -> None:
    page = client.get("/ideas")
    assert page.status_code == 200
    assert f"{YEAR}年度学习型城区建设“金点子”征集" in page.text
    assert "2026年9月1日至2026年9月30日" in page.text
    assert community(registry) in page.text and 'action="/ideas/form"' in page.text
    assert (
        "<script" not in page.text
        and "script-src 'none'" in page.headers["content-security-policy"]
    )
    assert page.cookies.get("ld_form")
    closed = client.get("/ideas?year=2031")
    assert closed.status_code == 404 and "尚未启动" in closed.text


def test_a_new_idea_without_similar_ones_is_stored_and_acknowledged(
    client: TestClient, registry: DistrictProfile
) -> None:
    token = csrf(client.get("/ideas").text)
    reply = client.post("/ideas/form", data=fields(registry, token))
    assert reply.status_code == 200, reply.text
    assert "已收到您的建议" in reply.text
    (idea,) = stored()
    assert idea.phone == "13800138000" and idea.source == "http"
    assert idea.ref in reply.text
    again = client.post("/ideas/form", data=fields(registry, token))
    assert "您已提交过这条建议" in again.text and len(stored()) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"phone": "12345"}, "手机号", "11 位"),
        ({"content": "加微信领取免费课程，名额有限，请尽快报名参加"}, "内容", "广告"),
        ({"content": "详情请见 www.example.com 上的介绍和报名页面"}, "内容", "网址"),
        ({"content": "好好好好好好好好好好好好好好好好"}, "内容", "重复"),
        ({"title": ""}, "标题", "1-100"),
        ({"community": "<b>不存在的居委</b>"}, "所在社区", "社区名录"),
        ({"content": "学习" * 2501}, "内容", "10-5000"),
        ({"category": "<b>不存在的居委</b>"}, "类别", "类别须为征集列出的类别之一"),
    ],
)
def test_bad_input_is_refused_in_chinese_names_the_field_and_stores_nothing(
    client: TestClient,
    registry: DistrictProfile,
    overrides: dict[str, str],
    field: str,
    rule: str,
    hardening: Ledger,
) -> None:
    token = csrf(client.get("/ideas").text)
    reply = client.post("/ideas/form", data=fields(registry, token, **overrides))
    ok = (
        reply.status_code == 422
        and re.search(f"{field}：[^<]*{re.escape(rule)}", reply.text) is not None
        and "<b>不存在的居委</b>" not in reply.text  # escaped where it is shown back
        and stored() == []
    )
    hardening.bad_input(f"idea form: {field} ({rule})", rejected_cleanly=ok)
    assert ok, reply.text


def test_a_chosen_category_is_kept_by_screening_and_none_leaves_it_to_the_keywords(
    client: TestClient, registry: DistrictProfile
) -> None:
    page = client.get("/ideas").text
    assert "类别（选填）" in page and '<option value="">不确定，由工作人员归类</option>' in page
    labels = registry.ideas.category_labels
    assert f'<option value="health">{labels["health"]}</option>' in page
    token = csrf(page)
    chosen = client.post("/ideas/form", data=fields(registry, token, category="health"))
    assert chosen.status_code == 200 and "已收到您的建议" in chosen.text, chosen.text
    other = {
        "phone": "13900139000",
        "title": "开办社区老年大学书法班",
        "content": "请社区学校为老年人开办书法班，每周一次，由退休教师义务授课。",
    }
    unchosen = client.post("/ideas/form", data=fields(registry, token, **other))
    assert unchosen.status_code == 200 and "已收到您的建议" in unchosen.text, unchosen.text
    by_phone = {i.phone: i for i in stored()}
    assert by_phone["13800138000"].chosen_category == "health"
    assert by_phone["13900139000"].chosen_category == ""
    records.screen_ids(ids=[i.id for i in by_phone.values() if i.id is not None], now=NOW)
    by_phone = {i.phone: i for i in stored()}
    kept = by_phone["13800138000"]
    assert kept.category == "health" and "提交人自选类别" in kept.reason
    keywords = screen_idea(title=other["title"], content=other["content"], policy=registry.ideas)
    assert by_phone["13900139000"].category == keywords.category != "health"


def test_a_form_from_elsewhere_and_an_oversized_body_are_refused(
    client: TestClient, registry: DistrictProfile
) -> None:
    client.get("/ideas")
    forged = client.post("/ideas/form", data=fields(registry, "0" * 32))
    assert forged.status_code == 403 and "页面已过期" in forged.text
    big = client.post(
        "/ideas/form",
        content=b"x" * 70_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 413 and "提交的内容过大" in big.text
    assert stored() == []


def test_a_similar_idea_is_shown_masked_and_supported_instead(
    client: TestClient, registry: DistrictProfile
) -> None:
    ref = plant(registry)
    token = csrf(client.get("/ideas").text)
    data = fields(
        registry,
        token,
        title="老年人智能手机培训",
        content=PLANTED.replace("每周两次", "每周三次"),
    )
    step = client.post("/ideas/form", data=data)
    assert step.status_code == 200 and "已有相似的建议" in step.text
    assert ref in step.text and "我也支持这条" in step.text
    assert "13912345678" not in step.text and "139****5678" in step.text
    assert len(stored()) == 1  # nothing stored before the resident chooses
    supported = client.post("/ideas/support", data={**data, "ref": ref})
    assert supported.status_code == 200 and "已记录您的支持" in supported.text
    twice = client.post("/ideas/support", data={**data, "ref": ref})
    assert "您已支持过这条建议" in twice.text
    with session_scope() as session:
        (support,) = session.exec(select(IdeaSupport)).all()
    assert (support.ref, support.phone, support.supporter) == (ref, "13800138000", "王小明")
    assert len(stored()) == 1
    anyway = client.post("/ideas/form", data={**data, "step": "new"})
    assert "已收到您的建议" in anyway.text and len(stored()) == 2


def test_similar_ideas_as_json_follow_every_submission(
    client: TestClient, registry: DistrictProfile
) -> None:
    query = {"year": YEAR, "title": "老年人智能手机培训", "text": PLANTED}
    assert client.get("/ideas/similar", params=query).json()["matches"] == []
    token = csrf(client.get("/ideas").text)
    client.post(
        "/ideas/form",
        data=fields(registry, token, title="开设老年人智能手机课堂", content=PLANTED, step="new"),
    )
    found = client.get("/ideas/similar", params=query).json()
    assert found["count"] == 1
    (match,) = found["matches"]
    assert set(match) == {"ref", "title", "text", "similarity", "supporters"}
    assert match["similarity"] >= 0.6 and match["ref"].startswith(f"{YEAR}-")
    far = client.get("/ideas/similar", params={**query, "text": "完全不同的一条关于垃圾分类的建议"})
    assert far.json()["count"] == 0
    bad = client.get("/ideas/similar", params={"year": 1900, "text": "x"})
    assert bad.status_code == 422 and "year" in bad.json()["errors"]


def test_the_submitter_follows_the_status_link_from_receipt_to_done(
    client: TestClient, registry: DistrictProfile
) -> None:
    from datetime import date as day

    from models.ideas import IdeaAction, IdeaResult
    from models.outbox import OutboxMessage
    from tasks.ideas.campaign import start_review
    from tasks.ideas.records import screen_ids

    token = csrf(client.get("/ideas").text)
    thanks = client.post("/ideas/form", data=fields(registry, token))
    link = re.search(r'href="(/s/[A-Za-z0-9_-]{43})"', thanks.text)
    assert link, thanks.text
    (idea,) = stored()
    with session_scope() as session:
        (message,) = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "received")
        ).all()
    assert link.group(1) in message.body and message.audience == f"idea-submitter-{idea.ref}"

    def steps() -> str:
        page = client.get(link.group(1))
        assert page.status_code == 200 and idea.ref in page.text
        return re.sub(r"<[^>]+>", " ", page.text)

    assert "正在初审" in steps()
    assert idea.id is not None
    screen_ids(ids=[idea.id], now=NOW)
    assert "已通过初审" in steps() and "评审中" not in steps()
    start_review(year=YEAR)
    assert "评审中" in steps()
    with session_scope() as session:
        session.add(IdeaResult(year=YEAR, ref=idea.ref, members=[idea.ref], rank=2, tier="十佳"))
        session.add(
            IdeaAction(
                year=YEAR, ref=idea.ref, department="区图书馆", due=day(2027, 3, 1), progress=40
            )
        )
    text = steps()
    assert "已采纳" in text and "评为十佳" in text and "区图书馆负责，已完成40%" in text
    with session_scope() as session:
        action = session.exec(select(IdeaAction)).one()
        action.status, action.progress, action.note = "done", 100, "已在全街道推广"
        session.add(action)
    assert "已办结" in steps() and "已在全街道推广" in steps()
    unknown = client.get("/s/" + "A" * 43)
    assert unknown.status_code == 404 and "链接无效" in unknown.text


def test_receipts_issued_together_give_each_a_link_and_each_idea_one_message(
    client: TestClient, registry: DistrictProfile
) -> None:
    from models.outbox import OutboxMessage
    from tasks.ideas.status import idea_status, issue_receipts

    first = plant(registry)
    second = plant(
        registry,
        content="小区楼道文化墙翻新，请居民和学校美术老师一起设计绘制",
        phone="13900000002",
    )

    tokens = issue_receipts([(YEAR, first), (YEAR, second), (YEAR, first)], now=NOW)

    assert len(set(tokens)) == 3
    assert [
        progress.ref for progress in (idea_status(t, zone=UTC) for t in tokens) if progress
    ] == [
        first,
        second,
        first,
    ]
    with session_scope() as session:
        bodies = {
            m.key.rsplit(":", 1)[1]: m.body
            for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "received"))
        }
    assert sorted(bodies) == sorted([first, second])
    assert f"/s/{tokens[0]}" in bodies[first] and f"/s/{tokens[2]}" not in bodies[first]
    assert f"/s/{tokens[1]}" in bodies[second]
