"""The operator's path through the Prefect UI, in a real browser (Debian's Chromium).

`learning-district up` runs in a subprocess over a fresh data directory with a generated roster;
the browser triggers the secondment from its deployment page, approves the paused run through
its resume form, and sees the run complete and the proposal artifact appear. Screenshots of every
step land in test-output/ui/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from models.profile.schema import DistrictProfile
from tests.factories import seed_roster

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "ui"
YEAR = 2026
STEP_TIMEOUT_MS = 30_000  # any single UI step
RUN_TIMEOUT_S = 60.0  # a run reaching Paused / Completed

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


def _start_up(workdir: Path) -> tuple[subprocess.Popen[str], Path]:
    """`learning-district up` with this test's LD_DATA_DIR / LD_DATABASE_URL, no outside Prefect."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    exe = shutil.which("learning-district")
    command = [exe] if exe else [sys.executable, "-m", "deployments.cli.app"]
    log_path = workdir / "up.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "up"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    return process, log_path


def _wait_for_ui(process: subprocess.Popen[str], log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text()
        for line in text.splitlines():
            if line.startswith("Prefect UI: "):
                return line.split()[2]
        assert process.poll() is None, f"`up` exited early:\n{text}"
        time.sleep(0.5)
    raise AssertionError(f"`up` printed no UI address in {timeout:g} s:\n{log_path.read_text()}")


def _deployments(api: str, timeout: float) -> list[dict[str, Any]]:
    """Every deployment, once the secondment one has been registered by `serve`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found: list[dict[str, Any]] = httpx.post(
            f"{api}/deployments/filter", json={}, timeout=10
        ).json()
        flows = {
            f["id"]: f["name"]
            for f in httpx.post(f"{api}/flows/filter", json={}, timeout=10).json()
        }
        for d in found:
            d["flow_name"] = flows.get(d["flow_id"], "")
        if any(d["flow_name"] == "teacher-secondment" and d["name"] == "yearly" for d in found):
            return found
        time.sleep(1)
    raise AssertionError("teacher-secondment/yearly was never registered")


@pytest.fixture
def ui(tmp_path: Path, registry: DistrictProfile) -> Iterator[str]:
    """A running `learning-district up` over a data dir with the bundled profile and a roster."""
    seed_roster(registry, count=200, seed=YEAR)
    process, log_path = _start_up(tmp_path)
    try:
        yield _wait_for_ui(process, log_path, timeout=120)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _form_property(page: Page, label: str) -> Locator:
    """The schema-form property whose label starts with `label` (Prefect's generated forms)."""
    return page.locator(
        "xpath=//span[contains(@class,'schema-form-property__label')"
        f" and starts-with(normalize-space(.),'{label}')]"
        "/ancestor::div[contains(concat(' ',@class,' '),' schema-form-property ')][1]"
    )


def _state_badge(page: Page, state: str) -> Locator:
    """The run's state badge in the page header (not a log line that mentions the state)."""
    return page.locator(".state-badge", has_text=state).first


def _wait_for(page: Page, locator: Locator, what: str) -> None:
    """Wait (bounded) until `locator` is visible; reload now and then in case the view is stale."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            expect(locator).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            page.reload()
    raise AssertionError(f"the UI never showed {what} within {RUN_TIMEOUT_S:g} s")


def test_operator_runs_and_approves_the_secondment_in_the_ui(ui: str) -> None:
    api = f"{ui}/api"
    deployments = _deployments(api, timeout=60)
    secondment = next(
        d for d in deployments if d["flow_name"] == "teacher-secondment" and d["name"] == "yearly"
    )

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT_MS)

            # Every deployment page shows its Chinese description (Description tab).
            for d in deployments:
                first_line = d["description"].strip().splitlines()[0]
                assert re.search(r"[\u4e00-\u9fff]", first_line), d["name"]
                page.goto(f"{ui}/deployments/deployment/{d['id']}")
                page.get_by_text("Description", exact=True).click()
                expect(page.get_by_text(first_line[:12]).first).to_be_visible()
            _shot(page, "01-deployment-description")

            # The secondment deployment: Run ▸ Custom run, year 2026, approval manual.
            page.goto(f"{ui}/deployments/deployment/{secondment['id']}")
            expect(page.get_by_text("teacher-secondment").first).to_be_visible()
            _shot(page, "02-deployment-page")
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text("Custom run", exact=True).click()
            year = _form_property(page, "年度")
            year.locator("input").fill(str(YEAR))
            approval = _form_property(page, "审批方式")
            expect(approval.locator(".p-select-button__value")).to_have_text("人工审批")
            _shot(page, "03-custom-run-form")
            page.get_by_role("button", name="Submit", exact=True).click()

            # Back on the deployment page the new run is listed (named by the flow); it pauses.
            expect(page.get_by_text("scheduled to start").first).to_be_visible()
            page.wait_for_url(re.compile(r"/deployments/deployment/"))
            run_link = page.get_by_role("link", name=f"secondment-{YEAR}", exact=True).first
            _wait_for(page, run_link, f"a run named secondment-{YEAR}")
            _shot(page, "04-deployment-runs")
            run_link.click()
            page.wait_for_url(re.compile(r"/runs/flow-run/"))
            run_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
            _wait_for(page, _state_badge(page, "Paused"), "state Paused")
            expect(page.get_by_text(f"secondment-{YEAR}").first).to_be_visible()
            _shot(page, "05-run-paused")

            # The resume form is the SecondmentSignOff input: approve, with operator and comment.
            page.get_by_role("button", name="Resume", exact=True).click()
            expect(page.get_by_text("Resume Flow Run")).to_be_visible()
            expect(page.get_by_text(f"{YEAR}年度教师挂职选派方案").first).to_be_visible()
            decision = _form_property(page, "审批结果")
            expect(decision.locator(".p-select-button__value")).to_have_text("批准")
            _form_property(page, "审批人").locator("textarea").fill("王经办")
            _form_property(page, "意见").locator("textarea").fill("同意，按方案执行")
            _shot(page, "06-resume-form")
            page.get_by_role("button", name="Submit", exact=True).click()

            # The run completes and the proposal artifact is listed on the run.
            _wait_for(page, _state_badge(page, "Completed"), "state Completed")
            _shot(page, "07-run-completed")
            page.get_by_text("Artifacts", exact=True).click()
            expect(page.get_by_text(f"secondment-proposal-{YEAR}").first).to_be_visible()
            _shot(page, "08-run-artifacts")
            page.get_by_text(f"secondment-proposal-{YEAR}").first.click()
            page.wait_for_url(re.compile(r"/artifacts/"))
            expect(page.get_by_text("T0").first).to_be_visible()
            _shot(page, "09-proposal-artifact")
        finally:
            browser.close()

    run = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"]["params"]["year"] == YEAR
    assert run["parameters"]["params"]["approval"] == "人工审批"
    inputs = httpx.post(
        f"{api}/flow_runs/{run_id}/input/filter", json={"prefix": "", "limit": 20}, timeout=10
    ).json()
    values = [json.loads(i["value"]) for i in inputs]
    assert any(
        isinstance(v, dict) and v.get("decision") == "批准" and v.get("operator") == "王经办"
        for v in values
    ), values
