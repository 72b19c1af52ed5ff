"""Prefect task wrappers of the learning-awards functions (each one retryable as a unit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.params.awards import AwardsParameters, ObjectionParameters, RulingParameters
from models.results.awards import AwardsResult
from tasks.awards import final_list, objections, records
from tasks.awards.reports import publicity_documents
from tasks.awards.rules import AwardsProposal, AwardsRules, propose
from tasks.common.documents import WrittenFile


def _not_a_value_error(_task: Any, _run: Any, state: Any) -> bool:
    return not isinstance(state.result(raise_on_failure=False), ValueError)


@task(name="awards-rules", cache_policy=NO_CACHE)
def resolve_rules_task(params: AwardsParameters) -> AwardsRules:
    return records.resolve_rules(params)


@task(name="awards-propose", cache_policy=NO_CACHE)
def propose_task(rules: AwardsRules) -> AwardsProposal:
    """Inputs snapshot → eligibility → judge plan → calibrated ranking (nothing written)."""
    nominations, scores = records.load_inputs(rules.year)
    return propose(nominations, scores, rules=rules)


@task(name="awards-result", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def round_result_task(year: int) -> AwardsResult | None:
    return records.round_result(year)


@task(name="awards-record-approval", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def record_approval_task(
    proposal: AwardsProposal, rules: AwardsRules, operator: str, comment: str, start: date
) -> bool:
    return records.record_approval(
        proposal=proposal, rules=rules, operator=operator, comment=comment, start=start
    )


@task(
    name="awards-file-objection",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_not_a_value_error,
)
def file_objection_task(params: ObjectionParameters, today: date) -> dict[str, Any]:
    return objections.file_objection(
        year=params.year,
        ref=params.ref,
        objector=params.objector,
        content=params.content,
        today=today,
        phone=params.phone,
    )


@task(
    name="awards-rule-objection",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_not_a_value_error,
)
def rule_objection_task(params: RulingParameters, today: date) -> dict[str, Any]:
    return objections.rule_objection(
        objection_id=params.objection_id,
        decision=params.decision,
        ruling=params.ruling,
        operator=params.operator,
        today=today,
    )


@task(
    name="awards-finalise",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_not_a_value_error,
)
def finalise_task(year: int, today: date) -> dict[str, Any]:
    return final_list.finalise(year=year, today=today)


@task(name="awards-reports", cache_policy=NO_CACHE)
def category_reports_task(year: int) -> dict[str, str]:
    return final_list.category_reports(year)


@task(name="awards-documents", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def publicity_documents_task(year: int) -> list[WrittenFile]:
    """The 公示 notice and the workbook of the approved list, under the year's reports."""
    return publicity_documents(year)


@task(name="awards-pending-messages", cache_policy=NO_CACHE)
def pending_messages_task(year: int) -> list[int]:
    return records.pending_message_ids(year)


@task(name="announce-objections", cache_policy=NO_CACHE)
def announce_objections_task(older_than_seconds: float = 30.0) -> int:
    """Publish the events of objections filed on the portal but never announced."""
    from datetime import timedelta

    from tasks.awards.public import mark_filings_announced, unannounced_filings
    from tasks.common.events import EventNotAnnounced, PrefectApi, publish

    api = PrefectApi.current()
    if api is None:
        raise EventNotAnnounced("no Prefect API in this run's settings")
    done = 0
    while batch := unannounced_filings(older_than=timedelta(seconds=older_than_seconds)):
        publish([event for _, event in batch], api=api)
        mark_filings_announced([filing_id for filing_id, _ in batch])
        done += len(batch)
    return done
