"""The yearly teacher secondment (R10.2): propose, sign off, record, notify; and declines."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run
from prefect.runtime import flow_run

from flows.refusals import shown_if_refused
from models.params.secondment import (
    DeclineParameters,
    SecondmentParameters,
    SecondmentSignOff,
)
from models.results.secondment import DeclineOutcome, SecondmentResult
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task
from tasks.secondment.reports import documents_markdown, proposal_markdown, proposal_table
from tasks.secondment.tasks import (
    decline_task,
    documents_task,
    pending_messages_task,
    propose_task,
    record_approval_task,
    record_rejection_task,
    resolve_rules_task,
    round_result_task,
    teacher_phones_task,
)

SIGN_OFF_TIMEOUT = 7 * 24 * 3600  # an operator has a week before the run fails


def _run_name() -> str:
    params = flow_run.parameters.get("params") or {}
    year = params.get("year") if isinstance(params, dict) else getattr(params, "year", None)
    return f"secondment-{year or clock.this_year()}"


async def _documents(year: int) -> None:
    """Write the year's notice and workbook and list them as an artifact of the run."""
    files = documents_task(year)
    if files:
        await acreate_markdown_artifact(
            key=f"secondment-documents-{year}", markdown=documents_markdown(year, files)
        )


@flow(name="teacher-secondment", flow_run_name=_run_name, log_prints=False)
async def teacher_secondment(
    params: SecondmentParameters = SecondmentParameters(),
) -> SecondmentResult:
    """教师挂职选派：资格审查、择优、最优分配、审批、通知（R10.2）。

    Re-running a signed-off year changes nothing and sends only what was never delivered.
    """
    year = params.year or clock.this_year()
    async with shown_if_refused(f"secondment-refusal-{year}", f"{year}年度教师挂职选派"):
        return await _secondment(params)


async def _secondment(params: SecondmentParameters) -> SecondmentResult:
    logger = get_run_logger()
    rules = resolve_rules_task(params)
    done = round_result_task(rules.year)
    if done is not None:
        logger.info(
            "secondment %d is already signed off; delivering anything undelivered", rules.year
        )
        deliver_outbox_task(message_ids=pending_messages_task(rules.year))
        await _documents(rules.year)
        return done
    while True:
        proposal = propose_task(rules, params.time_limit_seconds)
        phones = teacher_phones_task([p.staff_id for p in proposal.placements])
        await acreate_table_artifact(
            key=f"secondment-proposal-{rules.year}",
            table=proposal_table(proposal, phones=phones),
            description=f"{rules.year}年度挂职选派方案（手机号已脱敏）",
        )
        summary = proposal_markdown(proposal)
        logger.info(
            "proposal for %d: %d placements, total %.3f, %s (gap %.2f, by %s) in %.2f s",
            rules.year,
            len(proposal.placements),
            proposal.total_score,
            proposal.proof,
            proposal.gap,
            proposal.engine,
            proposal.solve_seconds,
        )
        if params.approval == "auto":
            sign_off = SecondmentSignOff(
                decision="approve", operator="auto", comment="自动批准（approval=auto）"
            )
        else:
            logger.info("waiting for an operator to sign off (Prefect UI: resume with input)")
            sign_off = await apause_flow_run(
                wait_for_input=SecondmentSignOff.with_initial_data(description=summary),
                timeout=SIGN_OFF_TIMEOUT,
                poll_interval=2,
            )
        if sign_off.decision == "exclude" and sign_off.exclude_staff_ids:
            logger.info(
                "operator excluded %d teachers; solving again", len(sign_off.exclude_staff_ids)
            )
            rules = rules.model_copy(
                update={"exclude": tuple(sorted({*rules.exclude, *sign_off.exclude_staff_ids}))}
            )
            continue
        if sign_off.decision == "reject":
            logger.info("proposal for %d rejected by the operator", rules.year)
            return record_rejection_task(proposal, sign_off.operator, sign_off.comment)
        break
    record_approval_task(proposal, rules, sign_off.operator, sign_off.comment)
    deliver_outbox_task(message_ids=pending_messages_task(rules.year))
    await acreate_markdown_artifact(key=f"secondment-result-{rules.year}", markdown=summary)
    await _documents(rules.year)
    result = round_result_task(rules.year)
    assert result is not None  # just recorded
    return result


@flow(name="secondment-decline", flow_run_name="decline-{params.year}-{params.staff_id}")
async def secondment_decline(params: DeclineParameters) -> DeclineOutcome:
    """挂职教师不能到岗：记录并按同等条件递补（R10.2）。Declining twice changes nothing."""
    year, staff_id = params.year, params.staff_id
    async with shown_if_refused(f"decline-refusal-{year}", f"{staff_id}不能到岗的递补"):
        outcome = decline_task(year, staff_id, params.reason)
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await _documents(year)  # the notice and workbook now name the replacement
    return outcome
