"""Play the operator from a program: find a paused run and resume it with a sign-off.

Used by the command line (terminal sign-off) and by tests; the Prefect UI does the same through
its "resume" form.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run
from prefect.input import RunInput


def find_paused_run(name: str, *, timeout: float, stop: Any = None) -> UUID | None:
    """The id of the paused flow run called `name`, waiting up to `timeout` seconds.

    `stop` is an optional callable; when it returns True the wait ends early (the run finished
    or failed before pausing).
    """
    deadline = time.monotonic() + timeout
    flt = FlowRunFilter(
        name=FlowRunFilterName(any_=[name]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
    )
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(flow_run_filter=flt, limit=1)
            if runs:
                return runs[0].id
            if stop is not None and stop():
                return None
            time.sleep(0.5)
    return None


def sign_off(flow_run_id: UUID, form: type[RunInput], **decision: Any) -> None:
    """Resume a paused run with the operator's decision: `form`'s fields, codes or labels.

    The answer goes as the form's JSON (choices by their Chinese labels), as the UI sends it.
    """
    resume_flow_run(flow_run_id, run_input=form(**decision).model_dump(mode="json"))


def wait_next_pause(flow_run_id: UUID, *, timeout: float) -> bool:
    """After a resume, wait for the run to pause again; False if it finished instead."""
    deadline = time.monotonic() + timeout
    resumed = False
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(flow_run_id).state
            if state is None:
                time.sleep(0.3)
                continue
            if state.is_final():
                return False
            if not state.is_paused():
                resumed = True
            elif resumed:
                return True
            time.sleep(0.3)
    raise TimeoutError(f"flow run {flow_run_id} did not pause again within {timeout:g} s")
