"""Small flows an operator starts from the Prefect UI (a form per flow): RSVP, confirmation of
material distribution, moving or cancelling a meeting. Each sends what it causes at once."""

from __future__ import annotations

from typing import Any

from prefect import flow

from models.params.calendar import ConfirmParameters, MeetingChangeParameters, RsvpParameters
from tasks.calendar.tasks import (
    change_task,
    confirm_task,
    pending_messages_task,
    rsvp_task,
)
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task


@flow(name="meeting-rsvp", flow_run_name="rsvp-{params.year}-{params.event}")
async def meeting_rsvp(params: RsvpParameters) -> dict[str, Any]:
    """会议回执：记录参会人员是否参加；再次填写以最后一次为准。"""
    return rsvp_task(params)


@flow(name="distribution-confirm", flow_run_name="confirm-{params.year}-{params.community}")
async def distribution_confirm(params: ConfirmParameters) -> dict[str, Any]:
    """居委确认宣传资料已发放到户（R7.2）；确认后不再催办。"""
    return confirm_task(params, params.today or clock.today())


@flow(name="meeting-change", flow_run_name="change-{params.year}-{params.event}")
async def meeting_change(params: MeetingChangeParameters) -> dict[str, Any]:
    """会议改期、换会场或取消：同一 UID 更新日历（SEQUENCE 递增），通知参会对象，重算提醒。"""
    outcome = change_task(params)
    deliver_outbox_task(message_ids=pending_messages_task(params.year))
    return outcome
