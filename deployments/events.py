"""The events that chain the flows: their names and the arguments of `emit_event` for each.

Producers (the CLI, the intake, tests) build events here; `deployments/catalog.py` triggers
deployments on the same names. Payloads carry ids and refs, never personal data beyond what the
reacting flow needs.
"""

from __future__ import annotations

from typing import Any

from tasks.ideas.records import Ack

DECLINED_EVENT = "district.secondment.declined"
OBJECTION_EVENT = "district.award.objection.filed"
SUBMITTED_EVENT = "district.ideas.submitted"


def decline_event(*, year: int, staff_id: str, reason: str = "") -> dict[str, Any]:
    """The arguments of `emit_event` for a decline (CLI, intake forms and tests use this)."""
    return {
        "event": DECLINED_EVENT,
        "resource": {"prefect.resource.id": f"district.secondment.{year}.{staff_id}"},
        "payload": {"year": year, "staff_id": staff_id, "reason": reason},
    }


def objection_event(*, year: int, ref: str, objector: str, content: str) -> dict[str, Any]:
    """The arguments of `emit_event` for a real-name award objection."""
    return {
        "event": OBJECTION_EVENT,
        "resource": {"prefect.resource.id": f"district.award.{year}.{ref}"},
        "payload": {"year": year, "ref": ref, "objector": objector, "content": content},
    }


def ideas_event(acks: list[Ack], *, source: str) -> dict[str, object]:
    """The arguments of `emit_event` for a batch of stored submissions (no PII in the event)."""
    return {
        "event": SUBMITTED_EVENT,
        "resource": {
            "prefect.resource.id": f"district.ideas.batch.{acks[0].id}",
            "prefect.resource.name": f"{len(acks)} ideas from {source}",
        },
        "payload": {
            "count": len(acks),
            "ids": [ack.id for ack in acks],
            "refs": [ack.ref for ack in acks],
            "years": sorted({ack.year for ack in acks}),
            "source": source,
        },
    }
