"""What actually goes to one target in one pass: digests of many notices, parts of long ones.

When `ChannelSpec.digest_min` or more plain-text notices wait for one group robot, they go as one
digest (the vendors recommend it over many messages): a title, one notice a line, and the
portal's address when it is set. A text longer than the vendor takes (`max_bytes`, counted as
the robot counts it: title and body in one UTF-8 text) is split at line ends into numbered
parts; a line longer than a whole part is cut. With the portal's address set, a digest line is
shortened to a summary (the full notice is on the portal) that keeps the notice's links whole;
without it, nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.notify.protocol import Attachment, ChannelSpec, Send

DIGEST_KIND = "digest"
SUMMARY_CHARS = 60
_LINK = re.compile(r"https?://[^\s，。；、）)]+")
# Room kept for the part marker "（续99/99）" appended to a title.
_MARKER_BYTES = 40


@dataclass(frozen=True)
class Piece:
    """One vendor message."""

    title: str
    body: str


@dataclass(frozen=True)
class Unit:
    """Notices that stand or fall together: one message, its parts, or a digest of several."""

    members: tuple[Send, ...]
    kind: str
    body_format: str
    attachments: tuple[Attachment, ...]
    pieces: tuple[Piece, ...]


def _size(title: str, body: str) -> int:
    return len(f"{title}\n{body}".encode())


def _cut(line: str, limit: int) -> list[str]:
    """Cut one line into chunks of at most `limit` UTF-8 bytes, never inside a character."""
    chunks: list[str] = []
    current = ""
    for char in line:
        if current and len((current + char).encode()) > limit:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks or [""]


def split(title: str, body: str, max_bytes: int) -> tuple[Piece, ...]:
    """The message as it is, or numbered parts of at most `max_bytes` each, split at lines."""
    if max_bytes <= 0 or _size(title, body) <= max_bytes:
        return (Piece(title, body),)
    room = max(max_bytes - len(title.encode()) - _MARKER_BYTES, 16)
    lines = [chunk for line in body.split("\n") for chunk in _cut(line, room)]
    bodies: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and len("\n".join([*current, line]).encode()) > room:
            bodies.append("\n".join(current))
            current = []
        current.append(line)
    if current:
        bodies.append("\n".join(current))
    total = len(bodies)
    return tuple(
        Piece(f"{title}（{'续' if n > 1 else ''}{n}/{total}）", text)
        for n, text in enumerate(bodies, start=1)
    )


def _item(send: Send, *, summarise: bool) -> str:
    text = " ".join(send.body.split())
    if summarise and len(text) > SUMMARY_CHARS:
        # A link in the notice (a personal answer page) survives the summary whole.
        links = [link for link in _LINK.findall(text) if link not in text[: SUMMARY_CHARS - 1]]
        text = text[: SUMMARY_CHARS - 1] + "…" + "".join(f" {link}" for link in links)
    return f"{send.title}：{text}" if text else send.title


def digest(sends: Sequence[Send], *, public_url: str | None) -> Piece:
    """One message listing `sends`, one a line, ending with the portal's address if set."""
    lines = [
        f"{number}. {_item(send, summarise=bool(public_url))}"
        for number, send in enumerate(sends, start=1)
    ]
    body = f"以下{len(sends)}条通知，每条一行：\n" + "\n".join(lines)
    if public_url:
        body += f"\n全文请登录 {public_url.rstrip('/')} 查看。"
    return Piece(f"【通知汇总】共{len(sends)}条", body)


def compose(sends: Sequence[Send], *, spec: ChannelSpec, public_url: str | None) -> list[Unit]:
    """The units one target's sends go out as, in message order (a digest first, when any)."""
    digestible = [s for s in sends if s.body_format == "text" and not s.attachments]
    units: list[Unit] = []
    if spec.digest_min and len(digestible) >= spec.digest_min:
        whole = digest(digestible, public_url=public_url)
        units.append(
            Unit(
                members=tuple(digestible),
                kind=DIGEST_KIND,
                body_format="text",
                attachments=(),
                pieces=split(whole.title, whole.body, spec.max_bytes),
            )
        )
        digested = {s.delivery_id for s in digestible}
        rest = [s for s in sends if s.delivery_id not in digested]
    else:
        rest = list(sends)
    for send in rest:
        units.append(
            Unit(
                members=(send,),
                kind=send.kind,
                body_format=send.body_format,
                attachments=send.attachments,
                pieces=split(send.title, send.body, spec.max_bytes),
            )
        )
    return units
