"""Meeting placement as the audit re-derives it (R7.5, R7.1, R10.5).

Pure: the events, venues and rules (working-day calendar, days to avoid, seed, solver budget) a
schedule was solved on give back each meeting's day and venue. The year's plan and the research
seminars are both recorded this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tasks.calendar.placement import (
    EventSpec,
    Schedule,
    ScheduleRules,
    VenueSpec,
    inputs_digest,
)
from tasks.calendar.scheduling import solve_schedule
from tasks.common.decisions import Outcomes, Rederived

# Bump when the placement rule changes what it decides.
RULE_VERSION = "placement-1"


def schedule_payload(
    events: Sequence[EventSpec], venues: Sequence[VenueSpec], rules: ScheduleRules
) -> dict[str, Any]:
    return {
        "events": [e.model_dump(mode="json") for e in events],
        "venues": [v.model_dump(mode="json") for v in venues],
        "rules": rules.model_dump(mode="json"),
    }


def schedule_outcomes(schedule: Schedule) -> Outcomes:
    return {
        (p.key, "placed"): {"title": p.title, "day": p.day.isoformat(), "venue": p.venue}
        for p in schedule.events
    }


def rederive_schedule(payload: dict[str, Any]) -> Rederived:
    events = [EventSpec.model_validate(e) for e in payload["events"]]
    venues = [VenueSpec.model_validate(v) for v in payload["venues"]]
    rules = ScheduleRules.model_validate(payload["rules"])
    schedule = solve_schedule(events, venues, rules=rules)
    return Rederived(
        digest=inputs_digest(events, venues, rules),
        outcomes=schedule_outcomes(schedule),
        seed=rules.seed,
    )
