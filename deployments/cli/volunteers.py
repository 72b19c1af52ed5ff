"""The `volunteers` import kind: volunteers (R10.3) and the lecturer group (R10.4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer


def _import_volunteers(file: Path, year: int | None) -> str:
    from tasks.importing.volunteers import import_volunteers_file

    s = import_volunteers_file(file, year=year)
    return f"{file}：{s.rows} 人，新增 {s.inserted}，更新 {s.updated}，未变 {s.unchanged}"


def register(app: typer.Typer, importers: dict[str, Callable[[Path, int | None], str]]) -> None:
    """Add the `volunteers` import kind (no commands of its own)."""
    del app
    importers["volunteers"] = _import_volunteers
