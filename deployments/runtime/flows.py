"""Run a flow of this package under the one Prefect API this process uses."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from deployments.runtime.server import prefect_api
from flows.annual_calendar import annual_calendar
from models.params.calendar import CalendarParameters


def run_calendar(
    *,
    year: int,
    today: date | None = None,
    clone_from: int | None = None,
    avoid_activity_week: bool | None = None,
) -> dict[str, Any]:
    """Run the annual-calendar flow against a Prefect API (this process's, or a local one)."""
    params = CalendarParameters(
        year=year, today=today, clone_from=clone_from, avoid_activity_week=avoid_activity_week
    )
    with prefect_api():
        return asyncio.run(annual_calendar(params))
