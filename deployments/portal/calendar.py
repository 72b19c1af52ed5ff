"""The year's calendar to subscribe to: `/calendar/<year>.ics`.

A calendar program given this address (`webcal://` or `https://`) shows every meeting of the
year and follows moves and cancellations by itself: each meeting keeps its UID, and a cancelled
one drops out. The file holds no personal data (meetings, venues, invited groups).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from deployments.portal.pages import Pages
from tasks.calendar.files import year_calendar


def calendar_router(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/calendar/{year}.ics", response_model=None)
    def subscription(year: int) -> Response:
        content = year_calendar(year) if 2000 <= year <= 2100 else None
        if content is None:
            return pages.refusal(404, "没有该年度的社区教育日历", "该年度的日历尚未编排。")
        return Response(
            content,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="calendar-{year}.ics"'},
        )

    return router
