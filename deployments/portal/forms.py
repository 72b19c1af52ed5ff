"""What the portal's public forms (the idea form, the 公示 objection form) share.

Public forms have no personal link to bind to, so their double-submit token is bound to a
random cookie of the browser (`ld_form`, HttpOnly, SameSite=Lax) and to the form's purpose: a
form posted from another site carries no matching pair and is refused. Fields are read as the
browser sends them (`application/x-www-form-urlencoded`, or `multipart/form-data` with a file).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

COOKIE = "ld_form"
COOKIE_AGE = 24 * 3600
FORM_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def browser_cookie(request: Request) -> str:
    """The browser's form cookie, or a new one (set it on the page with `keep_cookie`)."""
    cookie = request.cookies.get(COOKIE, "")
    return cookie if 16 <= len(cookie) <= 64 else secrets.token_urlsafe(16)


def form_token(cookie: str, purpose: str) -> str:
    """The hidden field that matches this browser's cookie for forms of PURPOSE only."""
    digest = hmac.new(cookie.encode("ascii"), purpose.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:32]


def genuine(request: Request, form: dict[str, str], purpose: str) -> bool:
    """Whether FORM came from a page this portal gave this browser for PURPOSE."""
    cookie = request.cookies.get(COOKIE, "")
    if not 16 <= len(cookie) <= 64 or not cookie.isascii():
        return False
    return hmac.compare_digest(form.get("csrf", ""), form_token(cookie, purpose))


def keep_cookie(response: Response, cookie: str, *, secure: bool) -> Response:
    response.set_cookie(
        COOKIE, cookie, max_age=COOKIE_AGE, path="/", secure=secure, httponly=True, samesite="lax"
    )
    return response


def new_form_id() -> str:
    return secrets.token_urlsafe(16)


def plausible_form_id(value: str) -> bool:
    return 16 <= len(value) <= 64 and set(value) <= FORM_ID_CHARS


async def url_encoded(request: Request) -> dict[str, str]:
    """A urlencoded form's fields (the last value of each); the guard has bounded the body."""
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}


class Recent(Generic[K, V]):
    """What `fetch(key)` returned, reused for SECONDS: what a form's page shows about its
    campaign or year changes rarely and is read on every request; whatever a submission
    changes is checked again where it is stored."""

    def __init__(self, fetch: Callable[[K], V], *, seconds: float) -> None:
        self._fetch, self._seconds = fetch, seconds
        self._values: dict[K, tuple[float, V]] = {}

    def known(self, key: K) -> bool:
        """Whether KEY's value was fetched less than SECONDS ago (`get` will not wait)."""
        found = self._values.get(key)
        return found is not None and time.monotonic() - found[0] <= self._seconds

    def get(self, key: K) -> V:
        found = self._values.get(key)
        if found is not None and time.monotonic() - found[0] <= self._seconds:
            return found[1]
        value = self._fetch(key)
        self._values[key] = (time.monotonic(), value)
        return value
