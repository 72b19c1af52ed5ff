"""The portal's limits: a rate per client, a body cap, security headers, errors that echo nothing.

`PortalGuard` is plain ASGI middleware in front of the portal app:

- every response carries `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`,
  `Referrer-Policy: no-referrer` (a personal link must not leak to another site), a strict
  Content-Security-Policy (only this origin; no script at all, no inline style, no framing)
  and `X-Frame-Options: DENY`; a response that sets one of them itself keeps its own;
- a POST to a guarded path (`Limit`) takes a token from its client IP's bucket (`per_minute`
  tokens, refilled continuously, so a burst of one minute's worth); with none left it gets 429
  with `Retry-After`, its body unread;
- a body declared larger than the cap (Content-Length) gets 413 at once, unread; a body sent
  without a length (chunked) is read up to the cap and refused with 413 as soon as it passes.

Each limit answers its refusals its own way: JSON `{"errors": {field: rule}}` for the JSON
intake, a Chinese page for the forms. Refusals and validation errors name the field and the
rule broken — never the submitted value, which could be a script or someone's phone number.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-frame-options", b"DENY"),
)
SECURITY_NAMES = frozenset(key for key, _ in SECURITY_HEADERS)
MAX_CLIENTS = 10_000

# How a limit answers a request it refuses: (send, status, {field: rule}, retry_after).
Refuse = Callable[[Send, int, Mapping[str, str], "int | None"], Awaitable[None]]


class TokenBuckets:
    """One token bucket per client: PER_MINUTE tokens at most, refilled at PER_MINUTE / 60 s.

    Used from the event loop only (one thread), so it needs no lock. At most MAX_CLIENTS
    buckets are kept: full ones are forgotten first (a full bucket is the same as none), then
    the longest idle.
    """

    def __init__(self, *, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._capacity = float(per_minute)
        self._refill = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)

    def __len__(self) -> int:
        """How many clients have a bucket."""
        return len(self._buckets)

    def take(self, client: str) -> float:
        """Take a token for CLIENT: 0.0 if granted, else the seconds until one is free."""
        now = self._clock()
        tokens, when = self._buckets.get(client, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - when) * self._refill)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_CLIENTS:
                self._forget(now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self._refill

    def _forget(self, now: float) -> None:
        full = [
            client
            for client, (tokens, when) in self._buckets.items()
            if tokens + (now - when) * self._refill >= self._capacity
        ]
        for client in full:
            del self._buckets[client]
        if len(self._buckets) > MAX_CLIENTS:
            by_age = sorted(self._buckets, key=lambda client: self._buckets[client][1])
            for client in by_age[: len(self._buckets) - MAX_CLIENTS]:
                del self._buckets[client]


@dataclass(frozen=True)
class Limit:
    """A rate and a body cap for POSTs to PATHS (exact) or under PREFIX, answered by REFUSE."""

    buckets: TokenBuckets
    max_body_bytes: int
    refuse: Refuse
    paths: Collection[str] = ()
    prefix: str | None = None

    def applies(self, path: str) -> bool:
        return path in self.paths or (self.prefix is not None and path.startswith(self.prefix))


class PortalGuard:
    """ASGI middleware: security headers on every answer; rate and size limits per `Limit`."""

    def __init__(self, app: ASGIApp, *, limits: Sequence[Limit]) -> None:
        self.app = app
        self.limits = tuple(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        limit = next((lim for lim in self.limits if lim.applies(scope["path"])), None)
        if limit is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = limit.buckets.take(client[0] if client else "unknown")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            per_minute = limit.buckets.per_minute
            rule = f"提交过于频繁：每个来源每分钟最多 {per_minute} 次，请 {seconds} 秒后再试"
            await limit.refuse(send, 429, {"rate": rule}, seconds)
            return
        too_large = {"body": f"请求体不能超过 {limit.max_body_bytes} 字节"}
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await limit.refuse(send, 400, {"body": "Content-Length 不是有效的字节数"}, None)
                return
            if int(declared) > limit.max_body_bytes:
                await limit.refuse(send, 413, too_large, None)
                return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending it all: nothing to answer
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > limit.max_body_bytes:
                await limit.refuse(send, 413, too_large, None)
                return
        await self.app(scope, _replay(bytes(body), receive), send)


async def refuse(
    send: Send, status: int, problems: Mapping[str, str], retry_after: int | None = None
) -> None:
    """Answer in JSON a request the guard refuses (its body may be unread)."""
    payload = json.dumps({"errors": dict(problems)}, ensure_ascii=False).encode("utf-8")
    await answer_refusal(send, status, payload, b"application/json", retry_after)


async def answer_refusal(
    send: Send, status: int, payload: bytes, content_type: bytes, retry_after: int | None
) -> None:
    """Send a refusal and close the connection (the request's body may be unread)."""
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(payload)).encode("ascii")),
        (b"connection", b"close"),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {bytes(key).lower() for key, _ in headers} & SECURITY_NAMES
            headers += (
                SECURITY_HEADERS
                if not present
                else [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            )
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the buffered body once, then defers to the real one."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


# --------------------------------------------------------------------------- error bodies

# what a field must be, per pydantic error type; `{…}` are the schema's own limits (`ctx`)
RULES: dict[str, str] = {
    "missing": "必填",
    "string_type": "须为文字",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_too_short": "不能少于 {min_length} 个字",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体须为 JSON 对象",
    "dict_type": "请求体须为 JSON 对象",
}
OTHER_RULE = "格式不符合要求"
LIMIT_KEYS = ("max_length", "min_length", "ge", "le")


def validation_problems(
    errors: Sequence[Mapping[str, Any]], *, fields: Collection[str]
) -> dict[str, str]:
    """Pydantic/FastAPI validation errors as {field: rule}, without the submitted values.

    A field is named only if it is one of FIELDS (the form's own), else `body`; a rule's only
    numbers are the schema's limits.
    """
    problems: dict[str, list[str]] = {}
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] == "body":
            loc = loc[1:]
        field = str(loc[0]) if loc and str(loc[0]) in fields else "body"
        rule = RULES.get(str(error.get("type", "")), OTHER_RULE)
        context = error.get("ctx") or {}
        limits = {key: context[key] for key in LIMIT_KEYS if isinstance(context.get(key), int)}
        try:
            text = rule.format(**limits)
        except KeyError:
            text = OTHER_RULE
        if text not in problems.setdefault(field, []):
            problems[field].append(text)
    return {field: "；".join(texts) for field, texts in problems.items()}


def without_echo(
    problems: Mapping[str, str], submitted: Mapping[str, object], *, plain: Mapping[str, str]
) -> dict[str, str]:
    """PROBLEMS with every message that quotes a submitted text replaced by the field's plain
    rule (PLAIN, else a generic one).

    Validation messages written for clerks may quote what was typed (`社区“…”不在名录中`);
    an HTTP answer must not send it back. Texts shorter than 2 characters are not searched
    (they would match the digits of a rule).
    """
    texts = [v.strip() for v in submitted.values() if isinstance(v, str) and len(v.strip()) >= 2]
    clean: dict[str, str] = {}
    for field, message in problems.items():
        quoted = any(text in message for text in texts)
        clean[field] = plain.get(field, "所填内容不符合要求") if quoted else message
    return clean
