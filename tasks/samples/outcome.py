"""A year's outcome as comparable data: every decision, placement and message, minus bookkeeping.

Two installations that ran the same year from the same inputs and seed must reach the same
outcome, whether they ran on one machine with SQLite or on several with PostgreSQL.
`year_outcome` reads the decision tables of a year and drops what legitimately differs between
runs: surrogate ids, foreign keys to them, timestamps and personal-link tokens.
`outcome_digest` is its SHA-256, short enough to print and compare by eye;
`outcome_differences` names the first rows that differ.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlmodel import SQLModel, col, select

from models.awards import AwardEntry, AwardObjection, AwardRound
from models.db import session_scope
from models.ideas import Idea, IdeaCampaign, IdeaResult
from models.meetings import CalendarYear, Distribution, Meeting
from models.outbox import OutboxMessage
from models.secondment import Assignment, SecondmentRound
from models.settings import get_settings

# a personal link's token is random by design: two correct runs issue different ones
LINK_TOKEN = re.compile(r"/r/[A-Za-z0-9_-]+")

# The tables that hold a year's decisions and what it told people, in report order.
OUTCOME_TABLES: tuple[type[SQLModel], ...] = (
    CalendarYear,
    Meeting,
    Distribution,
    IdeaCampaign,
    Idea,
    IdeaResult,
    SecondmentRound,
    Assignment,
    AwardRound,
    AwardEntry,
    AwardObjection,
    OutboxMessage,
)


def _volatile(column: str) -> bool:
    """Bookkeeping that differs between two correct runs: ids, links to ids, clock readings."""
    return column == "id" or column.endswith("_id") or column.endswith("_at")


def _plain(value: Any, data_dir: str) -> Any:
    if isinstance(value, str):
        # messages name files under the installation's data directory (e.g. .ics invitations)
        return LINK_TOKEN.sub("/r/<token>", value.replace(data_dir, "<data_dir>"))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)  # PostgreSQL and SQLite print the last bits differently
    return value


def year_outcome(year: int) -> dict[str, list[dict[str, Any]]]:
    """Every outcome row of `year`, table by table, sorted, with bookkeeping columns dropped."""
    data_dir = str(get_settings().data_dir.resolve())
    outcome: dict[str, list[dict[str, Any]]] = {}
    with session_scope() as session:
        for table in OUTCOME_TABLES:
            year_column = table.__table__.c["year"]  # type: ignore[attr-defined]
            rows = session.exec(select(table).where(col(year_column) == year)).all()
            plain = [
                {
                    k: _plain(v, data_dir)
                    for k, v in sorted(row.model_dump().items())
                    if not _volatile(k)
                }
                for row in rows
            ]
            plain.sort(key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))
            outcome[str(table.__tablename__)] = plain
    return outcome


def outcome_digest(outcome: dict[str, list[dict[str, Any]]]) -> str:
    """SHA-256 of the canonical JSON of an outcome (first 16 hex digits)."""
    text = json.dumps(outcome, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def outcome_differences(
    left: dict[str, list[dict[str, Any]]], right: dict[str, list[dict[str, Any]]], *, limit: int = 5
) -> list[str]:
    """Human-readable differences between two outcomes (empty when they are equal)."""
    lines: list[str] = []
    for table in sorted(set(left) | set(right)):
        a, b = left.get(table, []), right.get(table, [])
        if len(a) != len(b):
            lines.append(f"{table}: {len(a)} rows vs {len(b)} rows")
        lines.extend(
            f"{table}: {json.dumps(x, ensure_ascii=False)} != {json.dumps(y, ensure_ascii=False)}"
            for x, y in _first_unequal(a, b, limit)
        )
    return lines


def _first_unequal(
    a: Sequence[dict[str, Any]], b: Sequence[dict[str, Any]], limit: int
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(x, y) for x, y in zip(a, b, strict=False) if x != y][:limit]


def outcome_counts(outcome: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Rows per table: the short form to print."""
    return {table: len(rows) for table, rows in outcome.items()}
