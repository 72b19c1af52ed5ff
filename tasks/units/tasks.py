"""Prefect task wrappers of the community units (each one retryable as a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from tasks.units import records
from tasks.units.records import Confirmation


def _retry_unless_refused(_task: Task[..., Any], _run: TaskRun, state: State[Any]) -> bool:
    """Retry I/O trouble, not a refusal (an unknown pledge: a retry cannot help)."""
    return not isinstance(state.result(raise_on_failure=False), ValueError)


@task(
    name="pledge-confirm",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_retry_unless_refused,
)
def confirm_task(year: int, ref: str, confirmed_by: str, note: str, today: date) -> Confirmation:
    return records.confirm_pledge(
        year=year, ref=ref, confirmed_by=confirmed_by, note=note, today=today
    )


@task(name="units-pending-messages", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def pending_messages_task(year: int) -> list[int]:
    return records.pending_message_ids(year)
