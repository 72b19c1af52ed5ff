"""The rest of the policy's flows against a real Prefect server: the rollout check, the
playgrounds' notices and week, the seminar series, a pledge confirmed from the form."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from flows.community_units import pledge_confirm
from flows.district_network import community_school_rollout, district_registry
from flows.open_playgrounds import playground_notices, playground_schedule
from flows.research_seminars import research_seminars
from models.db import session_scope
from models.outbox import OutboxMessage
from models.params.calendar import CalendarParameters
from models.params.network import PlaygroundParameters, PledgeConfirmParameters, RolloutParameters
from models.profile.schema import DistrictProfile
from tasks.calendar import plan
from tasks.calendar import records as calendar
from tasks.calendar.scheduling import solve_schedule
from tasks.importing.playgrounds import import_playgrounds_file
from tasks.importing.pledges import import_pledges_file
from tasks.samples import network as samples

pytestmark = pytest.mark.usefixtures("prefect_harness")


def sent(flow: str) -> list[OutboxMessage]:
    with session_scope() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.flow == flow, OutboxMessage.status == "delivered"
                )
            ).all()
        )


def test_rollout_and_registry_flows(registry: DistrictProfile, db: Path) -> None:
    params = RolloutParameters(year=2027, today=date(2027, 1, 15))

    first = asyncio.run(community_school_rollout(params))
    again = asyncio.run(community_school_rollout(params))
    report = asyncio.run(district_registry(year=2027, today=date(2027, 1, 15)))

    # the plan's three 2026 pilots and two 2027 streets are due; nothing registered yet
    assert len(first.actions) == 5 and again.actions == []
    assert len(sent("network")) == 5  # delivered at once, once
    assert report["files"][0].endswith("network-2027.md") and Path(report["files"][1]).is_file()


def test_playground_flows(registry: DistrictProfile, tmp_path: Path) -> None:
    import_playgrounds_file(samples.write_playgrounds_csv(tmp_path / "p.csv", registry, seed=3))

    notices = asyncio.run(playground_notices(PlaygroundParameters(today=date(2026, 9, 30))))
    week = asyncio.run(playground_schedule(PlaygroundParameters(today=date(2026, 9, 25))))

    assert {c["reason"] for c in notices["closures"]} == {"国庆节假期"}
    assert week.monday == date(2026, 9, 28) and len(week.streets) == len(registry.streets)
    assert {m.kind for m in sent("playgrounds")} >= {"week-2026-09-28"}


def test_seminars_and_a_pledge_from_the_form(registry: DistrictProfile, tmp_path: Path) -> None:
    inputs = calendar.plan_inputs(CalendarParameters(year=2026), year=2026)
    plan.record_calendar(
        inputs=inputs, schedule=solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    )
    import_pledges_file(samples.write_pledges_csv(tmp_path / "u.csv", registry, year=2026))

    seminars = asyncio.run(research_seminars(year=2026))
    thanked = asyncio.run(
        pledge_confirm(
            PledgeConfirmParameters(
                year=2026, ref="P0003", confirmed_by="李经办", today=date(2026, 5, 6)
            )
        )
    )

    assert seminars.placed and len(seminars.seminars) == 4
    assert thanked.changed and [m.audience for m in sent("units")] == ["unit-U002"]
