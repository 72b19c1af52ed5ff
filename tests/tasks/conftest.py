"""Fixtures for task tests: a migrated database holding the bundled profile's registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.db import session_scope
from models.profile import DistrictProfile, load_profile
from tasks.registry import sync_registry


@pytest.fixture
def registry(db: Path) -> Iterator[DistrictProfile]:
    """The `db` fixture plus the streets, communities and schools of the bundled profile."""
    profile, text = load_profile()
    with session_scope() as session:
        sync_registry(session, profile=profile, text=text, source="bundled")
    yield profile
