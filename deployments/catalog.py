"""Every deployment of learning-district, built in one place (schedules, triggers, limits).

Schedules run in the district's timezone; flows that change data run one at a time
(`concurrency_limit=1`); events chain the flows (a decline starts the replacement).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron, Interval

from models.profile import DistrictProfile

DECLINED_EVENT = "district.secondment.declined"


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
                    parameters={"params": {"approval": "manual"}},
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
                    parameters={
                        "year": "{{ event.payload.year }}",
                        "staff_id": "{{ event.payload.staff_id }}",
                        "reason": "{{ event.payload.reason }}",
                    },
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


def build_deployments(profile: DistrictProfile) -> list[RunnerDeployment]:
    """Every deployment, for `serve` / `up`."""
    return [*secondment_deployments(profile), *delivery_deployments()]


def decline_event(*, year: int, staff_id: str, reason: str = "") -> dict[str, Any]:
    """The arguments of `emit_event` for a decline (CLI, intake forms and tests use this)."""
    return {
        "event": DECLINED_EVENT,
        "resource": {"prefect.resource.id": f"district.secondment.{year}.{staff_id}"},
        "payload": {"year": year, "staff_id": staff_id, "reason": reason},
    }
