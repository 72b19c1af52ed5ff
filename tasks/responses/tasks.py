"""Prefect task wrappers of the personal-link answers (announcing, reminders, the table)."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.common.events import EventNotAnnounced, PrefectApi, publish
from tasks.responses import records, reminders
from tasks.responses.status import StatusRow, status_rows

ANNOUNCE_BATCH = 200


@task(name="announce-answers", cache_policy=NO_CACHE)
def announce_task(older_than_seconds: float = 30.0) -> int:
    """Publish the events of answers stored but never announced; how many were announced.

    Answers younger than OLDER_THAN_SECONDS are left to the portal that stored them.
    """
    from datetime import timedelta

    api = PrefectApi.current()
    if api is None:
        raise EventNotAnnounced("no Prefect API in this run's settings")
    done = 0
    while True:
        batch = records.unannounced(
            limit=ANNOUNCE_BATCH, older_than=timedelta(seconds=older_than_seconds)
        )
        if not batch:
            return done
        publish([event for _, event in batch], api=api)
        records.mark_announced([answer_id for answer_id, _ in batch])
        done += len(batch)
        get_run_logger().info("announced %d answers", len(batch))


@task(name="remind-non-responders", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def remind_task(today: date) -> list[int]:
    return reminders.stage_reminders(today=today)


@task(name="response-status", cache_policy=NO_CACHE)
def status_task(year: int) -> list[StatusRow]:
    return status_rows(year)
