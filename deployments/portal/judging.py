"""A judge's scoring page `/j/<token>`: assigned items, the rubric, drafts, submissions.

A judge's personal link `/r/<token>` (as every message's link) leads here: an award judge's
nominations, or an idea reviewer's golden-idea representatives (title and text with phones and
ID numbers masked), by the link's process. The page lists the judge's assigned items with what
a judge needs and nothing of another judge, the rubric
with each criterion's range (the browser marks a value out of range as it is typed; the server
refuses it in Chinese naming the criterion), and the deadline. Each item's form saves a draft
or submits that item; one button submits every item at once; each item has a form to declare
a conflict with a reason, which reassigns it at once. Until the deadline a submitted score can
be changed; after it, every form is refused and nothing changes. Forms carry the same
double-submit token as the answer forms (a cookie of this browser, bound to this link).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs, quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from deployments.portal.answers import COOKIE, COOKIE_AGE, REFUSALS, form_token
from deployments.portal.batching import Batcher
from deployments.portal.pages import Pages
from tasks.judging import conflicts, records
from tasks.judging.scoring import Save, Saved, save_many

ROUTE = "/j"
WRITE_BATCH = 200
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
JUDGING_REFUSALS = {
    **REFUSALS,
    "expired": (410, "评分已截止", "评分期限已过，不能再保存或修改评分。"),
    "not_assigned": (404, "没有此项", "此项未分配给您，或已申报回避。"),
}


def _notice(request: Request, page: records.JudgePage) -> str:
    """What the page says after a save it was redirected from (never echoing the query)."""
    saved, ref = request.query_params.get("saved", ""), request.query_params.get("ref", "")
    if saved == "all":
        count = request.query_params.get("count", "")
        if count.isdigit() and int(count) <= len(page.items):
            return f"已提交{int(count)}项评分；截止日期前仍可修改。"
        return ""
    if ref not in {i.ref for i in page.items}:
        return ""
    if saved == "submit":
        return f"已提交{ref}的评分；截止日期前仍可修改。"
    return f"已保存{ref}的草稿，尚未提交。" if saved == "draft" else ""


def _plausible(token: str) -> bool:
    return 20 <= len(token) <= 64 and set(token) <= TOKEN_CHARS


class Judging:
    """The routes of a judge's page; every write is one transaction on a worker thread."""

    def __init__(
        self, *, pages: Pages, zone: ZoneInfo, clock: Callable[[], datetime], secure_cookie: bool
    ) -> None:
        self.pages, self.zone, self.clock = pages, zone, clock
        self.secure_cookie = secure_cookie
        self.writer: Batcher[Save, Saved] = Batcher(
            lambda items: save_many(items, now=self.clock()),
            name="judging-writer",
            max_batch=WRITE_BATCH,
        )
        self.router = APIRouter()
        self.router.add_api_route(f"{ROUTE}/{{token}}", self.show, methods=["GET"])
        self.router.add_api_route(f"{ROUTE}/{{token}}/score", self.score, methods=["POST"])
        self.router.add_api_route(f"{ROUTE}/{{token}}/all", self.submit_all, methods=["POST"])
        self.router.add_api_route(f"{ROUTE}/{{token}}/conflict", self.conflict, methods=["POST"])

    # ------------------------------------------------------------------ rendering

    def _refusal(self, reason: str) -> HTMLResponse:
        status, heading, line = JUDGING_REFUSALS[reason]
        office = self.pages.office
        contact = f"如有疑问，请联系{office.name}" + (
            f"（电话：{office.phone}）。" if office.phone else "。"
        )
        return self.pages.refusal(status, heading, line, contact)

    def _page(
        self,
        token: str,
        page: records.JudgePage,
        *,
        cookie: str,
        status: int = 200,
        notice: str = "",
        errors: dict[str, dict[str, str]] | None = None,
        typed: dict[str, dict[str, str]] | None = None,
        conflict_error: tuple[str, str] | None = None,
    ) -> HTMLResponse:
        response = self.pages.page(
            "judging.html",
            status=status,
            token=token,
            page=page,
            judge=page.judge,
            role=records.process_of(page.process).role,
            items=page.items,
            rubric=page.rubric,
            deadline=page.deadline,
            scored=sum(1 for i in page.items if i.submitted),
            notice=notice,
            errors=errors or {},
            typed=typed or {},
            conflict_error=conflict_error,
            csrf=form_token(cookie, token),
        )
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=COOKIE_AGE,
            path=f"{ROUTE}/",
            secure=self.secure_cookie,
            httponly=True,
            samesite="lax",
        )
        return response

    async def _load(self, token: str) -> records.JudgePage | str:
        if not _plausible(token):
            return "unknown"
        page = await asyncio.to_thread(records.judge_page, token, now=self.clock())
        if page is None:
            return "unknown"
        return page if page.view.state == "open" else page.view.state

    async def _form(self, token: str, request: Request) -> dict[str, str] | None:
        """The posted form, or None when it did not come from this link's page."""
        body = (await request.body()).decode("utf-8", "replace")
        form = {key: values[-1] for key, values in parse_qs(body).items()}
        cookie = request.cookies.get(COOKIE, "")
        if not cookie or not hmac.compare_digest(form.get("csrf", ""), form_token(cookie, token)):
            return None
        return form

    # ------------------------------------------------------------------ routes

    async def show(self, token: str, request: Request) -> Response:
        loaded = await self._load(token)
        if isinstance(loaded, str):
            return self._refusal(loaded)
        cookie = request.cookies.get(COOKIE) or secrets.token_urlsafe(16)
        return self._page(token, loaded, cookie=cookie, notice=_notice(request, loaded))

    async def stop(self) -> None:
        await asyncio.to_thread(self.writer.flush)

    async def _write(self, save: Save) -> Saved | None:
        """Through the writer thread (many saves to a transaction); None when not stored."""
        try:
            return await asyncio.wrap_future(self.writer.put(save))
        except Exception:  # not stored: the writer logged why
            return None

    async def score(self, token: str, request: Request) -> Response:
        form = await self._form(token, request)
        if form is None:
            return self._refusal("forged")
        ref, action = form.get("ref", ""), form.get("action", "")
        if action not in ("draft", "submit"):
            return self._refusal("forged")
        typed = {k: v for k, v in form.items() if k not in ("csrf", "ref", "action")}
        saved = await self._write(Save(token=token, forms={ref: typed}, submit=action == "submit"))
        query = f"?{urlencode({'saved': action, 'ref': ref})}#item-{quote(ref)}"
        return await self._after(token, request, saved, query, {ref: typed})

    async def submit_all(self, token: str, request: Request) -> Response:
        form = await self._form(token, request)
        if form is None:
            return self._refusal("forged")
        loaded = await self._load(token)
        if isinstance(loaded, str):
            return self._refusal(loaded)
        pending = {i.ref: i.values for i in loaded.items if not i.submitted}
        if not pending:
            return await self._after(token, request, Saved(), "?saved=all&count=0", {})
        saved = await self._write(Save(token=token, forms=pending, submit=True))
        count = len(saved.submitted) if saved is not None else 0
        return await self._after(token, request, saved, f"?saved=all&count={count}", pending)

    async def _after(
        self,
        token: str,
        request: Request,
        saved: Saved | None,
        query: str,
        typed: dict[str, dict[str, str]],
    ) -> Response:
        """Stored: back to the page (a reload sends nothing again); else the page with the
        problems and what was typed, or the refusal."""
        if saved is None:
            return self.pages.refusal(
                503, "暂时无法保存", "系统繁忙，您的评分未能保存，请稍后重新提交。"
            )
        if saved.state is not None:
            return self._refusal(saved.state)
        if not saved.problems:
            return RedirectResponse(f"{ROUTE}/{token}{query}", status_code=303)
        loaded = await self._load(token)
        if isinstance(loaded, str):
            return self._refusal(loaded)
        cookie = request.cookies.get(COOKIE, "")
        return self._page(
            token, loaded, cookie=cookie, status=422, errors=saved.problems, typed=typed
        )

    async def conflict(self, token: str, request: Request) -> Response:
        form = await self._form(token, request)
        if form is None:
            return self._refusal("forged")
        ref = form.get("ref", "")
        declared = await asyncio.to_thread(
            conflicts.declare_conflict, token, ref, form.get("reason", ""), now=self.clock()
        )
        if declared.state is not None:
            return self._refusal(declared.state)
        loaded = await self._load(token)
        if isinstance(loaded, str):
            return self._refusal(loaded)
        cookie = request.cookies.get(COOKIE, "")
        if declared.problem:
            return self._page(
                token, loaded, cookie=cookie, status=422, conflict_error=(ref, declared.problem)
            )
        return self._page(
            token,
            loaded,
            cookie=cookie,
            notice=(
                f"已登记您对{ref}的回避申报，"
                f"该项已改由其他{records.process_of(loaded.process).role}评审。"
            ),
        )
