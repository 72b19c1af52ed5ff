"""The portal's pages: Jinja2 templates in `templates/`, the stylesheet in `static/`.

Pages are rendered on the server, escaped (autoescape on), and need no script: every form is a
plain HTML form that works in WeChat's and DingTalk's in-app browsers with JavaScript off.
The text is Chinese, dates as a district notice writes them (2026年3月6日).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.types import Send

from deployments.portal.limits import answer_refusal

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "static" / "portal.css"
WEEKDAYS = "一二三四五六日"


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def cn_date(value: date | datetime | str) -> str:
    """2026年3月6日"""
    day = _day(value)
    return f"{day.year}年{day.month}月{day.day}日"


def cn_day(value: date | datetime | str) -> str:
    """2026年3月6日（星期五）"""
    day = _day(value)
    return f"{cn_date(day)}（星期{WEEKDAYS[day.weekday()]}）"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES, encoding="utf-8"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(cn_date=cn_date, cn_day=cn_day)
    return env


class Office:
    """Who the pages name as the office to contact (footer, refusals)."""

    def __init__(self, *, name: str, phone: str = "") -> None:
        self.name = name
        self.phone = phone


class Pages:
    """Renders the portal's pages with what every page shows (the site's name, the office)."""

    def __init__(self, *, site: str, office: Office) -> None:
        self.site = site
        self.office = office

    def html(self, name: str, /, **context: Any) -> str:
        template = environment().get_template(name)
        return template.render(site=self.site, office=self.office, **context)

    def page(
        self,
        name: str,
        /,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        return HTMLResponse(self.html(name, **context), status_code=status, headers=headers)

    def refusal(self, status: int, heading: str, *lines: str) -> HTMLResponse:
        """A Chinese page saying why nothing was done, and whom to call."""
        return self.page("refusal.html", status=status, heading=heading, lines=list(lines))

    async def refuse(
        self, send: Send, status: int, problems: Mapping[str, str], retry_after: int | None
    ) -> None:
        """The guard's refusal of a form post (too fast, too large) as a page."""
        heading = "提交过于频繁" if status == 429 else "提交的内容过大"
        body = self.html("refusal.html", heading=heading, lines=list(problems.values()))
        await answer_refusal(
            send, status, body.encode("utf-8"), b"text/html; charset=utf-8", retry_after
        )


def stylesheet() -> Response:
    """The stylesheet, cacheable (it carries no personal data)."""
    return Response(
        STYLESHEET.read_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )
