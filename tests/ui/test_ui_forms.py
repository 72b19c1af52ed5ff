"""Every form a clerk fills in the Prefect UI, in a real browser: run forms and sign-off forms.

`learning-district up` runs over a data dir with a roster, a golden-idea campaign with scores
and award nominations with scores. The browser opens every deployment's run form and the
resume form of the four runs that pause for sign-off (secondment, calendar, ideas, awards),
screenshots each into docs/ui-forms/, and finds no "Property is type" text and no choice in
English: every select is opened and its options read. The run forms show the district
profile's values; the sign-off forms, answered in Chinese, let the runs complete.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from models.db import session_scope
from models.ideas import IdeaCampaign
from models.profile.schema import DistrictProfile
from tests.factories import seed_roster
from tests.ui.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    STEP_TIMEOUT_MS,
    _deployments,
    _start_up,
    _wait_for_ui,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

YEAR = 2026
DOCS = Path(__file__).resolve().parents[2] / "docs" / "ui-forms"
LATIN = re.compile(r"[A-Za-z]")
PAUSE_TIMEOUT_S = 180.0

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


def _seed_ideas(profile: DistrictProfile) -> None:
    from tasks.ideas import intake, records, review
    from tasks.ideas.campaign import open_campaign
    from tasks.ideas.screening import Submission
    from tasks.samples.ideas import generate_ideas

    open_campaign(year=YEAR, start=date(YEAR, 9, 1))
    now = datetime(YEAR, 9, 5, 2, 0, tzinfo=UTC)
    communities = [c for s in profile.streets for c in s.communities]
    ids = [
        intake.submit(
            year=YEAR,
            submission=Submission(
                submitter=s.submitter,
                phone=s.phone,
                community=s.community,
                title=s.title,
                content=s.content,
                ref=s.ref,
            ),
            source="demo",
            now=now,
        ).id
        for s in generate_ideas(count=30, communities=communities, year=YEAR, seed=9)
    ]
    records.screen_ids(ids=ids, now=now)
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, YEAR)
        assert campaign is not None
        seed = campaign.seed
    _, policy = records.profile_and_policy()
    setup = review.prepare_review(year=YEAR, seed=seed)
    review.record_scores(
        year=YEAR, setup=setup, rows=review.generated_scores(setup=setup, seed=seed, policy=policy)
    )


@pytest.fixture
def ui(tmp_path: Path, registry: DistrictProfile) -> Iterator[str]:
    """`up` over a data dir holding what the signed-off processes need."""
    from deployments.demo.awards import _store_sample

    seed_roster(registry, count=200, seed=YEAR)
    _seed_ideas(registry)
    _store_sample(YEAR)
    process, log_path = _start_up(tmp_path)
    try:
        yield _wait_for_ui(process, log_path, timeout=120)
    finally:
        process.terminate()  # SIGTERM: `up` stops its server and served runs on the way out
        try:
            process.wait(timeout=90)
        except Exception:
            process.kill()
            process.wait(timeout=10)


def _choices(page: Page, scope: Locator) -> list[str]:
    """Every option of every select in `scope` (each opened with the keyboard, then closed)."""
    found: list[str] = []
    controls = scope.locator(".p-select-button__control")
    for index in range(controls.count()):
        control = controls.nth(index)
        control.scroll_into_view_if_needed()
        control.focus()
        page.keyboard.press("ArrowDown")
        options = page.locator(".p-select-option")
        options.first.wait_for(timeout=STEP_TIMEOUT_MS)
        found += [text.strip() for text in options.all_inner_texts()]
        page.keyboard.press("Escape")
        expect(options).to_have_count(0)
    return found


def _check_form(page: Page, scope: Locator, name: str) -> list[str]:
    """No "None" type switch, no English choice, no English value shown; return the choices."""
    text = scope.inner_text()
    assert "Property is type" not in text, name
    shown = [
        v.strip()
        for v in scope.locator(".p-select-button__value").all_inner_texts()
        if v.strip() != "No items selected"  # the UI's own placeholder of a multi-select
    ]
    choices = _choices(page, scope)
    english = [c for c in [*shown, *choices] if LATIN.search(c)]
    assert not english, (name, english)
    return choices


def _property(scope: Locator, label: str) -> Locator:
    return scope.locator(
        "xpath=.//span[contains(@class,'schema-form-property__label')"
        f" and starts-with(normalize-space(.),'{label}')]"
        "/ancestor::div[contains(concat(' ',@class,' '),' schema-form-property ')][1]"
    )


def _wait_state(api: str, run_id: str, states: set[str]) -> str:
    deadline = time.monotonic() + PAUSE_TIMEOUT_S
    while time.monotonic() < deadline:
        state = str(httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state_type"])
        if state in states:
            return state
        time.sleep(1)
    raise AssertionError(f"run {run_id} never reached {states}")


def _pick(page: Page, scope: Locator, label: str, choice: str) -> None:
    control = _property(scope, label).locator(".p-select-button__control")
    control.focus()
    page.keyboard.press("ArrowDown")
    page.locator(".p-select-option", has_text=choice).first.click()
    expect(_property(scope, label).locator(".p-select-button__value")).to_have_text(choice)


SIGN_OFFS: list[tuple[str, dict[str, Any], str, set[str], str]] = [
    # flow, its parameters, the choice's label, the choices offered, what the test answers
    ("teacher-secondment", {"year": YEAR}, "审批结果", {"批准", "退回", "排除后重算"}, "退回"),
    ("ideas-review", {"year": YEAR}, "审批结果", {"批准", "退回"}, "退回"),
    ("annual-calendar", {"year": YEAR}, "审批结果", {"批准", "退回"}, "退回"),
    (
        "learning-awards",
        {"year": YEAR, "publicity_start": f"{YEAR}-12-01"},
        "审定结果",
        {"批准", "删除提名后重排", "增列提名后重排"},
        "批准",
    ),
]


def _all_deployments(api: str, expected: int) -> list[dict[str, Any]]:
    """Every deployment `up` serves, once all of them are registered."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = _deployments(api, timeout=60)
        if len(found) >= expected:
            return found
        time.sleep(1)
    raise AssertionError(f"only {len(found)} of {expected} deployments were registered")


def test_every_run_form_and_sign_off_form_reads_in_chinese(
    ui: str, registry: DistrictProfile
) -> None:
    from deployments.catalog import build_deployments

    api = f"{ui}/api"
    deployments = _all_deployments(api, expected=len(build_deployments(registry)))
    DOCS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(STEP_TIMEOUT_MS)
            for d in sorted(deployments, key=lambda d: (d["flow_name"], d["name"])):
                name = f"{d['flow_name']}-{d['name']}"
                page.goto(f"{ui}/deployments/deployment/{d['id']}/run")
                page.get_by_text("Parameters", exact=True).wait_for()
                form = page.locator("form").first
                _check_form(page, form, name)
                if d["flow_name"] == "teacher-secondment":
                    # the profile's values are filled in: the clerk changes what differs
                    minimum = _property(form, "最低教龄").locator("input")
                    expect(minimum).to_have_value("5")
                    expect(_property(form, "每校最多选派人数").locator("input")).to_have_value("2")
                form.screenshot(path=str(DOCS / f"run-{name}.png"))

            by_flow = {d["flow_name"]: d for d in deployments}
            for flow_name, params, label, offered, answer in SIGN_OFFS:
                run = httpx.post(
                    f"{api}/deployments/{by_flow[flow_name]['id']}/create_flow_run",
                    json={"parameters": {"params": {**params, "approval": "人工审批"}}},
                    timeout=10,
                ).json()
                assert _wait_state(api, run["id"], {"PAUSED", "FAILED", "CRASHED"}) == "PAUSED"
                page.goto(f"{ui}/runs/flow-run/{run['id']}")
                page.get_by_role("button", name="Resume", exact=True).click()
                modal = page.locator(".p-modal").first
                expect(modal.get_by_text("Resume Flow Run")).to_be_visible()
                choices = _check_form(page, modal, flow_name)
                assert set(choices) == offered, (flow_name, choices)
                modal.screenshot(path=str(DOCS / f"sign-off-{flow_name}.png"))
                _pick(page, modal, label, answer)
                modal.get_by_role("button", name="Submit", exact=True).click()
                assert _wait_state(api, run["id"], {"COMPLETED", "FAILED"}) == "COMPLETED"
        finally:
            browser.close()
