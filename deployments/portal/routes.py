"""What the portal's route groups that announce events share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from deployments.portal.pages import Pages
from tasks.common.events import PrefectApi


class Shared(TypedDict):
    """The pages, the Prefect API events go to (None: none are announced here), the district's
    time zone and clock, and whether the form cookie is sent over HTTPS only."""

    pages: Pages
    prefect: PrefectApi | None
    zone: ZoneInfo
    clock: Callable[[], datetime]
    secure_cookie: bool


class AnnouncingRoutes:
    """A group of routes on its own router, with what it shares with the others."""

    def __init__(self, **shared: Unpack[Shared]) -> None:
        self.pages, self.prefect, self.zone = shared["pages"], shared["prefect"], shared["zone"]
        self.clock, self.secure_cookie = shared["clock"], shared["secure_cookie"]
        self.router = APIRouter()

    def _today(self) -> date:
        """The district's date now."""
        return self.clock().astimezone(self.zone).date()
