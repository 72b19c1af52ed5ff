"""Prefect task wrappers of scoring's database functions (each one retryable as a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.judging import progress
from tasks.judging.records import FLOW
from tasks.notify.delivery import undelivered_message_ids


@task(name="scoring-round-status", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def round_status_task(year: int, process: str = "awards") -> str | None:
    return progress.round_status(year, process)


@task(name="scoring-progress", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def progress_task(year: int, today: date, process: str = "awards") -> dict[str, Any]:
    return progress.progress(year, today=today, process=process)


@task(name="scoring-remind", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def remind_task(year: int, today: date, process: str = "awards") -> list[int]:
    """Reminders to judges with unscored items, on the working days before the deadline."""
    return progress.stage_reminders(year=year, today=today, process=process)


@task(name="scoring-deadline", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def close_task(year: int, today: date, process: str = "awards") -> dict[str, Any]:
    """After the deadline: flag items short of k valid scores, ask the operator."""
    return progress.close_at_deadline(year=year, today=today, process=process)


@task(name="scoring-extend", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def extend_task(
    year: int, deadline: date, operator: str, today: date, process: str = "awards"
) -> dict[str, Any]:
    return progress.extend(
        year=year, deadline=deadline, operator=operator, today=today, process=process
    )


@task(name="scoring-proceed", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def proceed_task(year: int, operator: str, process: str = "awards") -> dict[str, Any]:
    return progress.proceed(year=year, operator=operator, process=process)


@task(name="scoring-pending-messages", cache_policy=NO_CACHE)
def pending_messages_task(year: int) -> list[int]:
    """Scoring's messages of this year not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
