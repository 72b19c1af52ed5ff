"""Database side of the targets' delivery state: load and save it around a pass, resume a target.

One row per target (`DeliveryTarget`) that was ever paced, throttled or held. Saving writes only
what a pass changed; two passes running at once may each count their own sends only, in which
case the vendor's own throttling answer still stops the excess truthfully.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlmodel import col, select

from models.db import session_scope
from models.outbox import DeliveryTarget
from models.timeutil import utcnow
from tasks.notify.pacing import TargetState


def _epoch(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    # SQLite hands back naive datetimes; they were written in UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def load_states() -> dict[str, TargetState]:
    """Every stored target's state."""
    with session_scope() as session:
        return {
            row.name: TargetState(
                recent=[float(t) for t in row.recent_sends or []],
                blocked_until=_epoch(row.blocked_until),
                held_fingerprint=row.held_fingerprint,
                held_reason=row.held_reason,
            )
            for row in session.exec(select(DeliveryTarget))
        }


def save_states(states: Mapping[str, TargetState]) -> None:
    """Write these targets' states in one transaction; a newly held target gets `held_at`."""
    if not states:
        return
    now = utcnow()
    with session_scope() as session:
        rows = {
            row.name: row
            for row in session.exec(
                select(DeliveryTarget).where(col(DeliveryTarget.name).in_(list(states)))
            )
        }
        for name, state in states.items():
            row = rows.get(name) or DeliveryTarget(name=name)
            if state.held_reason and (
                not row.held_reason or row.held_fingerprint != state.held_fingerprint
            ):
                row.held_at = now
            row.recent_sends = list(state.recent)
            row.blocked_until = (
                datetime.fromtimestamp(state.blocked_until, UTC) if state.blocked_until else None
            )
            row.held_reason = state.held_reason
            row.held_fingerprint = state.held_fingerprint
            if not state.held_reason:
                row.held_at = None
            row.updated_at = now
            session.add(row)


def resume(target: str) -> bool:
    """Release a held or throttled target (its configuration was fixed at the vendor's side,
    e.g. a keyword or an IP white list); False if nothing held it."""
    with session_scope() as session:
        row = session.get(DeliveryTarget, target)
        if row is None or not (row.held_reason or row.blocked_until):
            return False
        row.held_reason, row.held_fingerprint, row.held_at = "", "", None
        row.blocked_until = None
        row.updated_at = utcnow()
        session.add(row)
        return True


def stored_targets() -> list[DeliveryTarget]:
    """Every stored target's row, by name (for the operator's view)."""
    with session_scope() as session:
        return list(session.exec(select(DeliveryTarget).order_by(col(DeliveryTarget.name))))
