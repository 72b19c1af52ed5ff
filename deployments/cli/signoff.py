"""The one way the command line runs a flow, and its sign-off at the terminal.

`run_flow` runs the flow in a worker thread under the command's one Prefect API; the main thread
answers the clerk's questions (how many messages go out) and, when the run pauses, shows the
proposal and the UI address and asks the sign-off form's fields in Chinese — each process's own
`RunInput`. Without a terminal it points at the UI and waits. Ctrl-C, SIGTERM or a closed
terminal cancel the run and stop the server the command started.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from deployments.cli.common import Terminal, asking_before_sending, at_terminal, err

if TYPE_CHECKING:
    from prefect.input import RunInput
    from pydantic.fields import FieldInfo

    from deployments.runtime.flows import FlowInThread, Pause

T = TypeVar("T")
INTERRUPTED = "命令已中断（按下 Ctrl-C、被终止或终端已关闭），本次运行取消"
SEPARATORS = re.compile(r"[,，、;；\s]+")


def run_flow(
    call: Callable[[], Coroutine[Any, Any, T]],
    *,
    form: type[RunInput] | None = None,
    yes: bool = False,
) -> T:
    """Run a flow under one Prefect API; sign its pauses off here (`form`) or in the UI."""
    from deployments.runtime.flows import FlowInThread
    from deployments.runtime.server import prefect_api, stop_on_signals

    with stop_on_signals(), prefect_api() as api_url, asking_before_sending(yes) as terminal:
        flow = FlowInThread(call)
        flow.start()
        try:
            _attend(flow, form=form, ui=api_url.removesuffix("/api"), terminal=terminal)
        except BaseException:  # Ctrl-C, a signal, a closed terminal: the run ends with us
            with contextlib.suppress(Exception):
                flow.cancel(INTERRUPTED)
            raise
        return flow.result()


def _attend(
    flow: FlowInThread[Any], *, form: type[RunInput] | None, ui: str, terminal: Terminal | None
) -> None:
    """Until the flow ends: answer questions, and sign off each pause once."""
    from prefect.client.orchestration import get_client

    seen: set[tuple[Any, str]] = set()
    with get_client(sync_client=True) as client:
        while not flow.join(0.0 if terminal else 0.5):
            if terminal is not None:
                terminal.answer_waiting(timeout=0.5)
            if form is None:
                continue
            pause = flow.pause(client)
            if pause is None or (pause.run_id, pause.pause_key) in seen:
                continue
            description = _form_ready(client, pause)
            if description is None:
                continue  # paused a moment ago: its form is being saved
            seen.add((pause.run_id, pause.pause_key))
            address = f"{ui}/runs/flow-run/{pause.run_id}"
            if not at_terminal():
                err.print(f"方案待审批，请在界面中审批：{address}", highlight=False)
                continue
            _show(description, address)
            client.resume_flow_run(pause.run_id, run_input=ask_form(form))


def _read_input(client: Any, pause: Pause, key: str) -> Any:
    """A value the paused run saved under `key`, or None while it is not there."""
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        return json.loads(client.read_flow_run_input(pause.run_id, key))
    except ObjectNotFound:
        return None
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code == 404:
            return None
        raise


def _form_ready(client: Any, pause: Pause) -> str | None:
    """The pause's description once its form is saved (the run saves it just after pausing)."""
    if _read_input(client, pause, pause.schema_key) is None:
        return None
    for _ in range(10):  # saved right after the form; a run without one has none
        description = _read_input(client, pause, pause.description_key)
        if description is not None:
            return str(description)
        time.sleep(0.2)
    return ""


def _show(description: str, address: str) -> None:
    """The proposal the run waits on (its form's description) and where the UI shows it."""
    from rich.markdown import Markdown

    err.print()
    if description:
        err.print(Markdown(description))
    err.print(f"\n方案待审批。界面地址：{address}", highlight=False)


def ask_form(form: type[RunInput]) -> dict[str, Any]:
    """Ask a sign-off form's fields at the terminal; return the answer as the form's JSON.

    The choice comes first (its Chinese labels, by number or name); then the fields that
    choice needs (`FOLLOW_UPS`, required), then the form's other text fields.
    """
    from pydantic import ValidationError

    from models.params.forms import field_choice
    from models.refusal import describe_errors

    fields = form.model_fields
    follow_ups: dict[str, tuple[str, ...]] = getattr(form, "FOLLOW_UPS", {})
    needed_by_some = {name for names in follow_ups.values() for name in names}
    choice = field_choice(fields["decision"])
    assert choice is not None, f"{form.__name__}.decision is a Choice"
    while True:
        code = _pick(str(fields["decision"].title), choice.labels)
        answers: dict[str, Any] = {"decision": code}
        for name in follow_ups.get(code, ()):
            answers[name] = _ask_field(fields[name], required=True)
        for name, field in fields.items():
            if name != "decision" and name not in needed_by_some:
                answers[name] = _ask_field(field, required=False)
        try:
            answer: dict[str, Any] = form(**answers).model_dump(mode="json")
        except ValidationError as exc:
            for line in describe_errors(exc, form):
                err.print(f"[red]{line}[/red]", highlight=False)
            continue
        return answer


def _pick(title: str, labels: dict[str, str]) -> str:
    """One of the choice's codes, asked by its Chinese labels (a number or the label itself)."""
    codes = list(labels)
    menu = "  ".join(f"{i}. {labels[code]}" for i, code in enumerate(codes, 1))
    while True:
        err.print(f"{title}：{menu}", highlight=False)
        raw = typer.prompt("请选择（序号或名称）", default="1").strip()
        if raw.isdigit() and 1 <= int(raw) <= len(codes):
            return codes[int(raw) - 1]
        for code in codes:
            if raw == labels[code]:
                return code
        err.print(f"没有“{raw}”这一项，请输入 1 到 {len(codes)} 的序号。", highlight=False)


def _ask_field(field: FieldInfo, *, required: bool) -> Any:
    """A text or list field (lists: several values separated by commas)."""
    title = str(field.title)
    many = getattr(field.annotation, "__origin__", None) is list
    label = f"{title}（多个用逗号分隔）" if many else title
    while True:
        raw = typer.prompt(label, default="", show_default=False).strip()
        if raw or not required:
            break
        err.print(f"「{title}」：必须填写", highlight=False)
    return [part for part in SEPARATORS.split(raw) if part] if many else raw
