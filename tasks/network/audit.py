"""The community-school rollout check (R8.3) as the audit re-derives it.

Pure: the plan, the day, the registered schools and the open tasks a check ran on give back
what it did for each street (open a task, remind, close, remind of the standard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from models.profile.network import RolloutPlan
from tasks.common.decisions import Outcomes, Rederived
from tasks.network.rules import (
    RolloutAction,
    SchoolState,
    TaskState,
    rollout_actions,
    rollout_digest,
)

# Bump when the rollout rule changes what it decides.
RULE_VERSION = "R8.3-1"

DECISION_KINDS = {
    "open": "rollout-opened",
    "overdue": "rollout-overdue",
    "done": "rollout-done",
    "standard": "standard-reminder",
}


def rollout_payload(
    *,
    plan: RolloutPlan,
    year: int,
    today: date,
    schools: Mapping[str, SchoolState],
    tasks: Mapping[str, TaskState],
) -> dict[str, Any]:
    return {
        "plan": plan.model_dump(mode="json"),
        "year": year,
        "today": today.isoformat(),
        "schools": {k: v.model_dump(mode="json") for k, v in sorted(schools.items())},
        "tasks": {k: v.model_dump(mode="json") for k, v in sorted(tasks.items())},
    }


def rollout_outcomes(actions: Sequence[RolloutAction]) -> Outcomes:
    return {
        (a.street, DECISION_KINDS[a.kind]): {"due": a.due_on.isoformat(), "plan_year": a.plan_year}
        for a in actions
    }


def rederive_rollout(payload: dict[str, Any]) -> Rederived:
    state: dict[str, Any] = {
        "plan": RolloutPlan.model_validate(payload["plan"]),
        "year": payload["year"],
        "today": date.fromisoformat(payload["today"]),
        "schools": {k: SchoolState.model_validate(v) for k, v in payload["schools"].items()},
        "tasks": {k: TaskState.model_validate(v) for k, v in payload["tasks"].items()},
    }
    return Rederived(
        digest=rollout_digest(**state), outcomes=rollout_outcomes(rollout_actions(**state))
    )
