"""What every process of the command line runs with: no telemetry, Prefect's console quiet.

Prefect reads some settings once, when it is imported (its SDK analytics, its logging set-up),
so `prepare_environment` runs before anything imports Prefect; `quiet_console` does the same
for a process where Prefect is already imported. Child processes (a Prefect server, served
flow runs) inherit the environment.
"""

from __future__ import annotations

import logging
import os

# Nothing calls out: Prefect's client-side analytics honour DO_NOT_TRACK
# (prefect/_internal/analytics/enabled.py); a server's telemetry heartbeat, which would log
# "Failed to send telemetry" without internet, honours PREFECT_SERVER_ANALYTICS_ENABLED.
TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
# The level of Prefect's console handler (logging.yml `handlers.console.level`); the API
# handler keeps every level, so the run's logs in the UI stay complete.
CONSOLE_LEVEL_VARIABLE = "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"
QUIET_LEVEL = "CRITICAL"


def prepare_environment(*, verbose: bool) -> None:
    """Telemetry off; Prefect's own log lines off the terminal unless `verbose`."""
    os.environ.update(TELEMETRY_OFF)
    if verbose:
        os.environ.pop(CONSOLE_LEVEL_VARIABLE, None)
    else:
        os.environ[CONSOLE_LEVEL_VARIABLE] = QUIET_LEVEL


def quiet_console(*, verbose: bool) -> None:
    """Set Prefect's console handlers of this process to show nothing below CRITICAL (or all)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    level = logging.NOTSET if verbose else logging.CRITICAL
    loggers = [logging.getLogger(), *map(logging.getLogger, ("prefect", "uvicorn", "fastapi"))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
