"""The public 公示 page and its real-name objection form (R11.2): `/gongshi/<year>`.

- `GET /gongshi/<year>`: every nominee under notice by category, with its period in working days
  and the office's contact; a plain HTML form to object by real name (name, phone, relation to
  the nominee, reason, an optional attachment of at most 5 MB: PDF, JPG or PNG, recognised by
  its content, not its name).
- `POST /gongshi/<year>/objection`: checked, stored with its event and the objector's status
  link in one transaction, acknowledged with that link, then announced
  (`district.award.objection.filed`, which starts `award-objection/on-objection`, the
  existing ruling path). What could not be announced the `responses-announce/sweeper` does.
  A form sent twice is one objection; after the 公示 ends an objection is refused.
- `GET /s/<token>` (with the idea status links): the objector follows the ruling.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Unpack

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from deployments.events import objection_event
from deployments.portal import forms
from deployments.portal.routes import AnnouncingRoutes, Shared
from tasks.awards import public
from tasks.awards.records import AwardsError
from tasks.common.events import publish
from tasks.ideas.screening import Submission, clean_phone

logger = logging.getLogger(__name__)
PURPOSE = "gongshi"
ATTACHMENT_MAX = 5 * 1024 * 1024
BODY_MAX = ATTACHMENT_MAX + 64 * 1024  # the attachment and the form's few fields
# what a file starts with, by type (its name may say anything)
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
FIELDS = ("ref", "objector", "phone", "relation", "content")
LABELS = {
    "ref": "异议对象",
    "objector": "姓名",
    "phone": "手机号",
    "relation": "与被公示对象的关系",
    "content": "异议事由",
    "attachment": "附件",
}


def sniff(data: bytes) -> str | None:
    """The type of an attachment by its content: PDF, PNG or JPEG; None for anything else."""
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def check(form: dict[str, str], refs: set[str]) -> dict[str, str]:
    """{field: rule} for a bad objection form, without quoting it."""
    problems: dict[str, str] = {}
    if form.get("ref", "") not in refs:
        problems["ref"] = "请选择公示名单中的对象"
    name = form.get("objector", "").strip()
    if not 1 <= len(name) <= 50:
        problems["objector"] = "须填写真实姓名（不超过 50 个字）"
    if clean_phone(form.get("phone", "")) is None:
        problems["phone"] = "须为 11 位中国大陆手机号（13-19 开头）"
    if not 1 <= len(form.get("relation", "").strip()) <= 50:
        problems["relation"] = "必填，不超过 50 个字"
    if not 10 <= len(form.get("content", "").strip()) <= 2000:
        problems["content"] = "须写明具体事实或线索，10 至 2000 个字"
    return problems


class Gongshi(AnnouncingRoutes):
    """The 公示 page's routes."""

    def __init__(self, **shared: Unpack[Shared]) -> None:
        super().__init__(**shared)
        self.router.add_api_route("/gongshi/{year}", self.show, methods=["GET"])
        self.router.add_api_route("/gongshi/{year}/objection", self.objection, methods=["POST"])

    def _page(
        self,
        request: Request,
        notice: public.Publicity,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        cookie = forms.browser_cookie(request)
        today = self._today()
        response = self.pages.page(
            "gongshi.html",
            status=status,
            notice=notice,
            open_refs=[
                e for _, entries in notice.groups for e in entries if e.start <= today <= e.end
            ],
            values=values or {},
            errors=errors or {},
            labels=LABELS,
            csrf=forms.form_token(cookie, PURPOSE),
            form_id=forms.new_form_id(),
            max_mb=ATTACHMENT_MAX // (1024 * 1024),
        )
        forms.keep_cookie(response, cookie, secure=self.secure_cookie)
        return response

    def _none(self, year: int) -> HTMLResponse:
        return self.pages.refusal(
            404, f"{year}年度暂无公示", "评审委员会审定拟表彰名单后，将在此公示。"
        )

    async def show(self, year: int, request: Request) -> Response:
        notice = await asyncio.to_thread(public.publicity, year) if 2000 <= year <= 2100 else None
        if notice is None or not notice.groups:
            return self._none(year)
        return self._page(request, notice)

    async def objection(self, year: int, request: Request) -> Response:
        notice = await asyncio.to_thread(public.publicity, year) if 2000 <= year <= 2100 else None
        if notice is None or not notice.groups:
            return self._none(year)
        try:
            raw = await request.form(max_files=1, max_fields=20)
        except Exception:
            return self.pages.refusal(400, "提交的内容无法识别", "请重新打开公示页面后再提交。")
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        upload = raw.get("attachment")
        if not forms.genuine(request, form, PURPOSE) or not forms.plausible_form_id(
            form.get("form_id", "")
        ):
            return self.pages.refusal(403, "页面已过期", "请重新打开公示页面后再提交。")
        values = {name: form.get(name, "") for name in FIELDS}
        errors = check(form, {e.ref for _, entries in notice.groups for e in entries})
        data, kind = b"", ""
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(ATTACHMENT_MAX + 1)
            if len(data) > ATTACHMENT_MAX:
                errors["attachment"] = "不能超过 5MB"
            elif data:
                kind = sniff(data) or ""
                if not kind:
                    errors["attachment"] = "须为 PDF、JPG 或 PNG 文件（按文件内容识别）"
        if errors:
            return self._page(request, notice, values=values, errors=errors, status=422)
        cleaned = Submission(
            submitter=values["objector"],
            phone=values["phone"],
            community="",
            title=values["relation"],
            content=values["content"],
        )
        name, relation, content = cleaned.submitter.strip(), cleaned.title, cleaned.content
        ref = values["ref"]

        def event_for(_: int) -> dict[str, Any]:
            return objection_event(year=year, ref=ref, objector=name, content=content)

        try:
            filed = await asyncio.to_thread(
                public.file_public_objection,
                year=year,
                ref=ref,
                objector=name,
                phone=clean_phone(values["phone"]) or "",
                relation=relation,
                content=content,
                attachment=data or None,
                attachment_type=kind,
                form_id=form["form_id"],
                today=self._today(),
                event_for=event_for,
                now=self.clock(),
            )
        except AwardsError as exc:
            return self.pages.refusal(409, "不能受理此异议", str(exc))
        if not filed.again:
            await asyncio.to_thread(self._announce, filed)
        entry = notice.entry(ref)
        return self.pages.page(
            "gongshi_thanks.html",
            notice=notice,
            name=entry.name if entry else ref,
            status_link=f"/s/{filed.token}" if filed.token else "",
        )

    def _announce(self, filed: public.Filed) -> None:
        """Publish the objection's event now; the sweeper publishes it if this fails."""
        if self.prefect is None:
            return
        try:
            publish([filed.event], api=self.prefect)
        except Exception as exc:
            logger.warning(
                "could not announce an objection (%s); the sweeper will", type(exc).__name__
            )
            return
        public.mark_filings_announced([filed.filing_id], now=self.clock())
