"""Prefect task wrappers of the secondment functions (each one retryable as a unit)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.params.secondment import SecondmentParameters
from models.results.secondment import DeclineOutcome, SecondmentResult
from tasks.common.documents import WrittenFile
from tasks.secondment import records, replacement
from tasks.secondment.reports import secondment_documents
from tasks.secondment.rules import Proposal, SecondmentRules
from tasks.secondment.solver import DEFAULT_TIME_LIMIT, select_candidates


@task(name="resolve-rules", cache_policy=NO_CACHE)
def resolve_rules_task(params: SecondmentParameters) -> SecondmentRules:
    return records.resolve_rules(params)


@task(name="propose-placement", cache_policy=NO_CACHE)
def propose_task(rules: SecondmentRules, time_limit: float | None = None) -> Proposal:
    """Roster snapshot → eligibility → merit → proven-optimal placement (nothing written).

    When `time_limit` seconds run out first, the best placement found, with its gap."""
    seconds = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    return select_candidates(records.load_roster(), rules=rules, time_limit=seconds)


@task(name="signed-off-result", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def round_result_task(year: int) -> SecondmentResult | None:
    return records.round_result(year)


@task(name="record-approval", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def record_approval_task(
    proposal: Proposal, rules: SecondmentRules, operator: str, comment: str
) -> bool:
    return records.record_approval(
        proposal=proposal, rules=rules, operator=operator, comment=comment
    )


@task(name="secondment-documents", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def documents_task(year: int) -> list[WrittenFile]:
    """The notice to schools and streets and the workbook, under the year's reports."""
    return secondment_documents(year)


@task(name="record-rejection", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def record_rejection_task(proposal: Proposal, operator: str, comment: str) -> SecondmentResult:
    return records.record_rejection(proposal=proposal, operator=operator, comment=comment)


@task(
    name="decline-and-replace",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=lambda _t, _r, state: (
        not isinstance(state.result(raise_on_failure=False), ValueError)
    ),
)
def decline_task(year: int, staff_id: str, reason: str) -> DeclineOutcome:
    return replacement.decline_and_replace(year=year, staff_id=staff_id, reason=reason)


@task(name="pending-messages", cache_policy=NO_CACHE)
def pending_messages_task(year: int) -> list[int]:
    return records.pending_message_ids(year)


@task(name="teacher-phones", cache_policy=NO_CACHE)
def teacher_phones_task(staff_ids: list[str]) -> dict[str, str]:
    return records.teacher_phones(staff_ids)
