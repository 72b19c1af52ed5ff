"""The golden-idea campaign (R7.3, R7.4): open and announce, sweep intake, review and publish,
remind owners of overdue adopted ideas."""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.flow_runs import apause_flow_run

from flows.refusals import shown_if_refused
from models.params.ideas import CampaignParameters, IdeasSignOff, ReviewParameters
from models.results.ideas import CampaignResult, IdeasResult
from models.timeutil import utcnow
from tasks.common import clock
from tasks.ideas.reports import actions_table, campaign_table, ranking_markdown, ranking_table
from tasks.ideas.tasks import (
    actions_task,
    generated_scores_task,
    open_campaign_task,
    overdue_ideas_task,
    overdue_reminders_task,
    pending_messages_task,
    prepare_review_task,
    propose_ranking_task,
    publish_task,
    received_ideas_task,
    results_task,
    screen_ideas,
    start_review_task,
)
from tasks.notify.delivery import deliver_outbox_task

SIGN_OFF_TIMEOUT = 7 * 24 * 3600
SWEEP_BATCH = 500


@flow(name="ideas-campaign", flow_run_name="ideas-campaign")
async def open_ideas_campaign(
    params: CampaignParameters = CampaignParameters(),
) -> CampaignResult:
    """金点子征集启动：建立年度征集（分阶段日期），向居民和各居委会发布公告（R7.3、R7.4）。"""
    year = params.year or clock.this_year()
    campaign = open_campaign_task(year, params.start or clock.today(), params.seed)
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_table_artifact(
        key=f"ideas-campaign-{year}",
        table=campaign_table(campaign),
        description=f"{year}年度金点子征集阶段安排",
    )
    return campaign


@flow(name="ideas-intake-sweeper", flow_run_name="ideas-sweep")
async def sweep_ideas(after_minutes: int | None = None, now: datetime | None = None) -> int:
    """巡检：把已接收但超时未筛查的建议分批筛查（任务队列不持久，靠它保证不丢）。"""
    logger = get_run_logger()
    ids = overdue_ideas_task(now or utcnow(), after_minutes)
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
async def review_ideas(params: ReviewParameters) -> IdeasResult:
    """金点子评审：每组相近建议选一条代表，分配评审（回避本社区），校准排名，审批后统一公布。"""
    async with shown_if_refused(
        f"ideas-review-refusal-{params.year}", f"{params.year}年度金点子评审"
    ):
        return await _review(params)


async def _review(params: ReviewParameters) -> IdeasResult:
    logger = get_run_logger()
    year = params.year
    seed = start_review_task(year)
    if seed is None:  # published: deliver anything undelivered, change nothing
        deliver_outbox_task(message_ids=pending_messages_task(year))
        return results_task(year)
    received = received_ideas_task(year)
    for start in range(0, len(received), SWEEP_BATCH):
        screen_ideas(received[start : start + SWEEP_BATCH])
    setup = prepare_review_task(year, seed)
    if params.generate_scores:
        generated_scores_task(setup, seed)
    proposal = propose_ranking_task(setup, params.method)
    await acreate_table_artifact(
        key=f"ideas-ranking-{year}",
        table=ranking_table(proposal),
        description=f"{year}年度金点子评审排名（待审批）",
    )
    logger.info(
        "%d clusters, %d reviewer assignments, %d recusals, %d shortages; %d ranked",
        len(setup.clusters),
        len(setup.plan.pairs),
        len(setup.plan.recusals),
        len(setup.plan.shortages),
        len(proposal.ranked),
    )
    summary = ranking_markdown(proposal, clusters=len(setup.clusters))
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
        return IdeasResult(year=year, status="rejected", comment=sign_off.comment)
    publish_task(setup, proposal, sign_off.operator, params.today or clock.today())
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_markdown_artifact(key=f"ideas-result-{year}", markdown=summary)
    return results_task(year)


@flow(name="ideas-follow-up", flow_run_name="ideas-follow-up")
async def follow_up_ideas(year: int | None = None, today: date | None = None) -> int:
    """采纳建议落实跟踪：逾期提醒责任部门，并生成落实进度表（年度留空为当年）。"""
    year = year or clock.this_year()
    staged = overdue_reminders_task(year, today or clock.today())
    deliver_outbox_task(message_ids=pending_messages_task(year))
    await acreate_table_artifact(
        key=f"ideas-actions-{year}",
        table=actions_table(actions_task(year)),
        description=f"{year}年度采纳金点子落实进度",
    )
    return staged
