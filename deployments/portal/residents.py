"""The golden-idea form for residents (R7.3): `/ideas` on the portal, no account, no script.

- `GET /ideas[?year=Y]`: the campaign's theme and dates and a plain HTML form (name, phone,
  community, title, content, optionally a category of the profile's), phone first; a campaign
  not open says so and until when.
- `POST /ideas/form`: checked as the intake checks (`IdeaForm`'s limits, `validate_submission`,
  the texts cleaned by `Submission`) and screened before anything is stored: spam, a link, an
  empty or repeated text is refused in Chinese and nothing is written. Before storing, the
  ideas already submitted that the near-duplicate rule would join it with are shown (up to five,
  masked), each with "我也支持这条"; "仍然提交" stores it through the intake's writer (the same
  group commit and announcing as `POST /ideas`).
- `POST /ideas/support`: records the resident as a supporter of that idea instead.
- `GET /ideas/similar?year=Y&title=…&text=…`: the same lookup as JSON, for other front ends;
- `GET /s/<token>`: the submitter's status link (on the acknowledgement and in a message).

Every answer that refuses names the field and the rule, never what was typed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from deployments.portal import forms
from deployments.portal.batching import Batcher
from deployments.portal.ideas import PLAIN_RULES, IdeaForm, Intake
from deployments.portal.limits import validation_problems, without_echo
from deployments.portal.pages import Pages
from models.profile.ideas import IdeasPolicy
from tasks.awards.public import objection_status
from tasks.ideas import records
from tasks.ideas.public import CampaignView, campaign_view
from tasks.ideas.screening import Submission, clean_phone, screen_idea, validate_submission
from tasks.ideas.similar import CampaignIndexes, already_submitted, record_support
from tasks.ideas.status import idea_status, issue_receipts
from tasks.notify.render import cn_date

logger = logging.getLogger(__name__)
PURPOSE = "ideas"
FIELDS = ("submitter", "phone", "community", "title", "content", "category")
LABELS = {
    "submitter": "姓名",
    "phone": "手机号",
    "community": "所在社区",
    "title": "标题",
    "content": "内容",
    "category": "类别",
    "year": "年度",
    "ref": "编号",
    "body": "表单",
}
# validation messages that always quote what was typed: shown as the field's plain rule
QUOTING = ("community", "category")
QUERY_MAX = 20_000  # characters of a similar-ideas query (title and text)
# the campaign's page and limits are read from the database at most this often; the writer
# checks the campaign again when it stores
VIEW_SECONDS = 5.0
RECEIPT_BATCH = 200
# why screening would refuse an idea, without quoting it
SCREENING_RULES = (
    ("有效字符", "有效文字过少，请写明具体的建议"),
    ("网址", "内容含网址链接，请删除后再提交"),
    ("广告", "内容含广告或违规用语，请修改后再提交"),
    ("重复", "内容重复字符过多，请写明具体的建议"),
)


def _screening_rule(reason: str) -> str:
    return next((rule for key, rule in SCREENING_RULES if key in reason), "内容不符合征集要求")


class IdeaPages:
    """The idea form's routes; stores through INTAKE's writer, looks up in INDEXES."""

    def __init__(
        self,
        *,
        pages: Pages,
        intake: Intake,
        indexes: CampaignIndexes,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        secure_cookie: bool,
    ) -> None:
        self.pages, self.intake, self.indexes = pages, intake, indexes
        self.zone, self.clock, self.secure_cookie = zone, clock, secure_cookie
        self.views: forms.Recent[int, CampaignView | None] = forms.Recent(
            campaign_view, seconds=VIEW_SECONDS
        )
        self.policy: forms.Recent[None, IdeasPolicy] = forms.Recent(
            lambda _: records.profile_and_policy()[1], seconds=VIEW_SECONDS
        )
        # status links and their messages, many submissions to a transaction
        self.receipts: Batcher[records.Ack, str] = Batcher(
            self._issue, name="idea-receipts", max_batch=RECEIPT_BATCH
        )
        self.router = APIRouter()
        self.router.add_api_route("/ideas", self.show, methods=["GET"])
        self.router.add_api_route("/ideas/form", self.submit, methods=["POST"])
        self.router.add_api_route("/ideas/support", self.support, methods=["POST"])
        self.router.add_api_route("/ideas/similar", self.similar_json, methods=["GET"])
        self.router.add_api_route("/s/{token}", self.status, methods=["GET"])

    def _issue(self, acks: list[records.Ack]) -> list[str]:
        return issue_receipts([(ack.year, ack.ref) for ack in acks], now=self.clock())

    async def stop(self) -> None:
        await asyncio.to_thread(self.receipts.flush)

    async def _campaign(self, year: int) -> CampaignView | None:
        if self.views.known(year):
            return self.views.get(year)
        return await asyncio.to_thread(self.views.get, year)

    def _today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    def _closed(self, year: int, view: CampaignView | None) -> HTMLResponse:
        if view is None:
            return self.pages.refusal(
                404, f"{year}年度金点子征集尚未启动", "征集启动后，将通过社区和平台发布通知。"
            )
        span = f"征集时间为{cn_date(view.collecting_from)}至{cn_date(view.collecting_to)}。"
        if self._today() < view.collecting_from:
            return self.pages.refusal(200, f"{view.heading}尚未开始", span)
        return self.pages.refusal(200, f"{view.heading}已截止", span, "感谢您的关注。")

    def _page(
        self,
        name: str,
        request: Request,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        cookie = forms.browser_cookie(request)
        response = self.pages.page(
            name, status=status, csrf=forms.form_token(cookie, PURPOSE), **context
        )
        forms.keep_cookie(response, cookie, secure=self.secure_cookie)
        return response

    def _form(
        self,
        request: Request,
        view: CampaignView,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        return self._page(
            "ideas_form.html",
            request,
            status=status,
            view=view,
            values=values or {},
            errors=errors or {},
            labels=LABELS,
        )

    async def _open_view(self, year: int) -> CampaignView | None:
        view = await self._campaign(year)
        return view if view is not None and view.open_on(self._today()) else None

    # ------------------------------------------------------------------ routes

    async def show(self, request: Request, year: int | None = None) -> Response:
        year = year if year is not None and 2000 <= year <= 2100 else self._today().year
        view = await self._campaign(year)
        if view is None or not view.open_on(self._today()):
            return self._closed(year, view)
        return self._form(request, view)

    def _check(
        self, form: dict[str, str], view: CampaignView
    ) -> tuple[IdeaForm | None, dict[str, str]]:
        """The intake's checks and screening, as {field: rule} without what was typed."""
        fields = {name: form.get(name, "") for name in FIELDS}
        try:
            idea = IdeaForm(**fields, year=view.year)
        except ValidationError as exc:
            return None, validation_problems(exc.errors(), fields=IdeaForm.model_fields)
        submission = Submission(**fields)
        policy = self.policy.get(None)
        problems = validate_submission(submission, policy=policy, communities=view.community_names)
        if not problems:
            screening = screen_idea(
                title=submission.title, content=submission.content, policy=policy
            )
            if screening.status == "rejected":
                problems["content"] = _screening_rule(screening.reason)
        problems = {k: PLAIN_RULES[k] if k in QUOTING else v for k, v in problems.items()}
        if problems:
            return None, without_echo(problems, submission.model_dump(), plain=PLAIN_RULES)
        return idea, {}

    async def _posted(
        self, request: Request
    ) -> tuple[dict[str, str], int, CampaignView] | Response:
        """A genuine form of this site, its year and that year's open campaign; else what the
        sender sees instead (the page expired, or the campaign is not open)."""
        form = await forms.url_encoded(request)
        if not forms.genuine(request, form, PURPOSE):
            return self.pages.refusal(403, "页面已过期", "请重新打开金点子征集页面后再提交。")
        year = int(form["year"]) if form.get("year", "").isdigit() else self._today().year
        view = await self._open_view(year)
        if view is None:
            return self._closed(year, await self._campaign(year))
        return form, year, view

    async def submit(self, request: Request) -> Response:
        posted = await self._posted(request)
        if isinstance(posted, Response):
            return posted
        form, year, view = posted
        values = {name: form.get(name, "") for name in FIELDS}
        if self.policy.known(None):  # checking is then only computing
            idea, errors = self._check(form, view)
        else:
            idea, errors = await asyncio.to_thread(self._check, form, view)
        if idea is None:
            return self._form(request, view, values=values, errors=errors, status=422)
        phone = clean_phone(idea.phone) or ""
        if form.get("step") != "new":
            count, similar = await asyncio.to_thread(
                self.indexes.similar, year=year, title=idea.title, content=idea.content
            )
            # a resubmission of one's own idea is not shown its own twin: it is acknowledged
            if similar and not await asyncio.to_thread(
                already_submitted, year=year, phone=phone, title=idea.title, content=idea.content
            ):
                return self._page(
                    "ideas_similar.html",
                    request,
                    view=view,
                    values=values,
                    similar=similar,
                    count=count,
                )
        try:
            outcome = await asyncio.wrap_future(self.intake.writer.put(idea))
        except Exception:  # not stored: the writer logged why
            return self.pages.refusal(
                503, "暂时无法保存", "系统繁忙，您的建议未能保存，请稍后重新提交。"
            )
        if isinstance(outcome, records.SubmissionRejected):
            problems = {
                k: PLAIN_RULES[k] if k in QUOTING else v for k, v in outcome.problems.items()
            }
            clean = without_echo(problems, values, plain=PLAIN_RULES)
            return self._form(request, view, values=values, errors=clean, status=422)
        try:
            token = await asyncio.wrap_future(self.receipts.put(outcome))
        except Exception as exc:  # the idea is stored; the office can still tell its status
            logger.warning("could not issue a status link (%s)", type(exc).__name__)
            token = ""
        return self.pages.page(
            "ideas_thanks.html", view=view, ack=outcome, status_link=f"/s/{token}" if token else ""
        )

    async def status(self, token: str) -> Response:
        found = objection = None
        if forms.plausible_form_id(token):
            found = await asyncio.to_thread(idea_status, token, zone=self.zone)
            if found is None:
                objection = await asyncio.to_thread(objection_status, token)
        if objection is not None:
            return self.pages.page("objection_status.html", progress=objection)
        if found is None:
            return self.pages.refusal(
                404, "链接无效", "此链接不存在或已失效，请核对短信中的链接是否完整。"
            )
        return self.pages.page("idea_status.html", progress=found)

    async def support(self, request: Request) -> Response:
        posted = await self._posted(request)
        if isinstance(posted, Response):
            return posted
        form, year, view = posted
        name = Submission(**{k: form.get(k, "") for k in FIELDS}).submitter.strip()
        phone = clean_phone(form.get("phone", ""))
        community = form.get("community", "")
        ref = form.get("ref", "")
        errors: dict[str, str] = {}
        if not 1 <= len(name) <= 50:
            errors["submitter"] = "必填，不超过 50 个字"
        if phone is None:
            errors["phone"] = "手机号须为 11 位中国大陆手机号（13-19 开头）"
        if community not in view.community_names:
            errors["community"] = PLAIN_RULES["community"]
        values = {k: form.get(k, "") for k in FIELDS}
        if errors:
            return self._form(request, view, values=values, errors=errors, status=422)
        assert phone is not None
        try:
            added = await asyncio.to_thread(
                record_support,
                year=year,
                ref=ref,
                supporter=name,
                phone=phone,
                community=community,
                now=self.clock(),
            )
        except LookupError:
            return self.pages.refusal(404, "没有找到这条建议", "请返回征集页面重新查看。")
        return self.pages.page("ideas_supported.html", view=view, ref=ref, added=added)

    async def similar_json(
        self, year: int | None = None, title: str = "", text: str = ""
    ) -> JSONResponse:
        problems: dict[str, str] = {}
        if year is None or not 2000 <= year <= 2100:
            problems["year"] = "须为 2000 至 2100 之间的年度"
        if len(title) + len(text) > QUERY_MAX:
            problems["text"] = f"标题和内容合计不能超过 {QUERY_MAX} 个字"
        if problems or year is None:
            return JSONResponse({"errors": problems}, status_code=422)
        count, similar = await asyncio.to_thread(
            self.indexes.similar, year=year, title=title, content=text
        )
        return JSONResponse(
            {
                "year": year,
                "count": count,
                "matches": [idea.model_dump() for idea in similar],
            }
        )
