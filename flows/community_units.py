"""Community units (R7.6): the office confirms a pledge from a form; the unit is thanked at once."""

from __future__ import annotations

from prefect import flow

from models.params.network import PledgeConfirmParameters
from tasks.common import clock
from tasks.notify.delivery import deliver_outbox_task
from tasks.units.records import Confirmation
from tasks.units.tasks import confirm_task, pending_messages_task


@flow(name="pledge-confirm", flow_run_name="pledge-{params.year}-{params.ref}")
async def pledge_confirm(params: PledgeConfirmParameters) -> Confirmation:
    """社区单位支持承诺落实确认（R7.6）：确认后向单位发送感谢信；重复确认不重复发送。"""
    outcome = confirm_task(
        params.year, params.ref, params.confirmed_by, params.note, params.today or clock.today()
    )
    deliver_outbox_task(message_ids=pending_messages_task(params.year))
    return outcome
