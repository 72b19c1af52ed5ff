"""Outbox delivery: send staged notifications; run on a schedule it is the sweeper for failures."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.notify.delivery import deliver_outbox_task


@flow(name="deliver-outbox")
def deliver_outbox(message_ids: list[int] | None = None) -> dict[str, Any]:
    """Deliver pending and failed outbox messages (all, or only `message_ids`); return the report.

    Targets already delivered are never sent again, so running this repeatedly is safe: that is
    how failed deliveries are retried.
    """
    report = deliver_outbox_task(message_ids=message_ids)
    return report.model_dump()
