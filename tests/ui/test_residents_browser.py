"""Residents on their phones: the idea form, similar ideas, the status link and the 公示 page.

The portal is served by uvicorn in this process over a fresh database (no Prefect server: what
it stores is announced later by the sweepers, which other tests cover); Debian's Chromium opens
it at 390×844 with JavaScript off, as WeChat's in-app browser may. The office's side (screening,
review, sign-off, the committee's ruling) is done through the same records functions its flows
call.

1. A resident writes an idea; before it is stored the page shows the planted similar idea, and
   the resident supports it instead ("我也支持这条").
2. Another resident submits a new idea and follows its status link: received, screened, in
   review, adopted (the review is generated, calibrated, signed off and published), follow-through.
3. A member of the public objects by real name on the 公示 page with a photo attached, and
   follows the committee's ruling through the link the acknowledgement gave.

Screenshots land in test-output/portal/ (docs/portal/ holds reduced copies).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from PIL import Image
from sqlmodel import select

from deployments.portal.app import create_app
from deployments.runtime.server import free_port
from models.awards import AwardEntry, AwardObjection, AwardScore, Nomination
from models.db import session_scope
from models.ideas import Idea
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.residents import IdeaSupport

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "portal"
PHONE = {"width": 390, "height": 844}
YEAR = 2026
NOW = datetime(2026, 9, 2, 2, 0, tzinfo=UTC)  # collecting ideas, and the awards' 公示 is on
PLANTED = "社区老年人智能手机培训班，每周两次，教老人用手机挂号、支付和视频通话，由志愿者一对一辅导"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (uv sync --dev)"
)
expect = sync_api.expect


@pytest.fixture
def portal(registry: DistrictProfile) -> Iterator[str]:
    port = free_port()
    app = create_app(clock=lambda: NOW, enqueue=lambda *_: None, emit=lambda _: None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _fill_idea(
    page: Page, profile: DistrictProfile, name: str, phone: str, title: str, text: str
) -> None:
    page.locator("input[name=submitter]").fill(name)
    page.locator("input[name=phone]").fill(phone)
    page.locator("select[name=community]").select_option(profile.streets[0].communities[1])
    page.locator("input[name=title]").fill(title)
    page.locator("textarea[name=content]").fill(text)


def _plant(profile: DistrictProfile) -> str:
    from tasks.ideas.campaign import open_campaign
    from tasks.ideas.intake import submit
    from tasks.ideas.screening import Submission

    open_campaign(year=YEAR, start=date(2026, 9, 1))
    ack = submit(
        year=YEAR,
        submission=Submission(
            submitter="李阿姨",
            phone="13900000001",
            community=profile.streets[0].communities[0],
            title="开设老年人智能手机课堂",
            content=PLANTED,
        ),
        source="cli",
        now=NOW,
    )
    return ack.ref


def _review_and_publish() -> None:
    """The office's side: screening, generated reviews, calibrated ranking, sign-off."""
    from tasks.ideas import records, review
    from tasks.ideas.campaign import start_review

    records.screen_ids(ids=records.received_ids(year=YEAR), now=NOW)
    start_review(year=YEAR)
    _, policy = records.profile_and_policy()
    setup = review.prepare_review(year=YEAR, seed=YEAR)
    review.record_scores(
        year=YEAR, setup=setup, rows=review.generated_scores(setup=setup, seed=YEAR, policy=policy)
    )
    proposal = review.propose_ranking(setup=setup)
    assert review.publish(
        setup=setup, proposal=proposal, operator="评审组", today=date(2026, 10, 20)
    )


def _publicity(profile: DistrictProfile) -> AwardEntry:
    from tasks.awards import records
    from tasks.awards.rules import propose
    from tasks.samples.awards import generate_nominations, generate_scores

    noms = generate_nominations(profile, year=YEAR, per_category=7, seed=11)
    scores = generate_scores(profile, noms, seed=11)
    with session_scope() as session:
        session.add_all(Nomination(**n.model_dump()) for n in noms)
        session.add_all(AwardScore(**s.model_dump()) for s in scores)
    rules = records.resolve_rules(AwardsParameters(year=YEAR))
    nominations, score_rows = records.load_inputs(YEAR)
    proposal = propose(nominations, score_rows, rules=rules)
    records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=date(2026, 9, 1)
    )
    with session_scope() as session:
        entry = session.exec(
            select(AwardEntry).where(AwardEntry.status == "listed").order_by(AwardEntry.ref)
        ).first()
    assert entry is not None
    return entry


def test_residents_submit_support_follow_and_object_on_a_phone(
    portal: str, registry: DistrictProfile, tmp_path: Path
) -> None:
    from tasks.awards.objections import rule_objection
    from tasks.ideas.actions import update_action

    planted = _plant(registry)
    listed = _publicity(registry)
    photo = tmp_path / "现场照片.png"
    Image.new("RGB", (64, 48), "white").save(photo)  # a real PNG, as a phone's camera gives
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                java_script_enabled=False,
            )  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(30_000)

            # 1. a resident sees the planted similar idea before submitting, and supports it
            page.goto(f"{portal}/ideas")
            expect(
                page.get_by_role("heading", name=f"{YEAR}年度学习型城区建设“金点子”征集")
            ).to_be_visible()
            _fill_idea(
                page,
                registry,
                "王小明",
                "13800138000",
                "老年人智能手机培训",
                PLANTED.replace("两次", "三次"),
            )
            _shot(page, "residents-1-idea-form")
            page.get_by_role("button", name="提交建议").click()
            expect(page.get_by_role("heading", name="已有相似的建议")).to_be_visible()
            expect(page.get_by_text(f"编号{planted}")).to_be_visible()
            _shot(page, "residents-2-similar")
            page.get_by_role("button", name="我也支持这条").click()
            expect(page.get_by_role("heading", name="已记录您的支持")).to_be_visible()
            with session_scope() as session:
                assert [s.ref for s in session.exec(select(IdeaSupport)).all()] == [planted]
                assert len(session.exec(select(Idea)).all()) == 1  # supported, not repeated

            # 2. another resident submits a new idea and follows it to adoption
            page.goto(f"{portal}/ideas")
            _fill_idea(
                page, registry, "赵秀英", "13600136000", "在社区图书角增设亲子阅读时段",
                "每周六上午在社区图书角安排亲子阅读时段，请志愿者给孩子讲故事，家长一起参加。",
            )  # fmt: skip
            page.get_by_role("button", name="提交建议").click()
            expect(page.get_by_role("heading", name="已收到您的建议")).to_be_visible()
            _shot(page, "residents-3-received")
            page.get_by_role("link", name="查看办理进度").click()
            status_url = page.url
            expect(page.get_by_text("正在初审")).to_be_visible()
            _review_and_publish()
            with session_scope() as session:
                ref = session.exec(select(Idea).where(Idea.submitter == "赵秀英")).one().ref
            update_action(year=YEAR, ref=ref, progress=60, note="已在两个居委试点", now=NOW)
            page.goto(status_url)
            expect(page.get_by_text("已采纳")).to_be_visible()
            expect(page.get_by_text("已完成60%")).to_be_visible()
            _shot(page, "residents-4-status")

            # 3. a member of the public objects on the 公示 page; the ruling reaches them
            page.goto(f"{portal}/gongshi/{YEAR}")
            expect(page.get_by_text(listed.name).first).to_be_visible()
            page.locator("select[name=ref]").select_option(listed.ref)
            page.locator("input[name=objector]").fill("陈建国")
            page.locator("input[name=phone]").fill("13700137000")
            page.locator("input[name=relation]").fill("同小区居民")
            page.locator("textarea[name=content]").fill(
                "该小区去年的学习活动多为拍照留档，实际参与人数与申报材料不符。"
            )
            page.locator("input[name=attachment]").set_input_files(str(photo))
            _shot(page, "residents-5-gongshi")
            page.get_by_role("button", name="提交异议").click()
            expect(page.get_by_role("heading", name="已收到您的实名异议")).to_be_visible()
            page.get_by_role("link", name="查看办理进度").click()
            objection_url = page.url
            expect(page.get_by_text("核查中")).to_be_visible()
            with session_scope() as session:
                objection = session.exec(select(AwardObjection)).one()
            assert objection.id is not None and objection.objector == "陈建国"
            rule_objection(
                objection_id=objection.id,
                decision="dismiss",
                ruling="经核查，活动记录和签到表齐全，所反映情况不属实。",
                operator="评审委员会",
                today=date(2026, 9, 4),
            )
            page.goto(objection_url)
            expect(page.get_by_text("裁定：异议不成立，维持公示")).to_be_visible()
            _shot(page, "residents-6-ruling")
        finally:
            browser.close()
