"""Judges score on their phones: the scoring page in a real browser (Debian's Chromium, 390×844).

The portal is served in a thread over a fresh database with imported judges and generated
nominations; the round is opened as `scoring open` opens it, and its messages are delivered to
the data dir's outbox file, as judges would read them. Then, with JavaScript off, as a phone:

1. a judge opens the link of their message, sees their nominations, the rubric and the deadline;
2. types a score outside the rubric's range and is refused in Chinese naming the criterion;
3. saves a draft, submits one nomination, then the rest at once;
4. declares a conflict on one nomination with a reason; the nomination goes to another judge,
   whose message (delivered to the outbox) carries their own link, which opens their page with
   the nomination on it.

Finally the awards rank from these web scores exactly as from the same scores imported. An idea
reviewer (process `ideas`) opens their link the same way, sees their golden ideas with the phone
typed into one masked, is refused a score out of range naming the criterion, and submits.
Screenshots land in test-output/judging/ (docs/portal/ holds copies).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import select

from deployments.portal.serve import portal_thread
from deployments.runtime.server import free_port
from models.awards import AwardScore, Nomination
from models.db import session_scope
from models.ideas import IdeaScore
from models.judging import JudgeAssignment
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.settings import get_settings
from tasks.awards import records as awards
from tasks.awards.rules import propose
from tasks.common import clock
from tasks.importing.awards import import_scores_file
from tasks.importing.judges import import_judges_file
from tasks.judging.records import open_round
from tasks.notify.delivery import deliver_pending
from tasks.samples.awards import generate_nominations
from tests.tasks.test_judging import CRITERIA, JUDGES, write_csv
from tests.tasks.test_judging_ideas import CRITERIA as IDEA_CRITERIA
from tests.tasks.test_judging_ideas import ID_NUMBER, REVIEWERS, seed_ideas
from tests.tasks.test_judging_ideas import PHONE as IDEA_PHONE

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "judging"
PHONE = {"width": 390, "height": 844}
YEAR = 2027  # a year ahead: the deadline is still open, whatever today is

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
def portal(
    registry: DistrictProfile, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    port = free_port()
    address = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LD_PUBLIC_URL", address)
    get_settings.cache_clear()
    import_judges_file(write_csv(tmp_path / "评委.csv", JUDGES))
    with session_scope() as session:
        for n in generate_nominations(registry, year=YEAR, per_category=2, seed=8):
            session.add(Nomination(**n.model_dump()))
    open_round(year=YEAR, deadline=date(YEAR, 3, 1), today=clock.today())
    deliver_pending()
    with portal_thread(host="127.0.0.1", port=port, prefect=None) as running:
        yield running


def outbox(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def link_in(message: dict[str, Any], portal: str) -> str:
    found = re.search(rf"{re.escape(portal)}/r/[A-Za-z0-9_-]+", message["body"])
    assert found, message
    return found.group(0)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_judge_scores_everything_and_declares_a_conflict_on_a_phone(
    portal: str, db: Path, tmp_path: Path
) -> None:
    told = [m for m in outbox(db) if m["title"].startswith("【评分通知】")]
    assert told
    first = next(m for m in told if m["body"].startswith("李明："))
    with session_scope() as session:
        mine = sorted(
            a.ref
            for a in session.exec(select(JudgeAssignment).where(JudgeAssignment.judge == "PW01"))
        )
    assert len(mine) >= 3

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                java_script_enabled=False,
            )  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(30_000)

            # 1. the page: the nominations, the rubric with its ranges, the deadline
            page.goto(link_in(first, portal))
            assert page.url.startswith(f"{portal}/j/")
            expect(page.get_by_text(f"分配给您的提名共{len(mine)}项，已提交0项。")).to_be_visible()
            expect(page.get_by_text(f"请于{YEAR}年3月1日前提交评分")).to_be_visible()
            expect(page.locator("dl.facts dt", has_text="组织保障").first).to_be_visible()
            shot(page, "judge-1-page")

            # 2. a score outside the range is refused, naming the criterion
            item = page.locator(f"#item-{mine[0]}")
            for criterion in CRITERIA:
                item.locator(f"input[name={criterion}]").fill("85")
            item.locator("input[name=effect]").fill("120")
            item.get_by_role("button", name="保存草稿").click()  # no browser check on a draft
            expect(page.get_by_text("「工作成效」须在0至100分之间").first).to_be_visible()
            page.locator(f"#item-{mine[0]}").scroll_into_view_if_needed()
            shot(page, "judge-2-refused")

            # 3. a draft, one submission, then the rest at once
            item = page.locator(f"#item-{mine[0]}")
            item.locator("input[name=effect]").fill("88")
            item.get_by_role("button", name="保存草稿").click()
            expect(page.get_by_text(f"已保存{mine[0]}的草稿，尚未提交。")).to_be_visible()
            page.locator(f"#item-{mine[0]}").get_by_role("button", name="提交本项").click()
            expect(page.get_by_text(f"已提交{mine[0]}的评分")).to_be_visible()
            for n, ref in enumerate(mine[1:-1], start=1):
                item = page.locator(f"#item-{ref}")
                for k, criterion in enumerate(CRITERIA):
                    item.locator(f"input[name={criterion}]").fill(str(60 + 7 * n + 3 * k))
                item.get_by_role("button", name="保存草稿").click()
                expect(page.get_by_text(f"已保存{ref}的草稿")).to_be_visible()
            page.get_by_role("button", name="全部提交").click()
            expect(page.get_by_text("「组织保障」未填写").first).to_be_visible()  # one unscored
            item = page.locator(f"#item-{mine[-1]}")
            for k, criterion in enumerate(CRITERIA):
                item.locator(f"input[name={criterion}]").fill(str(70 + k))
            item.get_by_role("button", name="保存草稿").click()
            page.get_by_role("button", name="全部提交").click()
            expect(page.get_by_text(f"已提交{len(mine) - 1}项评分")).to_be_visible()
            expect(page.get_by_text(f"已提交{len(mine)}项。")).to_be_visible()
            page.locator(f"#item-{mine[-1]}").scroll_into_view_if_needed()
            shot(page, "judge-3-submitted")

            # 4. a conflict on one nomination: it goes to another judge, who is told
            item = page.locator(f"#item-{mine[1]}")
            item.locator("summary").click()
            item.locator("textarea[name=reason]").fill("推荐单位负责人是本人配偶")
            item.locator("textarea[name=reason]").scroll_into_view_if_needed()
            shot(page, "judge-4-conflict")
            item.get_by_role("button", name="确认申报回避").click()
            expect(page.get_by_text(f"已登记您对{mine[1]}的回避申报")).to_be_visible()
            expect(page.locator(f"#item-{mine[1]}")).to_have_count(0)

            before = len(outbox(db))
            deliver_pending()
            moved = [m for m in outbox(db)[before:] if "改由您评审" in m["body"]]
            assert len(moved) == 1 and "推荐单位负责人" not in moved[0]["body"]  # discreet
            page.goto(link_in(moved[0], portal))
            expect(page.locator(f"#item-{mine[1]}")).to_have_count(1)
            shot(page, "judge-5-reassigned")
        finally:
            browser.close()

    # the awards rank from these web scores exactly as from the same scores imported
    rules = awards.resolve_rules(AwardsParameters(year=YEAR))
    web = propose(*awards.load_inputs(YEAR), rules=rules)
    with session_scope() as session:
        rows = session.exec(select(AwardScore)).all()
        assert {r.ref for r in rows} == set(mine) - {mine[1]}
        lines = [
            [str(YEAR), r.ref, r.judge, *(f"{r.criteria[c]:g}" for c in CRITERIA)] for r in rows
        ]
        for r in rows:
            session.delete(r)
    headers = ["年度", "编号", "评委", "组织保障", "活动开展", "群众参与", "工作成效"]
    path = tmp_path / "评分.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([headers, *lines])
    import_scores_file(path)
    imported = propose(*awards.load_inputs(YEAR), rules=rules)
    assert web.entries == imported.entries and web.flagged == imported.flagged


@pytest.fixture
def reviewers_portal(
    registry: DistrictProfile, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    port = free_port()
    address = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("LD_PUBLIC_URL", address)
    get_settings.cache_clear()
    seed_ideas(registry, year=YEAR, now=datetime(YEAR, 1, 4, 2, 0, tzinfo=UTC), count=12)
    import_judges_file(write_csv(tmp_path / "评审.csv", REVIEWERS))
    open_round(year=YEAR, deadline=date(YEAR, 3, 1), today=clock.today(), process="ideas")
    deliver_pending()
    with portal_thread(host="127.0.0.1", port=port, prefect=None) as running:
        yield running


def test_a_reviewer_scores_masked_ideas_on_a_phone(reviewers_portal: str, db: Path) -> None:
    told = [m for m in outbox(db) if m["title"] == f"【评分通知】{YEAR}年度金点子评选"]
    with session_scope() as session:
        rows = session.exec(select(JudgeAssignment).where(JudgeAssignment.process == "ideas"))
        held = [(a.ref, a.judge) for a in rows.all()]
    first = min(ref for ref, _ in held)  # the idea with a phone and an ID number in it
    code = next(judge for ref, judge in held if ref == first)
    mine = sorted(ref for ref, judge in held if judge == code)
    name = next(row[1] for row in REVIEWERS if row[0] == code) if code.startswith("PS") else code
    message = next(m for m in told if m["body"].startswith(f"{name}："))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                java_script_enabled=False,
            )  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(link_in(message, reviewers_portal))
            expect(page.get_by_text(f"分配给您的建议共{len(mine)}项，已提交0项。")).to_be_visible()
            expect(page.locator("dl.facts dt", has_text="可行性").first).to_be_visible()
            item = page.locator(f"#item-{first}")
            expect(item.get_by_text("139****4321").first).to_be_visible()
            assert IDEA_PHONE not in page.content() and ID_NUMBER not in page.content()
            shot(page, "reviewer-1-page")

            for criterion in IDEA_CRITERIA:
                item.locator(f"input[name={criterion}]").fill("85")
            item.locator("input[name=innovation]").fill("120")
            item.get_by_role("button", name="保存草稿").click()
            expect(page.get_by_text("「创新性」须在0至100分之间").first).to_be_visible()
            item = page.locator(f"#item-{first}")
            item.locator("input[name=innovation]").fill("90")
            item.get_by_role("button", name="提交本项").click()
            expect(page.get_by_text(f"已提交{first}的评分")).to_be_visible()
        finally:
            browser.close()
    with session_scope() as session:
        score = session.exec(select(IdeaScore).where(IdeaScore.ref == first)).one()
    assert score.reviewer == name and score.scores["innovation"] == 90.0
