"""Sign-off at the terminal: run a flow that pauses and answer its pause from the prompt."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

import typer

from deployments.cli.common import err
from deployments.runtime.operator import find_paused_run, sign_off, wait_next_pause


def run_flow_with_operator(coro_factory: Any, *, run_name: str, approve: bool) -> Any:
    """Run an async flow; if it pauses for sign-off, ask the operator in the terminal."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = asyncio.run(coro_factory())
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    if not approve:
        run_id = find_paused_run(run_name, timeout=600, stop=lambda: not worker.is_alive())
        if run_id is not None:
            _ask_operator(run_id, sign_off)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _ask_operator(run_id: Any, sign_off: Any) -> None:
    from prefect.settings import PREFECT_API_URL

    ui = str(PREFECT_API_URL.value() or "").removesuffix("/api")
    err.print(f"\nThe proposal waits for sign-off: {ui}/runs/flow-run/{run_id}")
    if not sys.stdin.isatty():
        err.print("No terminal to ask in: sign off in the Prefect UI (or re-run with --approve).")
        return
    choice = typer.prompt("approve / reject / exclude", default="approve")
    while choice not in ("approve", "reject", "exclude"):
        choice = typer.prompt("please answer approve, reject or exclude", default="approve")
    operator = typer.prompt("your name", default="")
    comment = typer.prompt("comment", default="")
    ids: list[str] = []
    if choice == "exclude":
        ids = [s.strip() for s in typer.prompt("staff_ids to exclude (comma separated)").split(",")]
    sign_off(
        run_id,
        decision=choice,
        operator=operator,
        comment=comment,
        exclude_staff_ids=[i for i in ids if i],
    )
    if choice == "exclude":
        if wait_next_pause(run_id, timeout=600):
            _ask_operator(run_id, sign_off)


def run_with_committee(coro_factory: Any, *, run_name: str, approve: bool) -> Any:
    """Run the awards flow; if it pauses, ask the committee in the terminal (or point at the UI)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = asyncio.run(coro_factory())
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    run_id = None
    if not approve:
        run_id = find_paused_run(run_name, timeout=600, stop=lambda: not worker.is_alive())
    while run_id is not None:
        err.print(f"\nThe award list waits for the committee's sign-off (flow run {run_id}).")
        if not sys.stdin.isatty():
            err.print("No terminal to ask in: sign off in the Prefect UI (or use --approve).")
            break
        choice = typer.prompt("approve / strike / add", default="approve")
        refs: list[str] = []
        reason = ""
        if choice in ("strike", "add"):
            refs = [r.strip() for r in typer.prompt("nomination refs (comma separated)").split(",")]
            reason = typer.prompt("reason")
        operator = typer.prompt("your name", default="")
        sign_off(run_id, decision=choice, operator=operator, refs=refs, reason=reason)
        if choice == "approve" or not wait_next_pause(run_id, timeout=600):
            break
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
