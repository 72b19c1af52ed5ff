"""Run a flow of this package in a worker thread, under the one Prefect API of the process.

The command line calls a flow in a worker thread so that its main thread stays free for the
clerk (sign-off prompts, questions before sending) and for signals. The run is tagged with a
tag of its own, so that its pauses are found on the API without mistaking another run of the
same name (a run left paused by an earlier, interrupted command) for it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID, uuid4

from deployments.runtime.server import prefect_api

T = TypeVar("T")


@dataclass(frozen=True)
class Pause:
    """One pause of a run: the run, the pause's key, and the keys of its form and description."""

    run_id: UUID
    pause_key: str
    schema_key: str
    description_key: str


class FlowInThread(Generic[T]):
    """A flow called in a worker thread; its result or exception is handed to the caller."""

    def __init__(self, call: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self.tag = f"cli-{uuid4().hex[:12]}"
        self._call = call
        self._outcome: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._target, name="flow-run", daemon=True)

    def _target(self) -> None:
        from prefect import tags

        try:
            with tags(self.tag):
                self._outcome["result"] = asyncio.run(self._call())
        except BaseException as exc:  # handed to the caller's thread
            self._outcome["error"] = exc

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the flow to end; True once it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def result(self) -> T:
        """The flow's return value (after it ended), or its exception raised here."""
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        result: T = self._outcome["result"]
        return result

    def pause(self, client: Any) -> Pause | None:
        """This flow's run (or subflow run) waiting at a pause now, if any."""
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterState,
            FlowRunFilterStateType,
            FlowRunFilterTags,
        )
        from prefect.client.schemas.objects import StateType
        from prefect.input.run_input import keyset_from_paused_state

        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[self.tag]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
            ),
            limit=1,
        )
        if not runs or runs[0].state is None or not runs[0].state.is_paused():
            return None
        state = runs[0].state
        keys = keyset_from_paused_state(state)
        return Pause(
            run_id=runs[0].id,
            pause_key=str(state.state_details.pause_key),
            schema_key=keys["schema"],
            description_key=keys["description"],
        )

    def cancel(self, message: str) -> None:
        """Mark this flow's unfinished runs cancelled (the command is ending without them)."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
        from prefect.states import Cancelled

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[self.tag])), limit=20
            )
            for run in runs:
                if run.state is not None and not run.state.is_final():
                    client.set_flow_run_state(run.id, Cancelled(message=message), force=True)


def run_calendar(
    *,
    year: int,
    today: date | None = None,
    clone_from: int | None = None,
    avoid_activity_week: bool | None = None,
    approval: Literal["manual", "auto"] = "manual",
) -> dict[str, Any]:
    """Run the annual-calendar flow against a Prefect API (this process's, or a local one).

    With approval "manual" the run pauses for its sign-off before anything is stored.
    """
    from flows.annual_calendar import annual_calendar
    from models.params.calendar import CalendarParameters

    params = CalendarParameters(
        year=year,
        today=today,
        clone_from=clone_from,
        avoid_activity_week=avoid_activity_week,
        approval=approval,
    )
    with prefect_api():
        return asyncio.run(annual_calendar(params))
