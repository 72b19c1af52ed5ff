"""The golden-idea demo runs end to end and publishes (the lead's demo calls it)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from deployments.demo.ideas import DEMO_IDEAS, run_ideas_demo
from models.profile.schema import DistrictProfile
from tasks.ideas.review import results

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_ideas_demo_publishes(registry: DistrictProfile) -> None:
    buffer = io.StringIO()
    run_ideas_demo(year=2026, console=Console(file=buffer, width=120))
    text = buffer.getvalue()
    assert f"{DEMO_IDEAS} received" in text and "with near-duplicates" in text
    assert len(results(2026).selected) == sum(registry.ideas.tiers.values())
