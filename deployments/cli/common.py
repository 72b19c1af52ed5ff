"""What every command group shares: the consoles, a clean refusal, a ready database, consent."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from typer._click.core import Context
from typer._click.exceptions import BadParameter, MissingParameter
from typer.core import TyperGroup

from models.refusal import Refusal, describe_errors

if TYPE_CHECKING:
    from tasks.notify.consent import Outgoing

out = Console()
err = Console(stderr=True)

# More messages than this and the command asks before sending, at a terminal.
HANDFUL = 5
YES_HELP = "Send without asking how many messages go out (at a terminal it asks)."


def fail(message: str) -> typer.Exit:
    """Print a refusal (Chinese, one line per reason) and return the exit to raise (status 1)."""
    from rich.markup import escape

    # the message quotes file contents (cells, headers): "[/x]" there is text, not rich markup
    err.print(f"[red]未办理：[/red]{escape(message)}", highlight=False)
    return typer.Exit(code=1)


class Commands(TyperGroup):
    """The command line's groups: a foreseen refusal anywhere below ends as one message, status 1.

    A refusal of the rules, and a value the command cannot take (a year out of range, not a
    number, a missing option), are said in Chinese; nothing a clerk can cause prints a
    traceback. An unforeseen error (a bug) still does.
    """

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except Refusal as exc:
            raise fail(str(exc)) from None
        except BadParameter as exc:
            raise fail(bad_value(exc)) from None


def bad_value(exc: BadParameter) -> str:
    """A value the command line could not take, in Chinese, naming the option."""
    param = exc.param
    if param is None:
        name = "参数"
    elif param.param_type_name == "argument":
        name = str(param.name or "").upper()
    else:
        name = "、".join(param.opts)
    if isinstance(exc, MissingParameter):
        return f"缺少 {name}"
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        return "；".join(describe_errors(cause, label=f"选项 {name}"))
    return f"选项 {name}：填写有误"


def ensure_ready() -> None:
    """Create or migrate the database and load the bundled profile if none is loaded yet."""
    from sqlmodel import select

    from models.db import migrate, session_scope
    from models.registry import StoredProfile
    from tasks.common.district import init_registry

    migrate()
    with session_scope() as session:
        loaded = session.exec(select(StoredProfile)).first() is not None
    if not loaded:
        init_registry(None)


def at_terminal() -> bool:
    """True when a clerk can answer here (stdin is a terminal)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask_yes(question: str) -> bool:
    """A yes/no question at the terminal, answered 是 or 否 (y / n also do); default no."""
    while True:
        answer = typer.prompt(f"{question}（是/否）", default="否").strip().lower()
        if answer in ("是", "y", "yes"):
            return True
        if answer in ("否", "n", "no"):
            return False
        err.print("请回答“是”或“否”。")


class Terminal:
    """The clerk at this terminal, asked before more than a handful of messages go out.

    A delivery in any thread may ask (`gate`); a worker thread's question waits until the main
    thread answers it (`answer_waiting`), so prompts and signals stay in the main thread.
    """

    def __init__(self) -> None:
        self.held = 0
        self._questions: queue.Queue[tuple[Outgoing, queue.Queue[bool]]] = queue.Queue()

    def gate(self, outgoing: Outgoing) -> bool:
        if outgoing.count <= HANDFUL:
            return True
        if threading.current_thread() is threading.main_thread():
            return self.ask_to_send(outgoing)
        answer: queue.Queue[bool] = queue.Queue(maxsize=1)
        self._questions.put((outgoing, answer))
        return answer.get()

    def answer_waiting(self, timeout: float) -> None:
        """In the main thread: answer the question a worker thread waits on, if any comes."""
        try:
            outgoing, answer = self._questions.get(timeout=timeout)
        except queue.Empty:
            return
        answer.put(self.ask_to_send(outgoing))

    def ask_to_send(self, outgoing: Outgoing) -> bool:
        err.print(f"\n即将发送通知 {outgoing.count} 条：", highlight=False)
        for line in outgoing.lines():
            err.print(f"  {line}", highlight=False)
        if ask_yes("是否现在发送"):
            return True
        self.held += outgoing.count
        return False


@contextmanager
def asking_before_sending(yes: bool) -> Iterator[Terminal | None]:
    """At a terminal (and without --yes), ask before a delivery sends more than a handful.

    Without a terminal the command itself (and --approve) is the consent. Messages the clerk
    holds back stay pending in the outbox; the command says how many.
    """
    if yes or not at_terminal():
        yield None
        return
    from tasks.notify.consent import set_gate

    terminal = Terminal()
    set_gate(terminal.gate)
    try:
        yield terminal
    finally:
        set_gate(None)
        if terminal.held:
            err.print(f"通知 {terminal.held} 条暂未发送，留在发件箱待发送。", highlight=False)
