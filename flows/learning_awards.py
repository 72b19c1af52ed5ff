"""The yearly learning awards (R11.2): propose, committee sign-off, 公示, objections, final list."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run

from flows.refusals import shown_if_refused
from models.awards import CATEGORIES
from models.params.awards import AwardsParameters, AwardsSignOff, Ruling
from tasks.awards.rules import AwardsProposal, NothingToList, empty_list_reason
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
from tasks.common.documents import WrittenFile, files_markdown
from tasks.notify.delivery import deliver_outbox_task

SIGN_OFF_TIMEOUT = 14 * 24 * 3600  # the committee has two weeks before the run fails


def _summary(proposal: AwardsProposal, notice: str = "") -> str:
    lines = [f"# {proposal.year}年度学习型组织评选拟表彰名单（R11.2）", ""]
    if notice:
        lines += [f"> {notice}", ""]
    for code, zh in CATEGORIES.items():
        listed = proposal.listed(code)
        if listed:
            names = "、".join(f"{e.ref} {e.name}（{e.street}，{e.final:.3f}）" for e in listed)
            lines.append(f"- **{zh}**：{names}")
    if proposal.flagged:
        lines.append("")
        lines.append("有效评分不足、未参与排名：" + "、".join(f.ref for f in proposal.flagged))
    for category, why in proposal.shortfalls.items():
        lines.append(f"- 名额不足（{category}）：{why}")
    lines.append("")
    lines.append(f"回避评分 {len(proposal.recused)} 份；评委不足 {len(proposal.shortages)} 项。")
    return "\n".join(lines)


async def _publish_documents(year: int, files: list[WrittenFile]) -> None:
    if files:
        await acreate_markdown_artifact(
            key=f"awards-documents-{year}",
            markdown=files_markdown(f"{year}年度学习型组织评选文件", files),
        )


@flow(name="learning-awards", flow_run_name="awards-{params.year}", log_prints=False)
async def learning_awards(params: AwardsParameters) -> dict[str, Any]:
    """学习型组织评选：资格审查、评委分配与回避、校准汇总、按名额排名、评审委员会审定、公示（R11.2）。

    Re-running an approved year changes nothing and sends only what was never delivered.
    """
    async with shown_if_refused(
        f"awards-refusal-{params.year}", f"{params.year}年度学习型组织评选"
    ):
        return await _awards(params)


async def _awards(params: AwardsParameters) -> dict[str, Any]:
    logger = get_run_logger()
    rules = resolve_rules_task(params)
    notice = ""
    done = round_result_task(rules.year)
    if done is not None:
        logger.info("awards %d already approved; delivering anything undelivered", rules.year)
        deliver_outbox_task(message_ids=pending_messages_task(rules.year))
        if done["status"] != "final":  # a final year's documents are the final ones
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
            table=[
                {
                    "类别": CATEGORIES[e.category],
                    "排名": e.rank,
                    "编号": e.ref,
                    "名称": e.name,
                    "街道": e.street,
                    "校准得分": round(e.final, 4),
                    "原始均分": round(e.raw_mean, 2),
                    "有效评分": e.n_valid,
                    "状态": "拟表彰" if e.status == "listed" else "候补",
                }
                for e in proposal.entries
            ],
            description=f"{rules.year}年度学习型组织评选排名",
        )
        summary = _summary(proposal, notice)
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
            known = {e.ref for e in proposal.entries} | {f.ref for f in proposal.flagged}
            unknown = sorted(set(sign_off.refs) - known)
            if unknown or not sign_off.reason.strip():
                logger.warning(
                    "committee %s refused (unknown refs %s, or no reason); asking again",
                    sign_off.decision,
                    unknown,
                )
                notice = (
                    f"上次审定未执行：提名编号 {'、'.join(unknown)} 不在名单中"
                    if unknown
                    else "上次审定未执行：删除或增列须写明理由"
                )
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


@flow(name="award-objection", flow_run_name="award-objection-{year}-{ref}")
async def award_objection(
    year: int, ref: str, objector: str, content: str, phone: str = "", today: date | None = None
) -> dict[str, Any]:
    """公示期内的实名异议：登记，等待评审委员会裁定（R11.2）。The same objection twice: once."""
    async with shown_if_refused(f"award-objection-refusal-{year}", f"对{ref}的异议"):
        return file_objection_task(year, ref, objector, content, today or clock.today(), phone)


@flow(name="award-ruling", flow_run_name="award-ruling-{objection_id}")
async def award_ruling(
    objection_id: int, decision: Ruling, ruling: str, operator: str = "", today: date | None = None
) -> dict[str, Any]:
    """异议裁定：成立则撤销并按排名递补、单独公示；不成立则维持（R11.2）。"""
    async with shown_if_refused(f"award-ruling-refusal-{objection_id}", "异议裁定"):
        outcome = rule_objection_task(
            objection_id, decision, ruling, operator, today or clock.today()
        )
    deliver_outbox_task(message_ids=pending_messages_task(outcome["year"]))
    return outcome


@flow(name="awards-finalise", flow_run_name="awards-finalise-{year}")
async def awards_finalise(year: int, today: date | None = None) -> dict[str, Any]:
    """公示期满且无未决异议：名单确定，通知获评单位和街道，导出名单，生成分类报告（R11.2）。"""
    async with shown_if_refused(f"awards-finalise-refusal-{year}", f"{year}年度名单定稿"):
        outcome = finalise_task(year, today or clock.today())
    if outcome["status"] == "final":
        deliver_outbox_task(message_ids=pending_messages_task(year))
        files = [WrittenFile.model_validate(f) for f in outcome["documents"]]
        await _publish_documents(year, files)
        for code, markdown in category_reports_task(year).items():
            await acreate_markdown_artifact(
                key=f"awards-{year}-{code.replace('_', '-')}", markdown=markdown
            )
    return outcome
