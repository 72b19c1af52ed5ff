"""The yearly learning awards (R11.2): propose, committee sign-off, 公示, objections, final list."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run

from flows.refusals import shown_if_refused
from models.params.awards import (
    AwardsParameters,
    AwardsSignOff,
    FinaliseParameters,
    ObjectionParameters,
    RulingParameters,
)
from models.results.awards import AwardsResult
from tasks.awards.reports import documents_markdown, proposal_markdown, proposal_table
from tasks.awards.rules import NothingToList, change_refusal, empty_list_reason
from tasks.awards.tasks import (
    category_reports_task,
    file_objection_task,
    finalise_task,
    pending_messages_task,
    propose_task,
    publicity_documents_task,
    record_approval_task,
    resolve_rules_task,
    round_result_task,
    rule_objection_task,
)
from tasks.common import clock
from tasks.common.documents import WrittenFile
from tasks.notify.delivery import deliver_outbox_task

SIGN_OFF_TIMEOUT = 14 * 24 * 3600  # the committee has two weeks before the run fails


async def _publish_documents(year: int, files: list[WrittenFile]) -> None:
    if files:
        await acreate_markdown_artifact(
            key=f"awards-documents-{year}", markdown=documents_markdown(year, files)
        )


@flow(name="learning-awards", flow_run_name="awards-{params.year}", log_prints=False)
async def learning_awards(params: AwardsParameters) -> AwardsResult:
    """学习型组织评选：资格审查、评委分配与回避、校准汇总、按名额排名、评审委员会审定、公示（R11.2）。

    Re-running an approved year changes nothing and sends only what was never delivered.
    """
    async with shown_if_refused(
        f"awards-refusal-{params.year}", f"{params.year}年度学习型组织评选"
    ):
        return await _awards(params)


async def _awards(params: AwardsParameters) -> AwardsResult:
    logger = get_run_logger()
    rules = resolve_rules_task(params)
    notice = ""
    done = round_result_task(rules.year)
    if done is not None:
        logger.info("awards %d already approved; delivering anything undelivered", rules.year)
        deliver_outbox_task(message_ids=pending_messages_task(rules.year))
        if done.status != "final":  # a final year's documents are the final ones
            await _publish_documents(rules.year, publicity_documents_task(rules.year))
        return done
    while True:
        proposal = propose_task(rules)
        refusal = empty_list_reason(proposal)
        if refusal is not None:  # no committee is asked to sign off, no empty 公示 is sent
            await acreate_markdown_artifact(key=f"awards-list-{rules.year}", markdown=refusal)
            raise NothingToList(refusal)
        await acreate_table_artifact(
            key=f"awards-proposal-{rules.year}",
            table=proposal_table(proposal),
            description=f"{rules.year}年度学习型组织评选排名",
        )
        summary = proposal_markdown(proposal, notice)
        notice = ""
        if params.approval == "auto":
            sign_off = AwardsSignOff(decision="approve", operator="auto", comment="自动审定")
        else:
            logger.info("waiting for the committee's sign-off (Prefect UI: resume with input)")
            sign_off = await apause_flow_run(
                wait_for_input=AwardsSignOff.with_initial_data(description=summary),
                timeout=SIGN_OFF_TIMEOUT,
                poll_interval=2,
            )
        if sign_off.decision in ("strike", "add") and sign_off.refs:
            notice = change_refusal(proposal, refs=sign_off.refs, reason=sign_off.reason) or ""
            if notice:
                logger.warning("committee %s not carried out; asking again", sign_off.decision)
                continue
            changed = dict(rules.strike if sign_off.decision == "strike" else rules.add)
            changed.update(dict.fromkeys(sign_off.refs, sign_off.reason.strip()))
            rules = rules.model_copy(update={sign_off.decision: changed})
            continue
        break
    start = params.publicity_start or clock.today()
    record_approval_task(proposal, rules, sign_off.operator, sign_off.comment, start)
    deliver_outbox_task(message_ids=pending_messages_task(rules.year))
    await acreate_markdown_artifact(key=f"awards-list-{rules.year}", markdown=summary)
    await _publish_documents(rules.year, publicity_documents_task(rules.year))
    result = round_result_task(rules.year)
    assert result is not None  # just recorded
    return result


@flow(name="award-objection", flow_run_name="award-objection-{params.year}-{params.ref}")
async def award_objection(params: ObjectionParameters) -> dict[str, Any]:
    """公示期内的实名异议：登记，等待评审委员会裁定（R11.2）。The same objection twice: once."""
    async with shown_if_refused(f"award-objection-refusal-{params.year}", f"对{params.ref}的异议"):
        return file_objection_task(params, params.today or clock.today())


@flow(name="award-ruling", flow_run_name="award-ruling-{params.objection_id}")
async def award_ruling(params: RulingParameters) -> dict[str, Any]:
    """异议裁定：成立则撤销并按排名递补、单独公示；不成立则维持（R11.2）。"""
    async with shown_if_refused(f"award-ruling-refusal-{params.objection_id}", "异议裁定"):
        outcome = rule_objection_task(params, params.today or clock.today())
    deliver_outbox_task(message_ids=pending_messages_task(outcome["year"]))
    return outcome


@flow(name="awards-finalise", flow_run_name="awards-finalise-{params.year}")
async def awards_finalise(params: FinaliseParameters) -> dict[str, Any]:
    """公示期满且无未决异议：名单确定，通知获评单位和街道，导出名单，生成分类报告（R11.2）。"""
    year = params.year
    async with shown_if_refused(f"awards-finalise-refusal-{year}", f"{year}年度名单定稿"):
        outcome = finalise_task(year, params.today or clock.today())
    if outcome["status"] == "final":
        deliver_outbox_task(message_ids=pending_messages_task(year))
        files = [WrittenFile.model_validate(f) for f in outcome["documents"]]
        await _publish_documents(year, files)
        for code, markdown in category_reports_task(year).items():
            await acreate_markdown_artifact(
                key=f"awards-{year}-{code.replace('_', '-')}", markdown=markdown
            )
    return outcome
