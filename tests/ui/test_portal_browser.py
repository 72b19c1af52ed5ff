"""People answer on their phones: the portal in a real browser (Debian's Chromium, 390×844).

`learning-district up` runs in a subprocess over a fresh data directory with a generated roster
(the Prefect server, every deployment served, the portal beside them). The clerk runs the year's
secondment, signs off the year's calendar and runs its day of invitations and of distribution
requests from the command line against that server; the messages land in the data dir's outbox
file, as recipients would read them. Then, as a phone would:

1. a seconded teacher opens the link of their notice and declines with a reason; the event
   starts the served replacement deployment and the replacement's notice is in the outbox
   within 30 s;
2. an invited audience opens its invitation's link, delegates someone and downloads the
   meeting's .ics from the same page; the served RSVP deployment records the answer;
3. a community office opens its distribution request's link and confirms the households
   reached; the served confirmation deployment records it.

Screenshots of each page land in test-output/portal/ (docs/ holds reduced copies).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlmodel import select

from deployments.runtime.server import free_port
from models.db import session_scope
from models.meetings import Distribution, Rsvp
from models.profile.schema import DistrictProfile
from tests.factories import seed_roster

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "portal"
PHONE = {"width": 390, "height": 844}
YEAR = 2027  # a year ahead: every reply deadline is still open, whatever today is
REPLACEMENT_WITHIN_S = 30.0

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


def _command(*args: str) -> list[str]:
    exe = shutil.which("learning-district")
    return [exe, *args] if exe else [sys.executable, "-m", "deployments.cli.app", *args]


def _wait(check: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Stack:
    """`up` in a subprocess: its log, its API and portal addresses, the data dir's outbox."""

    def __init__(self, workdir: Path, data_dir: Path) -> None:
        self.workdir, self.data_dir = workdir, data_dir
        self.portal_port = free_port()
        self.portal = f"http://127.0.0.1:{self.portal_port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        self.env["LD_PUBLIC_URL"] = self.portal
        self.log = workdir / "up.log"
        self.api = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                _command("up", "--portal-port", str(self.portal_port)),
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

        def ready() -> str | None:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            text = self.log.read_text()
            ui = re.search(r"^Prefect UI: (\S+)", text, re.M)
            return ui.group(1) + "/api" if ui and f"Portal: {self.portal}" in text else None

        self.api = _wait(ready, "`up` to print the UI and portal addresses", 180)

        def served() -> bool:
            names = {
                d["name"] for d in httpx.post(f"{self.api}/deployments/filter", json={}).json()
            }
            return {"on-decline", "form", "sweeper", "daily"} <= names

        _wait(served, "every deployment to be served", 120)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def cli(self, *args: str) -> str:
        env = {**self.env, "PREFECT_API_URL": self.api}
        done = subprocess.run(
            _command(*args), cwd=self.workdir, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def outbox(self) -> list[dict[str, Any]]:
        path = self.data_dir / "outbox.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def stack(tmp_path: Path, registry: DistrictProfile, db: Path) -> Iterator[Stack]:
    seed_roster(registry, count=200, seed=YEAR)
    running = Stack(tmp_path, db)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _link(message: dict[str, Any], portal: str) -> str:
    found = re.search(rf"{re.escape(portal)}/r/[A-Za-z0-9_-]+", message["body"])
    assert found, message
    return found.group(0)


def _first_invitation_day() -> str:
    """The day the signed-off year's first invitations go out (a lead time before it)."""
    from models.meetings import Meeting
    from tasks.calendar.rules import invitation_day
    from tasks.common.district import active_profile
    from tasks.common.holidays import work_calendar

    with session_scope() as session:
        first = session.exec(
            select(Meeting).where(Meeting.year == YEAR).order_by(Meeting.day)  # type: ignore[arg-type]
        ).first()
        assert first is not None
        policy = active_profile(session).calendar
        day = invitation_day(first.day, policy, workdays=work_calendar(session))
    return day.isoformat()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_teacher_invitee_and_office_answer_on_a_phone(stack: Stack) -> None:
    stack.cli("secondment", "--year", str(YEAR), "--approve")
    teachers = [m for m in stack.outbox() if m["body"].split("\n", 1)[0].endswith("老师：")]
    assert teachers, stack.outbox()
    notice = teachers[0]
    name = notice["body"].split("老师：", 1)[0]

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                accept_downloads=True, java_script_enabled=False,
            )  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(30_000)

            # 1. the teacher declines; the replacement is told within 30 s
            page.goto(_link(notice, stack.portal))
            expect(page.get_by_role("heading", name="挂职到岗确认")).to_be_visible()
            expect(page.get_by_text(f"{name}老师：")).to_be_visible()
            _shot(page, "1-secondment")
            page.get_by_role("radio", name="不能到岗", exact=True).check()
            page.locator("textarea[name=reason]").fill("家中老人需要照顾，暂时无法离校")
            before = len(stack.outbox())
            page.get_by_role("button", name="提交").click()
            submitted = time.monotonic()
            expect(page.get_by_role("heading", name="已收到您的回复")).to_be_visible()
            _shot(page, "2-secondment-received")

            def replacement() -> dict[str, Any] | None:
                later = stack.outbox()[before:]
                return next(
                    (m for m in later if "递补" in m["body"] and "老师：" in m["body"]), None
                )

            told = _wait(
                replacement, "the replacement's notice in the outbox", REPLACEMENT_WITHIN_S
            )
            elapsed = time.monotonic() - submitted
            assert elapsed <= REPLACEMENT_WITHIN_S
            assert "家中老人" not in told["body"] and name not in told["body"]  # discreet
            assert re.search(rf"{re.escape(stack.portal)}/r/", told["body"])  # their own link

            # the used-up link now shows the refusal page, in Chinese
            page.goto(_link(notice, stack.portal))
            expect(page.get_by_role("heading", name="已经回复")).to_be_visible()
            _shot(page, "3-refusal-used")

            # 2. an invited audience answers the RSVP and downloads the .ics
            stack.cli("calendar", "plan", "--year", str(YEAR), "--approve")
            stack.cli("calendar", "due", "--year", str(YEAR), "--today", _first_invitation_day())
            invitation = next(m for m in stack.outbox() if m["title"].startswith("【会议通知】"))
            page.goto(_link(invitation, stack.portal))
            expect(page.get_by_role("heading", name="会议回执")).to_be_visible()
            _shot(page, "4-meeting")
            page.get_by_role("radio", name="委派他人参加", exact=True).check()
            page.locator("input[name=delegate]").fill("王晓东")
            page.get_by_role("button", name="提交").click()
            expect(page.get_by_role("heading", name="已收到您的回复")).to_be_visible()
            with page.expect_download() as download:
                page.get_by_role("link", name="下载日历文件（.ics）").click()
            ics = Path(download.value.path()).read_bytes()
            assert ics.startswith(b"BEGIN:VCALENDAR") and b"METHOD:REQUEST" in ics
            _shot(page, "5-meeting-received")

            # 3. a community office confirms the material reached every household
            stack.cli("calendar", "due", "--year", str(YEAR), "--today", f"{YEAR}-09-01")
            request = next(m for m in stack.outbox() if m["title"].startswith("【宣传资料发放】"))
            community = request["body"].split("（", 1)[0]
            page.goto(_link(request, stack.portal))
            expect(page.get_by_role("heading", name="宣传资料发放确认")).to_be_visible()
            page.locator("input[name=households]").fill("1268")
            page.locator("input[name=by]").fill("王主任")
            _shot(page, "6-distribution")
            page.get_by_role("button", name="提交").click()
            expect(page.get_by_role("heading", name="已收到您的回复")).to_be_visible()
            _shot(page, "7-distribution-received")
        finally:
            browser.close()

    # the events moved the workflow: the calendar's own forms recorded both answers
    def recorded() -> bool:
        with session_scope() as session:
            rsvp = session.exec(select(Rsvp).where(Rsvp.comment == "委派王晓东参加")).first()
            confirmed = session.exec(
                select(Distribution).where(
                    Distribution.year == YEAR, Distribution.community == community
                )
            ).first()
        return rsvp is not None and confirmed is not None and confirmed.confirmed_on is not None

    _wait(recorded, "the RSVP and the confirmation to be recorded by their deployments", 90)
    report = stack.cli("responses", "--year", str(YEAR), "--json")
    rows = json.loads(report)
    assert {"answered", "waiting"} <= {row["status"] for row in rows}
    print(f"replacement told {elapsed:.1f} s after the decline")
