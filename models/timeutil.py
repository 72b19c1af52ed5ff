"""This instant, in UTC: the one reading of the system clock (stored timestamps are UTC).

The district's date ("today", "this year") is `tasks.common.clock`, which reads its instants
here. `instant_source` replaces the source inside a block (a rehearsal on a chosen day).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


def _system() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system


def utcnow() -> datetime:
    return _source().astimezone(UTC)


@contextmanager
def instant_source(source: Callable[[], datetime]) -> Iterator[None]:
    """Read every instant from SOURCE (time-zone aware) inside the block, then the system again."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
