"""The golden-idea campaign (R7.3, R7.4): open and announce, sweep intake, review and publish,
remind owners of overdue adopted ideas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run

from flows.refusals import shown_if_refused
from models.params.ideas import CampaignParameters, IdeasSignOff, ReviewParameters
from models.params.secondment import current_year
from models.refusal import Refusal
from models.timeutil import utcnow
from tasks.ideas import actions, records, review
from tasks.ideas.campaign import set_phase
from tasks.ideas.tasks import (
    open_campaign_task,
    overdue_ideas_task,
    overdue_reminders_task,
    pending_messages_task,
    prepare_review_task,
    propose_ranking_task,
    publish_task,
    screen_ideas,
)
from tasks.notify.delivery import deliver_outbox_task

SIGN_OFF_TIMEOUT = 7 * 24 * 3600
SWEEP_BATCH = 500


def _today() -> date:
    profile, _ = records.profile_and_policy()
    return datetime.now(ZoneInfo(profile.timezone)).date()


@flow(name="ideas-campaign", flow_run_name="ideas-campaign")
async def open_ideas_campaign(
    params: CampaignParameters = CampaignParameters(),
) -> dict[str, Any]:
    """金点子征集启动：建立年度征集（分阶段日期），向居民和各居委会发布公告（R7.3、R7.4）。"""
    year = params.year or current_year()
    campaign = open_campaign_task(year, params.start or _today(), params.seed)
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_table_artifact(
        key=f"ideas-campaign-{year}",
        table=[{"阶段": k, "开始日期": v} for k, v in dict(campaign["phases"]).items()],  # type: ignore[call-overload]
        description=f"{year}年度金点子征集阶段安排",
    )
    return campaign


@flow(name="ideas-intake-sweeper", flow_run_name="ideas-sweep")
async def sweep_ideas(after_minutes: int | None = None, now: datetime | None = None) -> int:
    """巡检：把已接收但超时未筛查的建议分批筛查（任务队列不持久，靠它保证不丢）。"""
    logger = get_run_logger()
    _, policy = records.profile_and_policy()
    ids = overdue_ideas_task(now or utcnow(), after_minutes or policy.sweep_after_minutes)
    done = 0
    for start in range(0, len(ids), SWEEP_BATCH):
        done += screen_ideas(ids[start : start + SWEEP_BATCH])
    if ids:
        logger.info("sweeper found %d unscreened ideas, screened %d now", len(ids), done)
    return done


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters.get("params") or {}
    year = params.get("year") if isinstance(params, dict) else getattr(params, "year", None)
    return f"ideas-review-{year}"


@flow(name="ideas-review", flow_run_name=_run_name)
async def review_ideas(params: ReviewParameters) -> dict[str, Any]:
    """金点子评审：每组相近建议选一条代表，分配评审（回避本社区），校准排名，审批后统一公布。"""
    async with shown_if_refused(
        f"ideas-review-refusal-{params.year}", f"{params.year}年度金点子评审"
    ):
        return await _review(params)


def _ranking_markdown(year: int, clusters: int, proposal: Any) -> str:
    """What the clerk reads before signing off: every ranked idea with its tier and score."""
    lines = [
        f"## {year}年度金点子评审排名（待审批）",
        "",
        f"- 共 {clusters} 组建议，入选 {len(proposal.ranked)} 条；批准后统一公布并通知全部提交人",
        "",
        "| 名次 | 等次 | 编号 | 标题 | 校准分 | 同组建议 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.rank} | {r.tier} | {r.ref} | {r.title} | {r.final:.3f} | {len(r.members)} |"
        for r in proposal.ranked
    ]
    return "\n".join(lines)


async def _review(params: ReviewParameters) -> dict[str, Any]:
    logger = get_run_logger()
    year = params.year
    done = review.results(year)
    from models.db import session_scope
    from models.ideas import IdeaCampaign

    with session_scope() as session:
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            raise Refusal(f"{year}年度尚未开展金点子征集，无可评审的建议")
        seed, published = campaign.seed, campaign.published_at is not None
    if published:
        deliver_outbox_task(message_ids=pending_messages_task(year))
        return {**done, "status": "published"}
    set_phase(year=year, phase="reviewing")
    received = records.received_ids(year=year)
    for start in range(0, len(received), SWEEP_BATCH):
        screen_ideas(received[start : start + SWEEP_BATCH])
    setup = prepare_review_task(year, seed)
    if params.generate_scores:
        _, policy = records.profile_and_policy()
        review.record_scores(
            year=year,
            setup=setup,
            rows=review.generated_scores(setup=setup, seed=seed, policy=policy),
        )
    proposal = propose_ranking_task(setup, params.method)
    table = [
        {
            "名次": r.rank,
            "等次": r.tier,
            "代表编号": r.ref,
            "标题": r.title,
            "校准分": round(r.final, 4),
            "原始均分": round(r.raw_mean, 2),
            "同组建议数": len(r.members),
        }
        for r in proposal.ranked
    ]
    await acreate_table_artifact(
        key=f"ideas-ranking-{year}", table=table, description=f"{year}年度金点子评审排名（待审批）"
    )
    logger.info(
        "%d clusters, %d reviewer assignments, %d recusals, %d shortages; %d ranked",
        len(setup.clusters),
        len(setup.plan.pairs),
        len(setup.plan.recusals),
        len(setup.plan.shortages),
        len(proposal.ranked),
    )
    summary = _ranking_markdown(year, len(setup.clusters), proposal)
    if params.approval == "auto":
        sign_off = IdeasSignOff(decision="approve", operator="auto", comment="自动批准")
    else:
        sign_off = await apause_flow_run(
            wait_for_input=IdeasSignOff.with_initial_data(description=summary),
            timeout=SIGN_OFF_TIMEOUT,
            poll_interval=2,
        )
    if sign_off.decision == "reject":
        logger.info("ranking for %d rejected: %s", year, sign_off.comment)
        return {"year": year, "status": "rejected", "selected": []}
    publish_task(setup, proposal, sign_off.operator, params.today or _today())
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_markdown_artifact(key=f"ideas-result-{year}", markdown=summary)
    return {**review.results(year), "status": "published"}


@flow(name="ideas-follow-up", flow_run_name="ideas-follow-up")
async def follow_up_ideas(year: int | None = None, today: date | None = None) -> int:
    """采纳建议落实跟踪：逾期提醒责任部门，并生成落实进度表（年度留空为当年）。"""
    year = year or current_year()
    staged = overdue_reminders_task(year, today or _today())
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_table_artifact(
        key=f"ideas-actions-{year}",
        table=actions.actions_table(year),
        description=f"{year}年度采纳金点子落实进度",
    )
    return staged
