"""Personal links on the portal: the pages, the answers, and every link that must be refused.

A forged, expired, revoked, closed, used-up or other-recipient link gets the Chinese refusal
page and changes nothing; a form sent twice is one answer; every answer is stored with the
event that announces it, and the events go to the Prefect API given to the app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from deployments.portal.app import create_app
from models.db import session_scope
from models.params.calendar import ConfirmParameters, RsvpParameters
from models.profile.schema import DistrictProfile
from models.responses import ResponseAnswer, ResponseRequest
from tasks.common import links
from tasks.common.events import PrefectApi
from tasks.responses import records

YEAR = 2026
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 6, 15, 59, 59, tzinfo=UTC)  # 6 March, end of day in Shanghai


def ask(purpose: links.Purpose, recipient: str, subject: str, **details: Any) -> str:
    """Issue a link as a staging records function does; the token of its URL."""
    with session_scope() as session:
        url = links.ask(
            session,
            purpose=purpose,
            year=YEAR,
            recipient=recipient,
            subject=subject,
            audience=f"teacher-{recipient}",
            deadline=DEADLINE,
            details={"recipient_name": recipient, "title": subject, **details},
            now=NOW - timedelta(days=1),
        )
    assert url.startswith("http://127.0.0.1:8765/r/")
    return url.rsplit("/", 1)[1]


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def client(registry: DistrictProfile, clock: list[datetime]) -> Iterator[TestClient]:
    with TestClient(create_app(clock=lambda: clock[0])) as test_client:
        yield test_client


def answers() -> list[ResponseAnswer]:
    with session_scope() as session:
        return list(session.exec(select(ResponseAnswer).order_by(ResponseAnswer.id)).all())  # type: ignore[arg-type]


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


def post(client: TestClient, token: str, page: str, **fields: str) -> httpx.Response:
    form = {"csrf": hidden(page, "csrf"), "form_id": hidden(page, "form_id"), **fields}
    return client.post(f"/r/{token}", data=form)


def is_refusal(reply: httpx.Response, status: int, heading: str) -> bool:
    return (
        reply.status_code == status
        and heading in reply.text
        and reply.headers["content-type"].startswith("text/html")
        and reply.headers["referrer-policy"] == "no-referrer"
    )


def test_a_teacher_declines_once_and_the_link_is_then_used_up(client: TestClient) -> None:
    token = ask("secondment", "T00001", "嘉兴路街道", street="嘉兴路街道", year=YEAR)
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "挂职到岗确认" in page.text and "2026年3月6日" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text
    cookie = page.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    again = client.get(f"/r/{token}")  # the browser sends the cookie back and keeps it
    assert again.status_code == 200 and "set-cookie" not in again.headers

    missing = post(client, token, page.text, choice="decline")
    assert missing.status_code == 422 and "请说明不能到岗的原因" in missing.text
    assert answers() == []

    done = post(client, token, page.text, choice="decline", reason="家中老人需要照顾\u202e")
    assert done.status_code == 200 and "已收到您的回复" in done.text
    (stored,) = answers()
    assert stored.choice == "decline" and stored.fields == {"reason": "家中老人需要照顾"}
    assert stored.event["event"] == "district.secondment.declined"
    assert stored.event["payload"] == {
        "year": YEAR,
        "staff_id": "T00001",
        "reason": "家中老人需要照顾",
    }
    assert stored.announced_at is None  # no Prefect API given: the sweeper announces it

    again = client.get(f"/r/{token}")
    assert is_refusal(again, 409, "已经回复") and "不能到岗" in again.text
    fresh = post(
        client, token, page.text.replace(hidden(page.text, "form_id"), "x" * 22), choice="confirm"
    )
    assert is_refusal(fresh, 409, "已经回复")
    assert len(answers()) == 1


def test_a_double_submitted_form_records_one_answer(client: TestClient) -> None:
    token = ask(
        "meeting",
        "street_staff",
        "work_conference",
        day="2026-03-20",
        start="09:00",
        end="11:30",
        venue="报告厅",
    )
    page = client.get(f"/r/{token}").text
    first = post(client, token, page, choice="attend")
    second = post(client, token, page, choice="attend")
    assert first.status_code == second.status_code == 200
    assert len(answers()) == 1
    # a new form page is a new answer: an RSVP may change until the deadline
    changed = post(
        client, token, client.get(f"/r/{token}").text, choice="delegate", delegate="王五"
    )
    assert changed.status_code == 200 and "王五" in changed.text
    last = answers()[-1]
    assert last.choice == "delegate" and last.event["payload"]["response"] == "参加"
    assert last.event["payload"]["comment"] == "委派王五参加"
    # the event starts the calendar's own RSVP form: its payload is that form
    assert RsvpParameters.model_validate(last.event["payload"]).attendee == "street_staff"
    assert len(answers()) == 2


def test_forged_unknown_and_other_recipient_tokens_change_nothing(client: TestClient) -> None:
    mine = ask("secondment", "T00001", "嘉兴路街道", street="嘉兴路街道", year=YEAR)
    other = ask("secondment", "T00002", "洛阳路街道", street="洛阳路街道", year=YEAR)
    my_page = client.get(f"/r/{mine}").text
    forged = links.new_token()
    for token in (forged, mine[:-1] + ("A" if mine[-1] != "A" else "B"), "short", "<script>"):
        reply = client.get(f"/r/{token}")
        assert is_refusal(reply, 404, "链接无效"), token
        assert token not in reply.text  # nothing reflected
    assert is_refusal(post(client, forged, my_page, choice="decline", reason="x"), 404, "链接无效")
    # my form (its token bound to my link) sent to the other teacher's link
    assert is_refusal(post(client, other, my_page, choice="decline", reason="x"), 403, "页面已过期")
    # no cookie, or a token of another browser
    client.cookies.clear()
    assert is_refusal(post(client, mine, my_page, choice="decline", reason="x"), 403, "页面已过期")
    assert answers() == []
    assert client.get(f"/r/{other}").status_code == 200  # still open: nothing changed


def test_expired_revoked_and_closed_links_get_the_refusal_page(
    client: TestClient, clock: list[datetime]
) -> None:
    expiring = ask(
        "meeting",
        "district_leaders",
        "work_conference",
        day="2026-03-20",
        start="09:00",
        end="11:30",
        venue="报告厅",
    )
    revoked = ask("secondment", "T00003", "海伦路街道", street="海伦路街道", year=YEAR)
    cancelled = ask(
        "meeting",
        "researchers",
        "theory_symposium",
        day="2026-05-20",
        start="09:00",
        end="11:30",
        venue="报告厅",
    )
    pages = {token: client.get(f"/r/{token}").text for token in (expiring, revoked, cancelled)}
    assert records.revoke_links(purpose="secondment", year=YEAR, recipient="T00003") == 1
    with session_scope() as session:
        links.close(
            session, purpose="meeting", year=YEAR, subject="theory_symposium", reason="会议已取消。"
        )
    clock[0] = DEADLINE + timedelta(seconds=1)
    assert is_refusal(client.get(f"/r/{expiring}"), 410, "回复期限已过")
    assert is_refusal(post(client, expiring, pages[expiring], choice="attend"), 410, "回复期限已过")
    assert is_refusal(client.get(f"/r/{revoked}"), 410, "链接已停用")
    assert is_refusal(post(client, revoked, pages[revoked], choice="confirm"), 410, "链接已停用")
    closed = client.get(f"/r/{cancelled}")
    assert is_refusal(closed, 410, "事项已取消") and "会议已取消。" in closed.text
    assert answers() == []


def test_a_community_office_confirms_with_the_households_reached(client: TestClient) -> None:
    token = ask(
        "distribution", "嘉兴一居委", "material", street="嘉兴路街道", material="社区教育宣传资料"
    )
    page = client.get(f"/r/{token}").text
    assert "已发放户数" in page
    bad = post(client, token, page, choice="delivered", households="很多")
    assert bad.status_code == 422 and "请填写发放户数" in bad.text and "很多" in bad.text
    done = post(
        client, token, page, choice="delivered", households="1268", by="王主任", note="已逐户发放"
    )
    assert done.status_code == 200 and "1268" in done.text
    (stored,) = answers()
    assert stored.event["event"] == "district.calendar.distribution.confirmed"
    assert stored.event["payload"] == {
        "year": YEAR,
        "community": "嘉兴一居委",
        "confirmed_by": "王主任",
        "note": "已发放1268户；已逐户发放",
        "today": "2026-03-02",
    }
    assert ConfirmParameters.model_validate(stored.event["payload"]).community == "嘉兴一居委"
    assert is_refusal(client.get(f"/r/{token}"), 409, "已经回复")


def test_answers_are_announced_to_the_api_the_portal_was_given(
    registry: DistrictProfile,
) -> None:
    received: list[list[dict[str, Any]]] = []

    def api(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/events"
        received.append(httpx.Response(200, content=request.content).json())
        return httpx.Response(204)

    token = ask("secondment", "T00001", "嘉兴路街道", street="嘉兴路街道", year=YEAR)
    transport = httpx.MockTransport(api)
    with pytest.MonkeyPatch.context() as patch:
        real_post = httpx.post
        patch.setattr(
            httpx, "post", lambda url, **kw: httpx.Client(transport=transport).post(url, **kw)
        )
        app = create_app(prefect=PrefectApi(url="http://prefect.test/api"), clock=lambda: NOW)
        with TestClient(app) as client:
            page = client.get(f"/r/{token}").text
            assert post(client, token, page, choice="confirm").status_code == 200
        patch.setattr(httpx, "post", real_post)
    (batch,) = received
    (event,) = batch
    assert event["event"] == "district.secondment.confirmed"
    assert event["payload"] == {"year": YEAR, "staff_id": "T00001"}
    (stored,) = answers()
    assert stored.announced_at is not None and event["id"] == stored.event["id"]


def test_the_meeting_page_offers_its_ics(client: TestClient) -> None:
    token = ask("secondment", "T00001", "嘉兴路街道", street="嘉兴路街道", year=YEAR)
    assert is_refusal(client.get(f"/r/{token}/meeting.ics"), 404, "链接无效")  # not a meeting


def test_a_request_asked_again_keeps_one_request_and_both_links_work(client: TestClient) -> None:
    first = ask(
        "meeting",
        "street_staff",
        "work_conference",
        day="2026-03-20",
        start="09:00",
        end="11:30",
        venue="报告厅",
    )
    second = ask(
        "meeting",
        "street_staff",
        "work_conference",
        day="2026-03-27",
        start="09:00",
        end="11:30",
        venue="报告厅",
    )
    with session_scope() as session:
        assert len(session.exec(select(ResponseRequest)).all()) == 1
    assert "2026年3月27日" in client.get(f"/r/{first}").text
    assert client.get(f"/r/{second}").status_code == 200
    assert date(2026, 3, 27).isoformat() in str(records.open_link(first, now=NOW).details)  # type: ignore[union-attr]


def _link_in(body: str) -> str:
    found = re.search(r"http://127\.0\.0\.1:8765/r/([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def test_invitations_and_distribution_requests_carry_links_to_their_pages(
    client: TestClient, registry: DistrictProfile, clock: list[datetime]
) -> None:
    """The signed-off year's invitations go out on their day, each with its audience's link;
    the page shows the meeting and hands out its .ics; a second run that day issues nothing;
    the distribution request's link confirms; cancelling the meeting closes its links."""
    from models.meetings import Meeting
    from models.outbox import OutboxMessage
    from models.params.calendar import CalendarParameters
    from tasks.calendar import distribution, meetings, plan
    from tasks.calendar import records as calendar
    from tasks.calendar.rules import distribution_request_day, invitation_day
    from tasks.calendar.scheduling import solve_schedule
    from tasks.common.holidays import current_work_calendar
    from tasks.common.ics import parse_ics

    def sent(prefix: str) -> list[OutboxMessage]:
        with session_scope() as session:
            rows = session.exec(select(OutboxMessage)).all()
        return [m for m in rows if m.kind.startswith(prefix)]

    def requests() -> int:
        with session_scope() as session:
            return len(session.exec(select(ResponseRequest)).all())

    inputs = calendar.plan_inputs(CalendarParameters(year=YEAR), year=YEAR)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    assert plan.record_calendar(inputs=inputs, schedule=schedule)
    assert sent("invitation-") == [] and requests() == 0  # planning sends nothing
    with session_scope() as session:
        first = session.exec(select(Meeting).order_by(Meeting.day)).first()  # type: ignore[arg-type]
    assert first is not None
    workdays = current_work_calendar()
    invite_on = invitation_day(first.day, registry.calendar, workdays=workdays)
    distribution.stage_due(YEAR, today=invite_on)
    invitations = [m for m in sent("invitation-") if f"-{first.key}-" in m.kind]
    assert len(invitations) == len(first.audiences) == requests()
    token = _link_in(invitations[0].body)
    clock[0] = datetime.combine(invite_on, datetime.min.time(), tzinfo=UTC)
    page = client.get(f"/r/{token}")
    assert page.status_code == 200 and "会议回执" in page.text and first.title in page.text
    ics = client.get(f"/r/{token}/meeting.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    (event,) = parse_ics(ics.content)
    assert event.uid == first.uid
    assert post(client, token, page.text, choice="absent").status_code == 200

    distribution.stage_due(YEAR, today=invite_on)  # the same day again: nothing new, no new link
    assert requests() == len(first.audiences)

    request_on = distribution_request_day(registry.calendar, YEAR, workdays=workdays)
    distribution.stage_due(YEAR, today=request_on)
    (request, *_) = sent("distribution-request")
    office = _link_in(request.body)
    clock[0] = datetime.combine(request_on, datetime.min.time(), tzinfo=UTC)
    form = client.get(f"/r/{office}")
    assert form.status_code == 200 and "宣传资料发放确认" in form.text
    confirmed = post(client, office, form.text, choice="delivered", households="860")
    assert confirmed.status_code == 200 and "860" in confirmed.text

    meetings.cancel_meeting(year=YEAR, key=first.key, reason="另行安排")
    assert is_refusal(client.get(f"/r/{token}"), 410, "事项已取消")
    assert client.get(f"/r/{token}/meeting.ics").status_code == 410


def test_the_teacher_notice_carries_a_link_to_the_teacher_s_own_page(
    client: TestClient, registry: DistrictProfile, clock: list[datetime]
) -> None:
    from models.outbox import OutboxMessage
    from models.params.secondment import SecondmentParameters
    from tasks.secondment import records as secondment
    from tasks.secondment.solver import select_candidates
    from tests.factories import seed_roster

    seed_roster(registry, count=120, seed=3)
    rules = secondment.resolve_rules(SecondmentParameters(year=YEAR, approval="auto"))
    proposal = select_candidates(secondment.load_roster(), rules=rules)
    assert secondment.record_approval(proposal=proposal, rules=rules, operator="测试", comment="")
    with session_scope() as session:
        notices = [m for m in session.exec(select(OutboxMessage)).all() if m.kind == "selected"]
    assert len(notices) == len(proposal.placements)
    placement = proposal.placements[0]
    notice = next(m for m in notices if m.audience == f"teacher-{placement.staff_id}")
    token = _link_in(notice.body)
    assert placement.staff_id not in token and placement.name not in notice.body.split("/r/")[1]
    clock[0] = datetime.now(UTC)  # the reply deadline counts from the day of the notice
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert placement.name in page.text and placement.street in page.text
    # school and street notices carry no link: they ask nothing
    assert all("/r/" not in m.body for m in notices if not m.audience.startswith("teacher-"))
