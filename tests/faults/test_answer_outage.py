"""Fault injection: a teacher answers through their personal link while the Prefect server is down.

A real `prefect server start` (its own PREFECT_HOME, a fixed port) is what the portal announces
to. While it runs, an answer is stored and announced at once. Then the server is stopped and a
second teacher declines: the page still says 已收到 — the answer is stored first — and its
event waits, marked as not announced. The server is started again on the same port and the
sweeper deployment's flow (`responses-announce`) publishes it: the server then holds exactly the
event stored with the answer (same id, same payload), and a second sweep publishes nothing.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import select

from deployments.portal.app import create_app
from deployments.runtime.server import free_port, start_server, stop_process, wait_healthy
from flows.responses import announce_answers
from models.db import session_scope
from models.profile.schema import DistrictProfile
from models.responses import ResponseAnswer
from tasks.common import links
from tasks.common.events import PrefectApi
from tests.hardening import Ledger

YEAR = 2026


def wait(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[list[subprocess.Popen[bytes]], str, int]]:
    port = free_port()
    process, api_url, log = start_server(port=port, home=tmp_path / "prefect")
    processes = [process]
    try:
        wait_healthy(api_url, timeout=180, process=process, log_file=log)
        yield processes, api_url, port
    finally:
        for running in processes:
            stop_process(running)


def ask(staff_id: str) -> str:
    with session_scope() as session:
        url = links.ask(
            session,
            purpose="secondment",
            year=YEAR,
            recipient=staff_id,
            subject="嘉兴路街道",
            audience=f"teacher-{staff_id}",
            deadline=datetime.now(UTC) + timedelta(days=5),
            details={"recipient_name": staff_id, "street": "嘉兴路街道", "year": YEAR},
        )
    return url.rsplit("/", 1)[1]


def decline(client: TestClient, token: str, reason: str) -> httpx.Response:
    page = client.get(f"/r/{token}").text
    form = {
        name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        for name in ("csrf", "form_id")
    }
    return client.post(f"/r/{token}", data={**form, "choice": "decline", "reason": reason})


def stored() -> dict[str, ResponseAnswer]:
    with session_scope() as session:
        rows = session.exec(select(ResponseAnswer)).all()
    return {row.event["payload"]["staff_id"]: row for row in rows}


def events_on(api_url: str) -> dict[str, dict[str, Any]]:
    reply = httpx.post(
        f"{api_url}/events/filter",
        json={"filter": {"event": {"name": ["district.secondment.declined"]}}, "limit": 50},
        timeout=10,
    )
    reply.raise_for_status()
    return {event["id"]: event for event in reply.json()["events"]}


def test_an_answer_while_prefect_is_down_is_stored_and_announced_when_it_is_back(
    registry: DistrictProfile,
    tmp_path: Path,
    server: tuple[list[subprocess.Popen[bytes]], str, int],
    hardening: Ledger,
) -> None:
    processes, api_url, port = server
    before, during = ask("T00001"), ask("T00002")
    app = create_app(prefect=PrefectApi(url=api_url))
    with TestClient(app) as client:
        assert decline(client, before, "身体原因").status_code == 200
        wait(lambda: stored()["T00001"].announced_at is not None, "the first announcement")
        first = stored()["T00001"].event["id"]
        wait(lambda: first in events_on(api_url), "the server to hold the first event")

        stop_process(processes[0])  # the server goes away
        reply = decline(client, during, "家中老人需要照顾")
        assert reply.status_code == 200 and "已收到您的回复" in reply.text
    waiting = stored()["T00002"]
    assert waiting.announced_at is None  # stored, not announced

    process, _, log = start_server(port=port, home=tmp_path / "prefect")
    processes[0] = process
    wait_healthy(api_url, timeout=180, process=process, log_file=log)
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        announced = asyncio.run(announce_answers(older_than_seconds=0))
        again = asyncio.run(announce_answers(older_than_seconds=0))
    event_id = waiting.event["id"]
    wait(lambda: event_id in events_on(api_url), "the server to hold the late event")
    event = events_on(api_url)[event_id]
    survived = announced == 1 and again == 0 and stored()["T00002"].announced_at is not None
    hardening.fault("portal: Prefect server down while a teacher declines", survived=survived)

    assert announced == 1 and again == 0
    assert stored()["T00002"].announced_at is not None
    assert event["payload"] == {"year": YEAR, "staff_id": "T00002", "reason": "家中老人需要照顾"}
    assert event["resource"]["prefect.resource.id"] == f"district.secondment.{YEAR}.T00002"
    assert first in events_on(api_url)  # announced before the outage, kept
