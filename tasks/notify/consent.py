"""Asking before sending: what a delivery pass is about to send, and who may hold it back.

A process may register one `Gate` (the command line does, at a terminal): before a delivery pass
sends anything it is shown how many messages go to whom, and may say no — the messages then stay
pending in the outbox, untouched. Without a gate nothing is asked (a served deployment, a test).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import col, select

from models.db import session_scope
from models.outbox import OutboxMessage

# Audience tag prefix -> who that is, in Chinese (the tags are written by each process).
AUDIENCE_KINDS: dict[str, str] = {
    "teacher": "教师",
    "school": "学校",
    "street": "街道办事处",
    "community": "居委会",
    "group": "参会对象",
    "idea-submitter": "金点子提交人",
    "department": "责任部门",
    "residents": "全区居民",
}


@dataclass(frozen=True)
class Outgoing:
    """What a delivery pass is about to send: the count, and per kind of recipient how many."""

    count: int
    by_kind: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per kind of recipient, largest first, with up to three names."""
        result: list[str] = []
        for kind, count in sorted(self.by_kind.items(), key=lambda item: (-item[1], item[0])):
            names = self.examples.get(kind, [])
            more = "等" if count > len(names) else ""
            shown = f"（{'、'.join(names)}{more}）" if names else ""
            result.append(f"{kind} {count} 条{shown}")
        return result


Gate = Callable[[Outgoing], bool]
_gate: list[Gate] = []
_lock = threading.Lock()


def set_gate(gate: Gate | None) -> None:
    """Register the process's gate (None removes it)."""
    with _lock:
        _gate.clear()
        if gate is not None:
            _gate.append(gate)


def kind_of(audience: str) -> tuple[str, str]:
    """The Chinese kind of an audience tag and the recipient's name.

    E.g. "street-嘉兴路街道" -> ("街道办事处", "嘉兴路街道").
    """
    for prefix in sorted(AUDIENCE_KINDS, key=len, reverse=True):
        if audience == prefix:
            return AUDIENCE_KINDS[prefix], ""
        if audience.startswith(prefix + "-"):
            return AUDIENCE_KINDS[prefix], audience[len(prefix) + 1 :]
    return "其他收件人", audience


def outgoing(message_ids: list[int]) -> Outgoing:
    """Count the messages by kind of recipient (read in chunks; ids may be many)."""
    by_kind: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    with session_scope() as session:
        for start in range(0, len(message_ids), 1000):
            chunk = message_ids[start : start + 1000]
            audiences = session.exec(
                select(OutboxMessage.audience).where(col(OutboxMessage.id).in_(chunk))
            ).all()
            for audience in audiences:
                kind, name = kind_of(audience)
                by_kind[kind] += 1
                names = examples.setdefault(kind, [])
                if name and len(names) < 3 and name not in names:
                    names.append(name)
    return Outgoing(count=sum(by_kind.values()), by_kind=dict(by_kind), examples=examples)


def allowed(message_ids: list[int]) -> bool:
    """True unless a registered gate, shown these messages, holds them back."""
    with _lock:
        gate = _gate[0] if _gate else None
    if gate is None or not message_ids:
        return True
    return gate(outgoing(message_ids))
