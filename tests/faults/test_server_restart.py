"""Fault injection: the Prefect server is stopped in the middle of idea intake and started again.

A real `prefect server start` (deployments.runtime.server, its own PREFECT_HOME) serves a task
worker (`learning-district ideas worker`) and the portal (`learning-district portal`, the
app of `create_app` under uvicorn; POST /ideas), each a child process as deployed.
Ten ideas go in and are screened through the task queue; the server is stopped; ten more go in
— each still answered 201, because an idea is stored before it is acknowledged and only the
announcement (event + `.delay()`) needs the server; the server is started again on the same
port; ten more go in and the worker, which reconnects by itself, screens them. The sweeper then
screens what the queue never got. Every idea is screened exactly once and none is lost.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import select

from deployments.runtime.server import free_port, start_server, stop_process, wait_healthy
from flows.golden_ideas import sweep_ideas
from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.ideas import campaign, records
from tasks.samples.ideas import generate_ideas
from tests.faults.harness import cli_command, with_bytecode_cache
from tests.hardening import Ledger

YEAR = 2026
BATCH = 10


def wait(check: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def ideas() -> dict[int, Idea]:
    with session_scope() as session:
        return {i.id: i for i in session.exec(select(Idea)).all() if i.id is not None}


def screened(ids: list[int]) -> bool:
    current = ideas()
    return all(current[i].status != "received" for i in ids)


def rejections() -> tuple[Counter[str], Counter[str]]:
    """Per ref: rejection decisions and rejection messages written (each must be 1)."""
    with session_scope() as session:
        decisions = Counter(
            d.subject for d in session.exec(select(Decision)).all() if d.kind == "rejected"
        )
        messages = Counter(
            m.key.rsplit(":", 1)[1]
            for m in session.exec(select(OutboxMessage)).all()
            if m.kind == "rejected"
        )
    return decisions, messages


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[list[subprocess.Popen[bytes]], str, int]]:
    """A real Prefect server on a fixed port; the list holds the running process (replaceable)."""
    port = free_port()
    process, api_url, log = start_server(port=port, home=tmp_path / "prefect")
    processes = [process]
    try:
        wait_healthy(api_url, timeout=180, process=process, log_file=log)
        yield processes, api_url, port
    finally:
        for running in processes:
            stop_process(running)


def test_server_restart_during_intake_loses_nothing(
    registry: DistrictProfile,
    tmp_path: Path,
    server: tuple[list[subprocess.Popen[bytes]], str, int],
    hardening: Ledger,
) -> None:
    processes, api_url, port = server
    campaign.open_campaign(year=YEAR, start=date(2026, 9, 1))
    communities = [c for s in registry.streets for c in s.communities]
    samples = generate_ideas(count=3 * BATCH, communities=communities, year=YEAR, seed=31)
    forms = [
        {
            "submitter": s.submitter,
            "phone": s.phone,
            "community": s.community,
            "title": s.title,
            # every fifth one is spam, so screening also writes decisions and messages
            "content": s.content + ("，有意者加微信详谈" if n % 5 == 0 else ""),
            "year": YEAR,
        }
        for n, s in enumerate(samples)
    ]
    env = with_bytecode_cache(
        {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    )
    intake_port = free_port()
    intake_url = f"http://127.0.0.1:{intake_port}"
    # the portal and the task worker as deployed: `portal` and `ideas worker` processes
    for name, command in (
        ("worker", cli_command("ideas", "worker")),
        ("intake", cli_command("portal", "--port", str(intake_port))),
    ):
        with (tmp_path / f"{name}.log").open("wb") as out:
            processes.append(
                subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
            )
    codes: list[int] = []

    def post(batch: list[dict[str, object]]) -> list[int]:
        replies = [httpx.post(f"{intake_url}/ideas", json=form, timeout=30) for form in batch]
        codes.extend(reply.status_code for reply in replies)
        return [int(reply.json()["id"]) for reply in replies if reply.status_code == 201]

    wait(lambda: healthy(f"{intake_url}/health"), "the intake to start")
    before = post(forms[:BATCH])
    wait(lambda: screened(before), "the worker to screen the first ideas")

    stop_process(processes[0])  # the server goes away, with its in-memory task queue
    during = post(forms[BATCH : 2 * BATCH])

    process, _, log = start_server(port=port, home=tmp_path / "prefect")
    processes[0] = process
    wait_healthy(api_url, timeout=180, process=process, log_file=log)
    after = post(forms[2 * BATCH :])
    wait(lambda: screened(after), "the worker to screen ideas after the restart")

    later = utcnow() + timedelta(minutes=30)
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        swept = asyncio.run(sweep_ideas(after_minutes=10, now=later))
        again = asyncio.run(sweep_ideas(after_minutes=10, now=later + timedelta(hours=1)))
    stored = ideas()
    statuses = Counter(i.status for i in stored.values())
    rejected = {i.ref for i in stored.values() if i.status == "rejected"}
    decisions, messages = rejections()
    once = Counter(dict.fromkeys(rejected, 1))
    survived = (
        codes == [201] * 3 * BATCH
        and statuses == {"screened": 24, "rejected": 6}
        and decisions == once
        and messages == once
        and again == 0
        and swept <= BATCH
    )
    hardening.fault("ideas intake: Prefect server restarted mid-intake", survived=survived)

    assert codes == [201] * 3 * BATCH  # acknowledged while the server was down too
    assert len(before) == len(during) == len(after) == BATCH
    assert len(stored) == 3 * BATCH  # nothing lost
    assert statuses == {"screened": 24, "rejected": 6}  # nothing left unscreened
    # only ideas taken in while the server was down can have needed the sweeper
    assert swept <= BATCH
    assert decisions == once and messages == once  # each rejection decided and sent once
    assert again == 0
    assert records.screen_ids(ids=list(stored), now=later) == 0  # a late redelivery: nothing


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
