"""Storing validated rows: one upsert by key columns, the summary of an import, progress bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session, SQLModel, select

from models.db import session_scope
from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.common.district import active_profile


class ImportSummary(BaseModel):
    """What an import did."""

    model_config = ConfigDict(frozen=True)

    path: Path
    rows: int
    inserted: int
    updated: int
    unchanged: int
    encoding: str


def import_records(
    path: Path,
    table: type[SQLModel],
    *,
    key: tuple[str, ...],
    validate: Callable[[Session, DistrictProfile], Sequence[BaseModel]],
) -> ImportSummary:
    """Validate a file whole against the profile in force (and what `validate` reads in the
    session), then upsert it by `key` columns: one transaction, nothing written when refused."""
    with session_scope() as session:
        records = validate(session, active_profile(session))
        return upsert_records(session, table, records, key=key, path=Path(path))


class YearFileCheck(Protocol):
    """A validator of a file of one year's rows (`year` None: each row says its year)."""

    def __call__(
        self, path: Path, *, profile: DistrictProfile, year: int | None
    ) -> Sequence[BaseModel]: ...


def import_year_file(
    path: Path, table: type[SQLModel], key: tuple[str, ...], check: YearFileCheck, year: int | None
) -> ImportSummary:
    """`import_records` for a file `check` validates against the profile alone."""
    return import_records(
        path,
        table,
        key=key,
        validate=lambda _, profile: check(Path(path), profile=profile, year=year),
    )


def upsert_records(
    session: Session,
    table: type[SQLModel],
    records: Sequence[BaseModel],
    *,
    key: tuple[str, ...],
    path: Path,
) -> ImportSummary:
    """Insert each validated record, or update the stored row with the same `key` columns when a
    value differs (stamping `updated_at`); count what happened. The caller's session is the one
    transaction of the import."""
    inserted = updated = unchanged = 0
    for record in records:
        values = record.model_dump()
        matches = [getattr(table, column) == values[column] for column in key]
        stored = session.exec(select(table).where(*matches)).first()
        if stored is None:
            session.add(table(**values))
            inserted += 1
        elif any(getattr(stored, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(stored, name, value)
            setattr(stored, "updated_at", utcnow())  # noqa: B010 (every such table has it)
            session.add(stored)
            updated += 1
        else:
            unchanged += 1
    return ImportSummary(
        path=path,
        rows=len(records),
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        encoding="",
    )


class _Stage:
    """One progress bar; without a known total it counts, and `finish` fills it."""

    def __init__(self, progress: Progress | None, description: str, total: int | None) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=total) if progress else None

    def advance(self, count: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def finish(self) -> None:
        if self._progress is not None and self._task is not None:
            done = self._progress.tasks[self._task].completed
            self._progress.update(self._task, total=done, completed=done)


@contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str, int | None], _Stage]]:
    """A factory of progress bars drawn on stderr, or of silent ones when not ENABLED."""
    if not enabled:
        yield lambda description, total: _Stage(None, description, total)
        return
    progress = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        yield lambda description, total: _Stage(progress, description, total)
