"""Prefect task wrappers of the golden-idea functions; `screen_ideas` is the task-queue task.

`screen_ideas.delay([...])` puts a batch on Prefect's background-task queue, served by
`prefect.task_worker.serve(screen_ideas)` (`learning-district ideas worker`). That queue is not
durable (it lives in the API process's memory), so ideas are persisted first and the sweeper screens
whatever a lost task left `received`; screening only touches `received` ideas, so running twice
changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.ideas import IdeaAction
from models.results.ideas import CampaignResult, IdeasResult
from models.timeutil import utcnow
from tasks.ideas import actions, campaign, records, review


@task(name="screen-ideas", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def screen_ideas(idea_ids: list[int]) -> int:
    """Screen a batch of ideas (those still `received`); return how many were screened now."""
    return records.screen_ids(ids=idea_ids, now=utcnow())


@task(name="overdue-ideas", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def overdue_ideas_task(now: datetime, after_minutes: int | None) -> list[int]:
    """Ideas left `received` longer than `after_minutes` (None: the profile's sweep interval)."""
    after = None if after_minutes is None else timedelta(minutes=after_minutes)
    return records.overdue_ids(now=now, after=after)


@task(name="received-ideas", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def received_ideas_task(year: int) -> list[int]:
    return records.received_ids(year=year)


@task(name="open-campaign", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def open_campaign_task(year: int, start: date, seed: int | None) -> CampaignResult:
    return campaign.open_campaign(year=year, start=start, seed=seed)


@task(name="start-review", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def start_review_task(year: int) -> int | None:
    """The campaign moves to review; its seed, or None when the year is already published."""
    return campaign.start_review(year=year)


@task(name="prepare-review", cache_policy=NO_CACHE)
def prepare_review_task(year: int, seed: int) -> review.ReviewSetup:
    return review.prepare_review(year=year, seed=seed)


@task(name="generated-scores", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def generated_scores_task(setup: review.ReviewSetup, seed: int) -> int:
    """Generated reviewer scores (demo and rehearsal runs only)."""
    return review.record_generated_scores(setup=setup, seed=seed)


@task(name="propose-ranking", cache_policy=NO_CACHE)
def propose_ranking_task(setup: review.ReviewSetup, method: str | None) -> review.ReviewProposal:
    return review.propose_ranking(setup=setup, method=method)


@task(name="publish-results", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def publish_task(
    setup: review.ReviewSetup, proposal: review.ReviewProposal, operator: str, today: date
) -> bool:
    return review.publish(setup=setup, proposal=proposal, operator=operator, today=today)


@task(name="idea-results", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def results_task(year: int) -> IdeasResult:
    return review.results(year)


@task(name="overdue-reminders", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def overdue_reminders_task(year: int, today: date) -> int:
    return actions.overdue_reminders(year=year, today=today)


@task(name="idea-messages", cache_policy=NO_CACHE)
def pending_messages_task(year: int) -> list[int]:
    return records.pending_message_ids(year)


@task(name="idea-actions", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def actions_task(year: int) -> list[IdeaAction]:
    return actions.year_actions(year)
