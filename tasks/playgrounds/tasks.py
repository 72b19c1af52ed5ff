"""Prefect task wrappers of the open playgrounds (each one retryable as a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.playgrounds import records
from tasks.playgrounds.records import WeekPlan
from tasks.playgrounds.rules import Closure

RETRY: dict[str, Any] = {"retries": 2, "retry_delay_seconds": [2, 10]}


@task(name="playground-closure-notices", cache_policy=NO_CACHE, **RETRY)
def closure_notices_task(today: date) -> list[Closure]:
    return records.stage_closure_notices(today)


@task(name="playground-week", cache_policy=NO_CACHE, **RETRY)
def publish_week_task(monday: date) -> WeekPlan:
    return records.publish_week(monday)


@task(name="playground-pending-messages", cache_policy=NO_CACHE, **RETRY)
def pending_messages_task(years: list[int]) -> list[int]:
    return records.pending_message_ids(years)
