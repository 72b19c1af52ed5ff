"""The public 公示 page: the list under notice and real-name objections that reach the ruling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from deployments.portal.app import create_app
from models.awards import AwardEntry, AwardObjection, AwardScore, Nomination
from models.db import session_scope
from models.outbox import OutboxMessage
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.residents import ObjectionFiling
from tasks.awards import records
from tasks.awards.objections import rule_objection
from tasks.awards.public import unannounced_filings
from tasks.awards.rules import propose
from tasks.samples.awards import generate_nominations, generate_scores
from tests.hardening import Ledger

YEAR = 2026
START = date(2026, 6, 1)  # a Monday
DURING = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
OBJECTOR = "陈建国"


def in_publicity(profile: DistrictProfile) -> AwardEntry:
    noms = generate_nominations(profile, year=YEAR, per_category=7, seed=11)
    scores = generate_scores(profile, noms, seed=11)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in scores:
            session.add(AwardScore(**s.model_dump()))
    rules = records.resolve_rules(AwardsParameters(year=YEAR))
    nominations, score_rows = records.load_inputs(YEAR)
    proposal = propose(nominations, score_rows, rules=rules)
    records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=START
    )
    with session_scope() as session:
        listed = session.exec(
            select(AwardEntry).where(AwardEntry.status == "listed").order_by(AwardEntry.ref)
        ).first()
    assert listed is not None and listed.publicity_end is not None
    return listed


def client_at(moment: datetime) -> TestClient:
    return TestClient(create_app(clock=lambda: moment))


@pytest.fixture
def listed(registry: DistrictProfile) -> AwardEntry:
    return in_publicity(registry)


@pytest.fixture
def client(listed: AwardEntry) -> Iterator[TestClient]:
    with client_at(DURING) as c:
        yield c


def form(page: str, ref: str, **overrides: str) -> dict[str, str]:
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    form_id = re.search(r'name="form_id" value="([A-Za-z0-9_-]+)"', page)
    assert token and form_id
    return {
        "csrf": token.group(1),
        "form_id": form_id.group(1),
        "ref": ref,
        "objector": OBJECTOR,
        "phone": "13700137000",
        "relation": "同小区居民",
        "content": "该小区去年的学习活动多为拍照留档，实际参与人数与申报材料不符。",
        **overrides,
    }


def objections() -> list[AwardObjection]:
    with session_scope() as session:
        return list(session.exec(select(AwardObjection)).all())


def test_the_page_lists_who_is_under_notice_with_the_period_and_the_office(
    client: TestClient, listed: AwardEntry
) -> None:
    page = client.get(f"/gongshi/{YEAR}")
    assert page.status_code == 200
    assert listed.name in page.text and "学习型小区" in page.text
    assert "公示期2026年6月1日至2026年6月5日，共5个工作日" in page.text
    assert "区学习型城区建设领导小组办公室" in page.text
    assert 'enctype="multipart/form-data"' in page.text and "<script" not in page.text
    assert client.get("/gongshi/2031").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "upload", "field", "rule"),
    [
        ({"phone": "1234"}, None, "手机号", "11 位"),
        ({"objector": ""}, None, "姓名", "真实姓名"),
        ({"content": "不同意"}, None, "异议事由", "具体事实"),
        ({}, ("证明.pdf", b"MZ\x90\x00 not a pdf at all"), "附件", "按文件内容识别"),
        ({}, ("照片.png", b"GIF89a" + b"\x00" * 100), "附件", "按文件内容识别"),
        ({}, ("扫描件.pdf", b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024)), "附件", "5MB"),
    ],
)
def test_a_bad_objection_is_refused_in_chinese_and_stores_nothing(
    client: TestClient,
    listed: AwardEntry,
    overrides: dict[str, str],
    upload: tuple[str, bytes] | None,
    field: str,
    rule: str,
    hardening: Ledger,
) -> None:
    page = client.get(f"/gongshi/{YEAR}").text
    files: Any = {"attachment": upload} if upload else None
    reply = client.post(
        f"/gongshi/{YEAR}/objection", data=form(page, listed.ref, **overrides), files=files
    )
    ok = (
        reply.status_code == 422
        and re.search(f"{field}：[^<]*{re.escape(rule)}", reply.text) is not None
        and objections() == []
    )
    hardening.bad_input(f"objection form: {field} ({rule})", rejected_cleanly=ok)
    assert ok, reply.text


def test_an_oversized_body_is_refused_before_it_is_read(
    client: TestClient, listed: AwardEntry
) -> None:
    page = client.get(f"/gongshi/{YEAR}").text
    huge = ("大.pdf", b"%PDF-" + b"0" * (6 * 1024 * 1024))
    reply = client.post(
        f"/gongshi/{YEAR}/objection", data=form(page, listed.ref), files={"attachment": huge}
    )
    assert reply.status_code == 413 and objections() == []


def test_an_objection_is_stored_announced_later_and_its_ruling_reaches_the_objector(
    client: TestClient, listed: AwardEntry
) -> None:
    page = client.get(f"/gongshi/{YEAR}").text
    data = form(page, listed.ref)
    reply = client.post(
        f"/gongshi/{YEAR}/objection", data=data, files={"attachment": ("现场照片.PNG", PNG)}
    )
    assert reply.status_code == 200 and "已收到您的实名异议" in reply.text
    again = client.post(
        f"/gongshi/{YEAR}/objection", data=data, files={"attachment": ("现场照片.PNG", PNG)}
    )
    assert again.status_code == 200
    (objection,) = objections()
    assert (objection.objector, objection.phone, objection.ref) == (
        OBJECTOR,
        "13700137000",
        listed.ref,
    )
    with session_scope() as session:
        filing = session.exec(select(ObjectionFiling)).one()
    assert filing.attachment == PNG and filing.attachment_type == "image/png"
    assert filing.event["event"] == "district.award.objection.filed"
    assert [e["payload"]["ref"] for _, e in unannounced_filings()] == [listed.ref]  # no API here
    assert OBJECTOR not in client.get(f"/gongshi/{YEAR}").text  # identity: the committee only
    link = re.search(r'href="(/s/[A-Za-z0-9_-]{43})"', reply.text)
    assert link
    assert "核查中" in client.get(link.group(1)).text
    assert objection.id is not None
    rule_objection(
        objection_id=objection.id,
        decision="dismiss",
        ruling="经核查，活动记录和签到表齐全，所反映情况不属实。",
        operator="评审委员会",
        today=date(2026, 6, 8),
    )
    status = client.get(link.group(1)).text
    assert "异议不成立，维持公示" in status and "签到表齐全" in status
    with session_scope() as session:
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.audience == f"award-objector-{objection.id}")
        ).one()
    assert OBJECTOR in message.body and "签到表齐全" in message.body


def test_an_objection_after_the_publicity_ends_is_refused(listed: AwardEntry) -> None:
    assert listed.publicity_end is not None
    during = client_at(DURING)
    with during:
        page = during.get(f"/gongshi/{YEAR}").text
    after = datetime.combine(listed.publicity_end + timedelta(days=1), datetime.min.time(), UTC)
    with client_at(after + timedelta(hours=2)) as late:
        late.cookies.update(during.cookies)
        reply = late.post(f"/gongshi/{YEAR}/objection", data=form(page, listed.ref))
        assert reply.status_code == 409 and objections() == []
        assert "公示期已结束，不再受理异议" in reply.text
        assert "公示期已结束，不再受理异议" in late.get(f"/gongshi/{YEAR}").text
