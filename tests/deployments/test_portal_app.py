"""The portal app as a phone browser sees it: Chinese pages, local assets, strict headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from deployments.portal.app import create_app
from models.db import session_scope
from models.ideas import Idea
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from tasks.ideas.campaign import open_campaign


@pytest.fixture
def client(registry: DistrictProfile) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_pages_are_chinese_with_strict_headers_and_only_local_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "社区教育服务平台" in page.text and 'lang="zh-CN"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text
    css = client.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text  # nothing fetched from elsewhere
    assert css.headers["cache-control"].startswith("public")


def test_the_json_intake_keeps_a_chosen_category_and_refuses_an_unknown_one(
    registry: DistrictProfile,
) -> None:
    open_campaign(year=2026, start=date(2026, 9, 1))
    app = create_app(
        clock=lambda: datetime(2026, 9, 3, 2, 0, tzinfo=UTC),
        enqueue=lambda *_: None,
        emit=lambda _: None,
    )
    form = {
        "year": 2026,
        "submitter": "王小明",
        "phone": "13800138000",
        "community": registry.streets[0].communities[0],
        "title": "在社区图书角增设亲子阅读时段",
        "content": "每周六上午在社区图书角安排亲子阅读时段，请志愿者给孩子讲故事。",
    }
    label = registry.ideas.category_labels["health"]
    with TestClient(app) as client:
        unknown = client.post("/ideas", json={**form, "category": "乱选的类别"})
        chosen = client.post("/ideas", json={**form, "category": label})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {
        "category": "类别须为征集列出的类别之一，或留空由工作人员归类"
    }
    assert "乱选" not in unknown.text
    assert chosen.status_code == 201, chosen.text
    with session_scope() as session:
        (idea,) = session.exec(select(Idea)).all()
    assert idea.chosen_category == "health"  # the Chinese name, stored as its code


def test_the_years_calendar_is_offered_as_a_subscription(client: TestClient) -> None:
    from tasks.calendar import meetings, plan, records
    from tasks.calendar.scheduling import solve_schedule
    from tasks.common.ics import parse_ics

    inputs = records.plan_inputs(CalendarParameters(year=2026), year=2026)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    plan.record_calendar(inputs=inputs, schedule=schedule)
    meetings.cancel_meeting(year=2026, key="theory_symposium", reason="合并召开")

    feed = client.get("/calendar/2026.ics")

    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = parse_ics(feed.content)
    assert {e.method for e in events} == {"PUBLISH"} and len(events) == 6
    assert "theory_symposium" not in " ".join(e.uid for e in events)
    missing = client.get("/calendar/2031.ics")
    assert missing.status_code == 404 and "没有该年度的社区教育日历" in missing.text
    assert "/calendar/" in client.get("/").text
