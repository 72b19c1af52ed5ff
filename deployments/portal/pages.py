"""The portal's pages: Jinja2 templates in `templates/`, the stylesheet in `static/`.

Pages are rendered on the server, escaped (autoescape on), and need no script: every form is a
plain HTML form that works in WeChat's and DingTalk's in-app browsers with JavaScript off.
The text is Chinese, dates and times as the messages write them (2026年3月6日, 上午9:00至11:30).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape
from starlette.types import Send

from deployments.portal.limits import answer_refusal
from tasks.notify.render import cn_date, cn_day, cn_span

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "static" / "portal.css"
RENDERED_PAGES = 4096  # pages kept rendered (a few KB each)
SLOT_MARK = secrets.token_hex(12)  # no text a page shows can hold it: it is drawn at start


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES, encoding="utf-8"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates are part of the release: no stat() per page
    )
    env.filters.update(cn_date=cn_date, cn_day=cn_day, cn_span=cn_span)  # as messages write
    return env


class Office:
    """Who the pages name as the office to contact (footer, refusals)."""

    def __init__(self, *, name: str, phone: str = "", address: str = "") -> None:
        self.name = name
        self.phone = phone
        self.address = address


class Pages:
    """Renders the portal's pages with what every page shows (the site's name, the office)."""

    def __init__(self, *, site: str, office: Office) -> None:
        self.site = site
        self.office = office
        self._rendered: OrderedDict[Hashable, str] = OrderedDict()  # used from the event loop

    def html(self, name: str, /, **context: Any) -> str:
        template = environment().get_template(name)
        return template.render(site=self.site, office=self.office, **context)

    def filled(self, key: Hashable, name: str, context: Mapping[str, Any], /, **slots: str) -> str:
        """The page NAME rendered from CONTEXT once per KEY, then its SLOTS filled per request.

        KEY must determine everything CONTEXT holds (the caller's promise: a link's token and
        all it was read as); SLOTS are the values that change every time (a CSRF token, a form
        id), escaped and put where the template shows them. The most recently used pages are
        kept, RENDERED_PAGES at most.
        """
        page = self._rendered.get(key)
        if page is None:
            marks = {slot: f"{SLOT_MARK}{slot}{SLOT_MARK}" for slot in slots}
            page = self.html(name, **context, **marks)
            self._rendered[key] = page
            if len(self._rendered) > RENDERED_PAGES:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        for slot, value in slots.items():
            page = page.replace(f"{SLOT_MARK}{slot}{SLOT_MARK}", str(escape(value)))
        return page

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


@lru_cache(maxsize=1)
def _stylesheet_bytes() -> bytes:
    return STYLESHEET.read_bytes()


def stylesheet() -> Response:
    """The stylesheet, cacheable (it carries no personal data)."""
    return Response(
        _stylesheet_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )
