"""Every deployment builds; a decline event starts the served replacement deployment."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.schedules import CronSchedule
from prefect.events import emit_event
from prefect.runner import Runner
from sqlmodel import select

from deployments.catalog import build_deployments
from deployments.events import DECLINED_EVENT, DISTRIBUTED_EVENT, RSVP_EVENT, decline_event
from deployments.runtime.server import flush_to_api
from flows.teacher_secondment import teacher_secondment
from models.db import session_scope
from models.params.secondment import SecondmentParameters
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from models.secondment import Assignment
from tests.factories import seed_roster


def test_every_deployment_builds() -> None:
    profile, _ = load_profile()
    deployments = {f"{d.flow_name}/{d.name}": d for d in build_deployments(profile)}

    assert set(deployments) == {
        "teacher-secondment/yearly",
        "ideas-campaign/september",
        "ideas-intake-sweeper/intake-sweeper",
        "ideas-review/review",
        "ideas-follow-up/follow-up",
        "secondment-decline/on-decline",
        "deliver-outbox/sweeper",
        "learning-awards/yearly",
        "award-objection/on-objection",
        "award-ruling/ruling",
        "awards-finalise/finalise",
        "annual-calendar/yearly",
        "calendar-daily/daily",
        "meeting-rsvp/form",
        "distribution-confirm/form",
        "meeting-change/form",
        "responses-announce/sweeper",
        "responses-daily/daily",
        "scoring-daily/daily",
        "annual-cycle/on-demand",
        "kpi-report/year-end",
        "community-school-rollout/yearly",
        "district-registry/yearly",
        "playground-notices/daily",
        "playground-schedule/weekly",
        "research-seminars/yearly",
        "pledge-confirm/form",
        "decision-audit/weekly",
    }
    for d in deployments.values():
        assert d.concurrency_limit == 1
        assert d.description  # operators read it in the UI
    yearly = deployments["teacher-secondment/yearly"]
    (schedule,) = yearly.schedules
    assert schedule.schedule.timezone == "Asia/Shanghai"
    assert schedule.schedule.cron == profile.secondment.schedule
    (trigger,) = deployments["secondment-decline/on-decline"].triggers
    assert trigger.expect == {DECLINED_EVENT}
    assert trigger.parameters == {"params": "{{ event.payload }}"}
    weekly = (deployments["playground-schedule/weekly"].schedules or [])[0].schedule
    rollout = (deployments["community-school-rollout/yearly"].schedules or [])[0].schedule
    assert isinstance(weekly, CronSchedule) and isinstance(rollout, CronSchedule)
    assert (weekly.cron, weekly.timezone) == (profile.playgrounds.weekly_schedule, "Asia/Shanghai")
    assert rollout.cron == profile.network.community_schools.check_schedule
    audit = (deployments["decision-audit/weekly"].schedules or [])[0].schedule
    assert isinstance(audit, CronSchedule)
    assert (audit.cron, audit.timezone) == (profile.audit.schedule, "Asia/Shanghai")
    # answers through personal links run the calendar's own forms, payload = the form
    for name, event in (
        ("meeting-rsvp/form", RSVP_EVENT),
        ("distribution-confirm/form", DISTRIBUTED_EVENT),
    ):
        (answered,) = deployments[name].triggers
        assert answered.expect == {event}
        assert answered.parameters == {"params": "{{ event.payload }}"}
    (daily,) = deployments["responses-daily/daily"].schedules
    assert daily.schedule.cron == profile.responses.schedule


@pytest.mark.usefixtures("prefect_harness")
def test_decline_event_runs_the_served_replacement(registry: DistrictProfile, db: Path) -> None:
    seed_roster(registry, count=200, seed=5)
    result = asyncio.run(teacher_secondment(SecondmentParameters(year=2026, approval="auto")))
    leaver = result.assignments[0].staff_id

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
        # wait until the trigger exists, then send; re-send now and then in case the event
        # arrived before the trigger was active (declining twice is recorded once)
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 60
            while not client.read_automations_by_name("secondment-declined"):
                assert time.monotonic() < deadline, "the decline trigger was never created"
                time.sleep(0.5)
        replaced = None
        next_emit = 0.0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and replaced is None:
            if time.monotonic() >= next_emit:
                emit_event(**decline_event(year=2026, staff_id=leaver, reason="事件测试"))
                flush_to_api()
                next_emit = time.monotonic() + 20
            with session_scope() as session:
                replaced = session.exec(
                    select(Assignment).where(Assignment.replaces == leaver)
                ).first()
            time.sleep(1)
        assert replaced is not None, "the decline event did not start the replacement"
        assert replaced.street == result.assignments[0].street
    finally:
        stop.set()
        server.join(timeout=30)
