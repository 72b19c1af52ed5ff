"""Personal links `/r/<token>`: the page that asks, the form that answers, the meeting's .ics.

GET shows what was asked (as the message said it), the deadline, the last answer and a plain
HTML form. POST stores the answer — through one writer thread, many answers to a transaction —
and only then says 已收到; the answer's event is then published to the Prefect API by an
announcer thread (a sweeper publishes what it could not). A form carries a one-time id: sent
twice (a double tap, a reload) it is one answer.

Forms are protected against cross-site posting by a double-submit token bound to the link: a
random cookie (`ld_csrf`, HttpOnly, SameSite=Lax, path /r/) and a hidden field holding the
HMAC of the link's token hash under that cookie; a form from another link, another browser or
another site does not match and is refused. An unknown, revoked, closed, expired or used-up
link gets a Chinese page saying so and whom to call, and nothing changes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from datetime import datetime
from typing import Any, Unpack
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deployments.events import (
    confirm_event,
    decline_event,
    distribution_event,
    rsvp_event,
)
from deployments.portal.batching import Batcher
from deployments.portal.routes import AnnouncingRoutes, Shared
from tasks.calendar.files import meeting_ics
from tasks.common.events import publish
from tasks.common.links import token_hash
from tasks.responses import records
from tasks.responses.rules import CHOICES, Answer, read_answer

logger = logging.getLogger(__name__)
COOKIE = "ld_csrf"
COOKIE_AGE = 7 * 24 * 3600
WRITE_BATCH = 200
ANNOUNCE_BATCH = 500
ANNOUNCE_PAUSE_SECONDS = 0.5  # between announcements: under load, one request a batch of 500
ANNOUNCE_DRAIN_SECONDS = 30.0
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
RSVP = {"attend": "accepted", "absent": "declined", "delegate": "accepted"}

# Status and page for a link that cannot take an answer.
REFUSALS: dict[str, tuple[int, str, str]] = {
    "unknown": (404, "链接无效", "此链接不存在或已失效，请核对通知中的链接是否完整。"),
    "revoked": (410, "链接已停用", "此链接已被停用。"),
    "closed": (410, "事项已取消", "此事项已取消，无需回复。"),
    "expired": (410, "回复期限已过", "此链接的回复期限已过，不能再提交。"),
    "used": (409, "已经回复", "您已通过此链接回复，此事项不能再次提交。"),
    "forged": (
        403,
        "页面已过期",
        "此页面不是通过您的专属链接打开的，或已过期，请重新打开通知中的链接后再提交。",
    ),
}


def answer_event(
    view: records.LinkView, answer: Answer, now: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The event that announces ANSWER, from what the link is bound to (never from the form)."""
    if view.purpose == "secondment":
        if answer.choice == "decline":
            return decline_event(year=view.year, staff_id=view.recipient, reason=answer.reason)
        return confirm_event(year=view.year, staff_id=view.recipient)
    if view.purpose == "meeting":
        comment = f"委派{answer.delegate}参加" if answer.choice == "delegate" else ""
        if answer.note:
            comment = f"{comment}；{answer.note}" if comment else answer.note
        return rsvp_event(
            year=view.year,
            meeting=view.subject,
            attendee=str(view.details.get("recipient_name", view.recipient))[:100],
            audience=view.recipient,
            response=RSVP[answer.choice],
            comment=comment[:500],  # the RSVP form's limit
        )
    note = f"已发放{answer.households}户" + (f"；{answer.note}" if answer.note else "")
    return distribution_event(
        year=view.year,
        community=view.recipient,
        confirmed_by=answer.by,
        note=note[:500],  # the confirmation form's limit
        today=now.astimezone(zone).date(),
    )


def form_token(cookie: str, token: str) -> str:
    """The hidden field that matches this browser's cookie on this link only."""
    digest = hmac.new(cookie.encode("ascii"), token_hash(token).encode("ascii"), hashlib.sha256)
    return digest.hexdigest()[:32]


def _plausible(token: str) -> bool:
    """A link's token or a CSRF cookie as this portal makes them (`secrets.token_urlsafe`)."""
    return 20 <= len(token) <= 64 and set(token) <= TOKEN_CHARS


class Answers(AnnouncingRoutes):
    """The routes of personal links, with their writer and announcer threads."""

    def __init__(self, **shared: Unpack[Shared]) -> None:
        super().__init__(**shared)
        self.writer: Batcher[records.Submitted, records.Recorded] = Batcher(
            self._store, name="answers-writer", max_batch=WRITE_BATCH
        )
        self.announcer: Batcher[tuple[int, dict[str, Any]], None] = Batcher(
            self._announce,
            name="answers-announcer",
            max_batch=ANNOUNCE_BATCH,
            pause_seconds=ANNOUNCE_PAUSE_SECONDS,
        )
        # plain Starlette routes: the page and the answer are the portal's hottest paths, and
        # FastAPI's per-request parameter solving would cost about as much as the lookup
        self.router.add_route("/r/{token}", self._show_route, methods=["GET"])
        self.router.add_route("/r/{token}", self._answer_route, methods=["POST"])
        self.router.add_api_route("/r/{token}/meeting.ics", self.ics, methods=["GET"])

    # ------------------------------------------------------------------ threads

    def _store(self, items: list[records.Submitted]) -> list[records.Recorded]:
        now = self.clock()
        results = records.record_answers(
            items,
            event_for=lambda view, answer, at: answer_event(view, answer, at, self.zone),
            now=now,
        )
        for result in results:
            if result.stored and result.answer_id is not None and result.event is not None:
                self.announcer.put((result.answer_id, result.event))
        return results

    def _announce(self, items: list[tuple[int, dict[str, Any]]]) -> list[None]:
        if self.prefect is None:
            return [None] * len(items)  # the sweeper announces them
        try:
            publish([event for _, event in items], api=self.prefect)
        except Exception as exc:
            logger.warning(
                "could not announce %d answers (%s); the sweeper will",
                len(items),
                type(exc).__name__,
            )
        else:
            records.mark_announced([answer_id for answer_id, _ in items], now=self.clock())
        return [None] * len(items)

    async def start(self) -> None:
        """Announce what a previous process stored but never announced."""
        for item in await asyncio.to_thread(records.unannounced):
            self.announcer.put(item)

    async def stop(self) -> None:
        await asyncio.to_thread(self.writer.flush)
        await asyncio.to_thread(self.announcer.flush, ANNOUNCE_DRAIN_SECONDS)

    # ------------------------------------------------------------------ pages

    def _refusal(self, reason: str, view: records.LinkView | None = None) -> HTMLResponse:
        status, heading, line = REFUSALS[reason]
        lines = [line]
        if view is not None and reason == "used" and view.last is not None:
            lines.append(
                f"您的回复：{self._summary(view.purpose, view.last.choice, view.last.fields)}"
            )
        if view is not None and reason == "closed" and view.closed_reason:
            lines.append(view.closed_reason)
        office = self.pages.office
        lines.append(
            f"如有疑问，请联系{office.name}"
            + (f"（电话：{office.phone}）。" if office.phone else "。")
        )
        return self.pages.refusal(status, heading, *lines)

    @staticmethod
    def _summary(purpose: str, choice: str, fields: dict[str, Any]) -> str:
        text = CHOICES[purpose].get(choice, choice)
        if fields.get("delegate"):
            text += f"（{fields['delegate']}）"
        if fields.get("households"):
            text += f"，共{fields['households']}户"
        if fields.get("reason"):
            text += f"（原因：{fields['reason']}）"
        return text

    def _form(
        self,
        token: str,
        view: records.LinkView,
        *,
        cookie: str,
        new_cookie: bool = False,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """The link's page with its form, bound to COOKIE (set on the browser if NEW_COOKIE:
        a browser that sent one of ours keeps it)."""
        last = view.last
        shown = values is None and errors is None  # the page as the link shows it
        values = values or (
            {"choice": last.choice, **{k: str(v) for k, v in last.fields.items()}} if last else {}
        )
        name = f"answer_{view.purpose}.html"
        context = {
            "token": token,
            "view": view,
            "details": view.details,
            "deadline": view.deadline.astimezone(self.zone),
            "choices": CHOICES[view.purpose],
            "last": last,
            "last_on": last.answered_at.astimezone(self.zone) if last else None,
            "last_summary": self._summary(view.purpose, last.choice, last.fields) if last else "",
            "values": values,
            "errors": errors or {},
        }
        csrf, form_id = form_token(cookie, token), secrets.token_urlsafe(16)
        if shown:  # rendered once for the link as it stands (all the page shows is in the key)
            key = (name, token, view.model_dump_json())
            html = self.pages.filled(key, name, context, csrf=csrf, form_id=form_id)
        else:
            html = self.pages.html(name, **context, csrf=csrf, form_id=form_id)
        response = HTMLResponse(html, status_code=status)
        if new_cookie:
            self._set_cookie(response, cookie)
        return response

    def _set_cookie(self, response: Response, cookie: str) -> None:
        """`Set-Cookie` as Starlette writes it, built without `http.cookies` (a page's hot
        path); COOKIE is one of ours (`_plausible`: URL-safe characters only)."""
        attributes = f"; HttpOnly; Max-Age={COOKIE_AGE}; Path=/r/; SameSite=lax"
        if self.secure_cookie:
            attributes += "; Secure"
        response.raw_headers.append((b"set-cookie", f"{COOKIE}={cookie}{attributes}".encode()))

    # ------------------------------------------------------------------ routes

    def _open(self, token: str) -> records.LinkView | None:
        """One indexed read (~0.1 ms on SQLite, never waiting for a writer under WAL): done on
        the event loop, where a hop to a worker thread would cost more than the read."""
        return records.open_link(token, now=self.clock())

    async def _show_route(self, request: Request) -> Response:
        return await self.show(request.path_params["token"], request)

    async def _answer_route(self, request: Request) -> Response:
        return await self.answer(request.path_params["token"], request)

    async def show(self, token: str, request: Request) -> Response:
        view = self._open(token) if _plausible(token) else None
        if view is None:
            return self._refusal("unknown")
        if view.purpose == "judging":  # a judge's link: their scoring page
            return RedirectResponse(f"/j/{token}", status_code=303)
        if view.state != "open":
            return self._refusal(view.state, view)
        cookie = request.cookies.get(COOKIE, "")
        if _plausible(cookie):
            return self._form(token, view, cookie=cookie)
        # none yet, or not one of ours
        return self._form(token, view, cookie=secrets.token_urlsafe(16), new_cookie=True)

    async def answer(self, token: str, request: Request) -> Response:
        view = self._open(token) if _plausible(token) else None
        if view is None or view.purpose == "judging":  # judges answer on their own page
            return self._refusal("unknown")
        form = {
            key: values[-1]
            for key, values in parse_qs((await request.body()).decode("utf-8", "replace")).items()
        }
        cookie = request.cookies.get(COOKIE, "")
        if not _plausible(cookie) or not hmac.compare_digest(
            form.get("csrf", "").encode(), form_token(cookie, token).encode()
        ):
            return self._refusal("forged")
        form_id = form.get("form_id", "")
        if not 16 <= len(form_id) <= 64 or not set(form_id) <= TOKEN_CHARS:
            return self._refusal("forged")
        answer = read_answer(view.purpose, form)
        if isinstance(answer, dict):
            if view.state != "open":
                return self._refusal(view.state, view)
            return self._form(token, view, cookie=cookie, status=422, errors=answer, values=form)
        submitted = records.Submitted(token=token, form_id=form_id, answer=answer)
        try:
            result = await asyncio.wrap_future(self.writer.put(submitted))
        except Exception:  # not stored: the writer logged why
            return self.pages.refusal(
                503, "暂时无法保存", "系统繁忙，您的回复未能保存，请稍后重新提交。"
            )
        if result.state is not None:
            return self._refusal(result.state, result.view)
        after = result.view or view
        last = after.last
        context = {
            "details": after.details,
            "summary": self._summary(after.purpose, last.choice, last.fields) if last else "",
            "changeable": after.state == "open",
            "deadline": after.deadline.astimezone(self.zone),
            "ics": f"/r/{token}/meeting.ics" if after.purpose == "meeting" else "",
        }
        key = (  # what the page shows: a new answer's time is not on it
            "thanks.html",
            token,
            context["summary"],
            context["changeable"],
            after.deadline,
            after.model_dump_json(include={"details"}),
        )
        return HTMLResponse(self.pages.filled(key, "thanks.html", context))

    async def ics(self, token: str) -> Response:
        view = self._open(token) if _plausible(token) else None
        if view is None or view.purpose != "meeting":
            return self._refusal("unknown")
        if view.state in ("revoked", "closed"):
            return self._refusal(view.state, view)
        content = await asyncio.to_thread(meeting_ics, view.year, view.subject)
        if content is None:
            return self._refusal("closed", view)
        return Response(
            content,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="meeting.ics"'},
        )
