"""Announcing events to the one Prefect API, acknowledged: stored first, announced second.

`emit_event` hands an event to a background worker and returns at once, so nobody learns
whether it arrived; with no API configured it would even start a temporary server of its own.
What must not be lost (an answer, a submission) is stored first and then published here with
one `POST /events` to the API named explicitly: a 204 means the server has it (its triggers
see it), anything else raises and the caller leaves the stored row marked "not announced" for
a sweeper. Each event carries the id it was stored with, so announcing it twice is harmless.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
from pydantic import BaseModel, ConfigDict

from models.timeutil import utcnow


class PrefectApi(BaseModel):
    """Where the Prefect API is, and its basic-auth string when it requires one."""

    model_config = ConfigDict(frozen=True)

    url: str
    auth_string: str | None = None

    @classmethod
    def current(cls) -> PrefectApi | None:
        """The API this process's Prefect settings name, or None (never a temporary server)."""
        from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL

        url = PREFECT_API_URL.value()
        if not url:
            return None
        auth = PREFECT_API_AUTH_STRING.value()
        return cls(url=str(url).rstrip("/"), auth_string=str(auth) if auth else None)

    def headers(self) -> dict[str, str]:
        if not self.auth_string:
            return {}
        token = base64.b64encode(self.auth_string.encode("utf-8")).decode("ascii")
        return {"Authorization": f"Basic {token}"}


class EventNotAnnounced(Exception):
    """The API did not take the events; they stay stored and marked as not announced."""


def stamped(event: Mapping[str, Any], *, event_id: UUID | None = None) -> dict[str, Any]:
    """EVENT (the arguments of `emit_event`) with the id and time it is stored and sent with."""
    occurred: datetime = event.get("occurred") or utcnow()
    return {
        **event,
        "id": str(event_id or event.get("id") or uuid4()),
        "occurred": occurred.isoformat() if isinstance(occurred, datetime) else str(occurred),
    }


def publish(events: Sequence[Mapping[str, Any]], *, api: PrefectApi, timeout: float = 10.0) -> None:
    """POST EVENTS (each `stamped`) to the API; return only once the server has them."""
    if not events:
        return
    try:
        answer = httpx.post(
            f"{api.url}/events", json=list(events), headers=api.headers(), timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise EventNotAnnounced(f"the Prefect API is unreachable ({type(exc).__name__})") from None
    if answer.status_code not in (200, 201, 204):
        raise EventNotAnnounced(f"the Prefect API answered {answer.status_code}")


@contextmanager
def api_settings(api: PrefectApi) -> Iterator[None]:
    """Prefect's client settings for API in this thread (e.g. for a `.delay()`)."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    updates: dict[Any, Any] = {PREFECT_API_URL: api.url}
    if api.auth_string:
        updates[PREFECT_API_AUTH_STRING] = api.auth_string
    with temporary_settings(updates=updates):
        yield
