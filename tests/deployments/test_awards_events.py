"""A real-name objection event starts the served award-objection deployment, which records it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.runner import Runner
from sqlmodel import select

from deployments.catalog import build_deployments
from deployments.events import objection_event
from deployments.runtime.server import flush_to_api
from models.awards import AwardEntry, AwardObjection, AwardScore, Nomination
from models.db import session_scope
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from tasks.awards import records
from tasks.awards.rules import propose
from tasks.common import clock
from tasks.samples.awards import generate_nominations, generate_scores

YEAR = 2026


def approve_list_in_publicity(profile: DistrictProfile) -> AwardEntry:
    """Seed a year, approve its list with 公示 starting today (the event flow reads the clock)."""
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
    today = clock.today(profile)
    records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=today
    )
    with session_scope() as session:
        listed = session.exec(
            select(AwardEntry)
            .where(AwardEntry.year == YEAR, AwardEntry.status == "listed")
            .order_by(AwardEntry.ref)
        ).first()
    assert listed is not None and listed.publicity_end is not None
    assert listed.publicity_end >= today
    return listed


def flow_runs() -> list[tuple[str, str, str]]:
    """(name, state, message) of every flow run, for a failure message."""
    with get_client(sync_client=True) as client:
        return [
            (r.name, r.state_name or "", (r.state.message or "") if r.state else "")
            for r in client.read_flow_runs()
        ]


def wait_for_automation(name: str) -> None:
    """Wait until the served deployment's event trigger exists on the server."""
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while not client.read_automations_by_name(name):
            assert time.monotonic() < deadline, f"automation {name} was never created"
            time.sleep(0.5)


@pytest.mark.usefixtures("prefect_harness")
def test_objection_event_records_the_objection(registry: DistrictProfile, db: Path) -> None:
    entry = approve_list_in_publicity(registry)

    stop = threading.Event()
    deployments = build_deployments(registry)  # built outside the loop: to_deployment is sync here

    async def serve() -> None:
        runner = Runner(query_seconds=1, pause_on_shutdown=False)
        for d in deployments:
            await runner.aadd_deployment(d)
        started = asyncio.create_task(runner.start())
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await runner.astop()
        started.cancel()

    server = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    server.start()
    try:
        wait_for_automation("award-objection-filed")
        recorded: list[AwardObjection] = []
        deadline = time.monotonic() + 120
        next_emit = 0.0
        while time.monotonic() < deadline and not recorded:
            if time.monotonic() >= next_emit:
                # re-sent while nothing is recorded, in case the trigger was not yet armed on a
                # loaded machine; filing the same objection again is recorded once
                emit_event(
                    **objection_event(
                        year=YEAR, ref=entry.ref, objector="王建国", content="活动材料有重复"
                    )
                )
                flush_to_api()
                next_emit = time.monotonic() + 20
            time.sleep(1)
            with session_scope() as session:
                recorded = list(
                    session.exec(select(AwardObjection).where(AwardObjection.ref == entry.ref))
                )
        assert recorded, f"the objection event did not start the served deployment: {flow_runs()}"
        assert [(o.year, o.objector, o.content, o.status) for o in recorded] == [
            (YEAR, "王建国", "活动材料有重复", "open")
        ]
    finally:
        stop.set()
        server.join(timeout=30)
