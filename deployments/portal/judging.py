"""A judge's scoring page `/j/<token>`: assigned nominations, the rubric, drafts, submissions.

A judge's personal link `/r/<token>` (as every message's link) leads here. The page lists the
judge's assigned nominations with what a judge needs and nothing of another judge, the rubric
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
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from deployments.portal.answers import COOKIE, COOKIE_AGE, REFUSALS, form_token
from deployments.portal.pages import Pages
from tasks.judging import conflicts, records

ROUTE = "/j"
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
JUDGING_REFUSALS = {
    **REFUSALS,
    "expired": (410, "评分已截止", "评分期限已过，不能再保存或修改评分。"),
    "not_assigned": (404, "没有此项", "此项提名未分配给您，或已申报回避。"),
}


def _plausible(token: str) -> bool:
    return 20 <= len(token) <= 64 and set(token) <= TOKEN_CHARS


class Judging:
    """The routes of a judge's page; every write is one transaction on a worker thread."""

    def __init__(
        self, *, pages: Pages, zone: ZoneInfo, clock: Callable[[], datetime], secure_cookie: bool
    ) -> None:
        self.pages, self.zone, self.clock = pages, zone, clock
        self.secure_cookie = secure_cookie
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
        return self._page(token, loaded, cookie=cookie)

    async def score(self, token: str, request: Request) -> Response:
        form = await self._form(token, request)
        if form is None:
            return self._refusal("forged")
        ref, action = form.get("ref", ""), form.get("action", "")
        if action not in ("draft", "submit"):
            return self._refusal("forged")
        typed = {k: v for k, v in form.items() if k not in ("csrf", "ref", "action")}
        saved = await asyncio.to_thread(
            records.save_scores, token, {ref: typed}, submit=action == "submit", now=self.clock()
        )
        notice = (
            f"已提交{ref}的评分；截止日期前仍可修改。"
            if saved.submitted
            else (f"已保存{ref}的草稿，尚未提交。" if saved.drafts else "")
        )
        return await self._after(token, request, saved, notice, {ref: typed})

    async def submit_all(self, token: str, request: Request) -> Response:
        form = await self._form(token, request)
        if form is None:
            return self._refusal("forged")
        loaded = await self._load(token)
        if isinstance(loaded, str):
            return self._refusal(loaded)
        pending = {i.ref: i.values for i in loaded.items if not i.submitted}
        if not pending:
            return await self._after(
                token, request, records.Saved(), "全部评分均已提交；截止日期前仍可修改。", {}
            )
        saved = await asyncio.to_thread(
            records.save_scores, token, pending, submit=True, now=self.clock()
        )
        notice = f"已提交{len(saved.submitted)}项评分；截止日期前仍可修改。"
        return await self._after(token, request, saved, notice, pending)

    async def _after(
        self,
        token: str,
        request: Request,
        saved: records.Saved,
        notice: str,
        typed: dict[str, dict[str, str]],
    ) -> Response:
        if saved.state is not None:
            return self._refusal(saved.state)
        loaded = await self._load(token)
        if isinstance(loaded, str):
            return self._refusal(loaded)
        cookie = request.cookies.get(COOKIE, "")
        if saved.problems:
            return self._page(
                token, loaded, cookie=cookie, status=422, errors=saved.problems, typed=typed
            )
        return self._page(token, loaded, cookie=cookie, notice=notice)

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
            notice=f"已登记您对{ref}的回避申报，该项已改由其他评委评审。",
        )
