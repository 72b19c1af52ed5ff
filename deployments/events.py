"""The events that chain the flows: their names and the arguments of `emit_event` for each.

Producers (the CLI, the intake, tests) build events here; `deployments/catalog.py` triggers
deployments on the same names. Payloads carry ids and refs, never personal data beyond what the
reacting flow needs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.params.awards import ObjectionParameters
from models.params.calendar import ConfirmParameters, RsvpParameters
from models.params.secondment import DeclineParameters
from tasks.ideas.records import Ack

DECLINED_EVENT = "district.secondment.declined"
CONFIRMED_EVENT = "district.secondment.confirmed"
RSVP_EVENT = "district.calendar.rsvp.answered"
DISTRIBUTED_EVENT = "district.calendar.distribution.confirmed"
OBJECTION_EVENT = "district.award.objection.filed"
SUBMITTED_EVENT = "district.ideas.submitted"


def decline_event(*, year: int, staff_id: str, reason: str = "") -> dict[str, Any]:
    """The arguments of `emit_event` for a decline (CLI, intake forms and tests use this); the
    payload is the decline form (`secondment-decline/on-decline`)."""
    form = DeclineParameters(year=year, staff_id=staff_id, reason=reason)
    return {
        "event": DECLINED_EVENT,
        "resource": {"prefect.resource.id": f"district.secondment.{year}.{staff_id}"},
        "payload": form.model_dump(mode="json"),
    }


def confirm_event(*, year: int, staff_id: str) -> dict[str, Any]:
    """A seconded teacher confirms they will report (nothing reacts yet; it is on record)."""
    return {
        "event": CONFIRMED_EVENT,
        "resource": {"prefect.resource.id": f"district.secondment.{year}.{staff_id}"},
        "payload": {"year": year, "staff_id": staff_id},
    }


def rsvp_event(
    *, year: int, meeting: str, attendee: str, audience: str, response: str, comment: str
) -> dict[str, Any]:
    """An invitee's answer to a meeting; the payload is the RSVP form (`meeting-rsvp/form`),
    as its JSON reads (choices in Chinese), so the triggered run takes it as it is."""
    form = RsvpParameters(
        year=year,
        event=meeting,
        attendee=attendee,
        audience=audience,
        response=response,
        comment=comment,
    )
    return {
        "event": RSVP_EVENT,
        "resource": {"prefect.resource.id": f"district.calendar.{year}.{meeting}.{audience}"},
        "payload": form.model_dump(mode="json"),
    }


def distribution_event(
    *, year: int, community: str, confirmed_by: str, note: str, today: date
) -> dict[str, Any]:
    """A community office confirms the material reached every household (R7.2); the payload
    is the confirmation form (`distribution-confirm/form`)."""
    form = ConfirmParameters(
        year=year, community=community, confirmed_by=confirmed_by, note=note, today=today
    )
    return {
        "event": DISTRIBUTED_EVENT,
        "resource": {"prefect.resource.id": f"district.calendar.{year}.distribution.{community}"},
        "payload": form.model_dump(mode="json"),
    }


def objection_event(*, year: int, ref: str, objector: str, content: str) -> dict[str, Any]:
    """The arguments of `emit_event` for a real-name award objection; the payload is the
    objection form (`award-objection/on-objection`)."""
    form = ObjectionParameters(year=year, ref=ref, objector=objector, content=content)
    return {
        "event": OBJECTION_EVENT,
        "resource": {"prefect.resource.id": f"district.award.{year}.{ref}"},
        "payload": form.model_dump(mode="json", exclude_defaults=True),
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
