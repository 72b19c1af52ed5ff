"""Every deployment of learning-district, built in one place (schedules, triggers, limits).

Schedules run in the district's timezone; flows that change data run one at a time
(`concurrency_limit=1`); events chain the flows (a decline starts the replacement).
"""

from __future__ import annotations

from datetime import timedelta

from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron, Interval

from deployments.events import DECLINED_EVENT, DISTRIBUTED_EVENT, OBJECTION_EVENT, RSVP_EVENT
from models.profile.schema import DistrictProfile


def _built(deployment: object) -> RunnerDeployment:
    """`to_deployment` is sync here (called outside an event loop); say so to the type checker."""
    if not isinstance(deployment, RunnerDeployment):
        raise TypeError("build deployments outside a running event loop")
    return deployment


def secondment_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The yearly secondment (R10.2) and its decline trigger."""
    from flows.teacher_secondment import secondment_decline, teacher_secondment

    yearly = _built(
        teacher_secondment.to_deployment(
            name="yearly",
            description=(
                "教师挂职选派（R10.2）：按区情配置审查资格、择优并最优分配到各街道，"
                "生成方案后暂停等待经办人员审批（approve/reject/exclude），批准后通知教师、学校和街道。"
                "同一年度重复运行不会重复写入或重复发送。"
            ),
            schedules=[
                Cron(
                    profile.secondment.schedule,
                    timezone=profile.timezone,
                    parameters={"params": {"approval": "人工审批"}},
                )
            ],
            concurrency_limit=1,
            tags=["R10.2", "secondment"],
        )
    )
    decline = _built(
        secondment_decline.to_deployment(
            name="on-decline",
            description=(
                "挂职教师不能到岗时（事件 district.secondment.declined），记录并按同等条件递补，"
                "通知递补教师、学校和街道（R10.2）。"
            ),
            triggers=[
                DeploymentEventTrigger(
                    name="secondment-declined",
                    expect={DECLINED_EVENT},
                    match={"prefect.resource.id": "district.secondment.*"},
                    parameters={"params": "{{ event.payload }}"},
                )
            ],
            concurrency_limit=1,
            tags=["R10.2", "secondment"],
        )
    )
    return [yearly, decline]


def delivery_deployments() -> list[RunnerDeployment]:
    """The outbox sweeper: retries failed deliveries (only the failed targets)."""
    from flows.delivery import deliver_outbox

    return [
        _built(
            deliver_outbox.to_deployment(
                name="sweeper",
                description="通知发件箱巡检：重试投递失败的通知，仅重试失败的目标，不会重复发送。",
                schedules=[Interval(timedelta(minutes=10))],
                concurrency_limit=1,
                tags=["notifications"],
            )
        )
    ]


def awards_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The learning awards (R11.2): the selection, objections (event), rulings, the final list."""
    from flows.learning_awards import (
        award_objection,
        award_ruling,
        awards_finalise,
        learning_awards,
    )

    tags = ["R11.2", "awards"]
    selection = _built(
        learning_awards.to_deployment(
            name="yearly",
            description=(
                "学习型组织评选（R11.2）：资格审查、评委分配（同街道/单位回避）、评分校准汇总、"
                "按类别名额排名，暂停等待评审委员会审定（批准/删除/增列并写明理由），"
                f"审定后公示{profile.awards.publicity_days}个工作日并通知各街道、社区。"
            ),
            concurrency_limit=1,
            tags=tags,
        )
    )
    objection = _built(
        award_objection.to_deployment(
            name="on-objection",
            description="公示期内的实名异议（事件 district.award.objection.filed）：登记待裁定。",
            triggers=[
                DeploymentEventTrigger(
                    name="award-objection-filed",
                    expect={OBJECTION_EVENT},
                    match={"prefect.resource.id": "district.award.*"},
                    parameters={"params": "{{ event.payload }}"},
                )
            ],
            concurrency_limit=1,
            tags=tags,
        )
    )
    ruling = _built(
        award_ruling.to_deployment(
            name="ruling",
            description="异议裁定：成立则撤销并按排名递补、单独公示；不成立则维持公示（R11.2）。",
            concurrency_limit=1,
            tags=tags,
        )
    )
    final = _built(
        awards_finalise.to_deployment(
            name="finalise",
            description="公示期满且无未决异议：名单确定，通知获评单位及所在街道，导出名单（R11.2）。",
            concurrency_limit=1,
            tags=tags,
        )
    )
    return [selection, objection, ruling, final]


def calendar_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The annual calendar (R7.4, R7.2, R7.5, R7.1): yearly plan, daily run, operator forms."""
    from flows.annual_calendar import annual_calendar, calendar_daily
    from flows.calendar_actions import distribution_confirm, meeting_change, meeting_rsvp

    policy = profile.calendar
    tags = ["R7.4", "R7.5", "calendar"]
    yearly = _built(
        annual_calendar.to_deployment(
            name="yearly",
            description=(
                "年度社区教育日历：宣传月（9月）、宣传活动周（含教师节的一周）、宣传日（教师节），"
                "在工作日（含调休）安排工作会议、理论研讨会、经验交流会和干部培训，"
                "会场和参会对象不冲突；拟定的年度安排经办人员审批后保存，"
                "年度安排、会议邀请和资料发放通知按各自日期发送，不在审批时一次发出。"
                "已批准的年度重复运行不改动、不重发。"
            ),
            schedules=[Cron(policy.schedule, timezone=profile.timezone, parameters={"params": {}})],
            concurrency_limit=1,
            tags=tags,
        )
    )
    daily = _built(
        calendar_daily.to_deployment(
            name="daily",
            description=(
                "每日巡检：年度安排通知、会前邀请、宣传月节点通知、会议提前7个和1个工作日提醒、"
                "资料发放通知，对逾期未确认发放的居委催办；更新各街道发放覆盖表。"
            ),
            schedules=[Cron(policy.daily_schedule, timezone=profile.timezone)],
            concurrency_limit=1,
            tags=tags,
        )
    )
    rsvp = _built(
        meeting_rsvp.to_deployment(
            name="form",
            description=(
                "会议回执：登记参会人员是否参加（再次填写以最后一次为准）；"
                "参会对象通过专属链接回复时自动登记（事件 district.calendar.rsvp.answered）。"
            ),
            triggers=[
                DeploymentEventTrigger(
                    name="rsvp-answered",
                    expect={RSVP_EVENT},
                    match={"prefect.resource.id": "district.calendar.*"},
                    parameters={"params": "{{ event.payload }}"},
                )
            ],
            concurrency_limit=1,
            tags=tags,
        )
    )
    confirm = _built(
        distribution_confirm.to_deployment(
            name="form",
            description=(
                "居委确认宣传资料已发放到户（R7.2），确认后不再催办；居委通过专属链接确认时"
                "自动登记（事件 district.calendar.distribution.confirmed）。"
            ),
            triggers=[
                DeploymentEventTrigger(
                    name="distribution-confirmed",
                    expect={DISTRIBUTED_EVENT},
                    match={"prefect.resource.id": "district.calendar.*"},
                    parameters={"params": "{{ event.payload }}"},
                )
            ],
            concurrency_limit=1,
            tags=tags,
        )
    )
    change = _built(
        meeting_change.to_deployment(
            name="form",
            description="会议改期、换会场或取消：同一日历条目更新并通知参会对象，提醒按新日期重算。",
            concurrency_limit=1,
            tags=tags,
        )
    )
    return [yearly, daily, rsvp, confirm, change]


def ideas_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The golden-idea campaign (R7.3): September opening (R7.4), intake sweeper, follow-up."""
    from flows.golden_ideas import follow_up_ideas, open_ideas_campaign, review_ideas, sweep_ideas

    policy = profile.ideas
    return [
        _built(
            open_ideas_campaign.to_deployment(
                name="september",
                description=(
                    "金点子征集（R7.3）：每年九月社区教育宣传月（R7.4）自动启动当年征集，"
                    "建立分阶段日期并向居民和各居委会发布公告。重复运行不会重复发布。"
                ),
                schedules=[Cron(policy.schedule, timezone=profile.timezone)],
                concurrency_limit=1,
                tags=["R7.3", "R7.4", "ideas"],
            )
        ),
        _built(
            sweep_ideas.to_deployment(
                name="intake-sweeper",
                description=(
                    "金点子接收巡检：后台任务队列不持久，凡已接收但超时未筛查的建议在此分批筛查，"
                    "筛查幂等，保证一条不丢。"
                ),
                schedules=[Interval(timedelta(minutes=policy.sweep_after_minutes))],
                concurrency_limit=1,
                tags=["R7.3", "ideas"],
            )
        ),
        _built(
            review_ideas.to_deployment(
                name="review",
                description=(
                    "金点子评审（R7.3）：每组相近建议选一条代表，分配评审（回避本社区），"
                    "按评审人标准分校准排名，暂停待审批，批准后统一公布并通知全部提交人。"
                ),
                concurrency_limit=1,
                tags=["R7.3", "ideas"],
            )
        ),
        _built(
            follow_up_ideas.to_deployment(
                name="follow-up",
                description="采纳金点子落实跟踪：每周提醒责任部门逾期事项，更新落实进度表。",
                schedules=[Cron("0 9 * * 1", timezone=profile.timezone)],
                concurrency_limit=1,
                tags=["R7.3", "ideas"],
            )
        ),
    ]


def responses_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """Answers through personal links: the event sweeper and the daily reminders and table."""
    from flows.responses import announce_answers, responses_daily

    tags = ["responses"]
    sweeper = _built(
        announce_answers.to_deployment(
            name="sweeper",
            description=(
                "回复事件补发：通过专属链接提交的回复先保存再发出事件；"
                "凡已保存但未能发出事件的（如服务器重启期间），在此补发，重复补发无害。"
            ),
            schedules=[Interval(timedelta(minutes=5))],
            concurrency_limit=1,
            tags=tags,
        )
    )
    daily = _built(
        responses_daily.to_deployment(
            name="daily",
            description=(
                "回复情况巡检：截止前对未回复的挂职教师和参会对象发送提醒（附专属链接），"
                "更新回复情况表（谁已回复、谁未回复）。"
            ),
            schedules=[
                Cron(
                    profile.responses.schedule,
                    timezone=profile.timezone,
                    parameters={"params": {}},
                )
            ],
            concurrency_limit=1,
            tags=tags,
        )
    )
    return [sweeper, daily]


def scoring_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """Scoring on the portal: the daily reminders, progress table and deadline."""
    from flows.judging import scoring_daily

    return [
        _built(
            scoring_daily.to_deployment(
                name="daily",
                description=(
                    "评分巡检：截止前按工作日提醒未完成评分的评委（附专属链接），更新评分进度表"
                    "（按评委、按类别：分配、已评、逾期、申报回避）；截止后标出有效评分不足的提名，"
                    "暂停等待经办人决定延长评分期限或按现有评分继续评选。"
                ),
                schedules=[
                    Cron(
                        profile.responses.schedule,
                        timezone=profile.timezone,
                        parameters={"params": {}},
                    )
                ],
                concurrency_limit=1,
                tags=["R11.2", "scoring"],
            )
        )
    ]


def cycle_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The whole year in order (run from the UI) and the year-end KPI report (R1)."""
    from flows.annual_cycle import annual_cycle, kpi_report

    cycle = _built(
        annual_cycle.to_deployment(
            name="on-demand",
            description=(
                "年度循环：按顺序运行社区教育日历、金点子征集与评审、教师挂职选派、"
                "学习型组织评选和年度指标报告；各环节可跳过，重复运行不会重复写入或发送（R1）。"
            ),
            concurrency_limit=1,
            tags=["R1", "cycle"],
        )
    )
    report = _built(
        kpi_report.to_deployment(
            name="year-end",
            description=(
                "年度学习型城区建设指标报告：对照3-5年目标，生成报告、表格和趋势图"
                "（R1、R8.3、R10）。"
            ),
            schedules=[Cron("0 9 31 12 *", timezone=profile.timezone)],
            concurrency_limit=1,
            tags=["R1", "report"],
        )
    )
    return [cycle, report]


def network_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The rest of the policy: the network and its rollout (R2-R6, R8.3), open playgrounds
    (R8.2), the research seminars (R10.5) and the community units' pledges (R7.6)."""
    from flows.community_units import pledge_confirm
    from flows.district_network import community_school_rollout, district_registry
    from flows.open_playgrounds import playground_notices, playground_schedule
    from flows.research_seminars import research_seminars

    zone = profile.timezone
    seminars = profile.calendar.seminars
    return [
        _built(
            community_school_rollout.to_deployment(
                name="yearly",
                description=(
                    "街道社区学校推广年度检查（R8.3）：按区情配置的推广计划，为当年到期且尚未开办的街道"
                    "建立任务并发出提醒，逾期的催办，开办后办结，开办满期未达标的提醒。重复运行不重复发送。"
                ),
                schedules=[
                    Cron(
                        profile.network.community_schools.check_schedule,
                        timezone=zone,
                        parameters={"params": {}},
                    )
                ],
                concurrency_limit=1,
                tags=["R8.3", "network"],
            )
        ),
        _built(
            district_registry.to_deployment(
                name="yearly",
                description=(
                    "社区教育网络登记表（R2-R6）：一个中心、三级网络、四个基地、五支队伍，"
                    "各街道的社区学校、基地和队伍人数，生成报告和表格。"
                ),
                schedules=[Cron(profile.network.report_schedule, timezone=zone)],
                concurrency_limit=1,
                tags=["R4", "R5", "R6", "network"],
            )
        ),
        _built(
            playground_notices.to_deployment(
                name="daily",
                description=(
                    "学校操场暂停开放通知（R8.2）：区情配置列明的节假日、考试等暂停开放日，"
                    "在前一个工作日通知学校所在街道的各社区，并说明恢复开放的日期。"
                ),
                schedules=[
                    Cron(
                        profile.playgrounds.notice_schedule,
                        timezone=zone,
                        parameters={"params": {}},
                    )
                ],
                concurrency_limit=1,
                tags=["R8.2", "playgrounds"],
            )
        ),
        _built(
            playground_schedule.to_deployment(
                name="weekly",
                description=(
                    "学校操场下周开放安排（R8.2）：按季节的早间、晚间开放时间和暂停开放的日子，"
                    "按街道发送到各社区。"
                ),
                schedules=[
                    Cron(
                        profile.playgrounds.weekly_schedule,
                        timezone=zone,
                        parameters={"params": {}},
                    )
                ],
                concurrency_limit=1,
                tags=["R8.2", "playgrounds"],
            )
        ),
        _built(
            research_seminars.to_deployment(
                name="yearly",
                description=(
                    "理论研究组专题研讨（R10.5）：在已排定的年度日历中按季度安排，避开已有会议和宣传活动周，"
                    "向研究组成员发出邀请；回执、提醒、改期与其他会议相同。已安排的年度不重复安排。"
                ),
                schedules=[Cron(seminars.schedule, timezone=zone)] if seminars else [],
                concurrency_limit=1,
                tags=["R10.5", "calendar"],
            )
        ),
        _built(
            pledge_confirm.to_deployment(
                name="form",
                description="社区单位支持承诺落实确认（R7.6）：确认后向单位发送感谢信，计入年度指标。",
                concurrency_limit=1,
                tags=["R7.6", "units"],
            )
        ),
    ]


def audit_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """The weekly re-check of every automated decision against its recorded inputs."""
    from flows.decision_audit import decision_audit

    return [
        _built(
            decision_audit.to_deployment(
                name="weekly",
                description=(
                    "自动决定复核：按记录的输入数据、抽签种子和规则版本，重新核算本年度和上一年度的"
                    "每项自动决定（资格审查、选派、合并、回避、排名、抽签、会议安排），"
                    "与记录不一致时生成提示并告知系统管理员。只读，不改动任何决定。"
                ),
                schedules=[Cron(profile.audit.schedule, timezone=profile.timezone)],
                concurrency_limit=1,
                tags=["R1", "audit"],
            )
        )
    ]


def build_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """Every deployment, for `serve` / `up`, its run form in Chinese with the profile's values."""
    from deployments.forms import apply_forms

    deployments = [
        *cycle_deployments(profile),
        *secondment_deployments(profile),
        *delivery_deployments(),
        *awards_deployments(profile),
        *calendar_deployments(profile),
        *ideas_deployments(profile),
        *network_deployments(profile),
        *responses_deployments(profile),
        *scoring_deployments(profile),
        *audit_deployments(profile),
    ]
    apply_forms(deployments, profile)
    return deployments
