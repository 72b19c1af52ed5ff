"""Test data factories: plain functions over the real database."""

from __future__ import annotations

from typing import Any

from models.db import session_scope
from models.profile.schema import DistrictProfile
from models.secondment import Teacher, TeacherBase
from tasks.samples.roster import generate_roster


def make_teacher(**overrides: Any) -> TeacherBase:
    """One eligible teacher; override any field."""
    values: dict[str, Any] = {
        "staff_id": "T90001",
        "name": "张老师",
        "school": "人民路第一小学",
        "subject": "语文",
        "years_teaching": 10,
        "in_service": True,
        "annual_rating": "优秀",
        "political_score": 90,
        "ability_score": 90,
        "community_work_score": 90,
        "backbone": False,
        "last_secondment_year": None,
        "preferred_streets": [],
        "deferred": False,
        "phone": "13812345678",
    }
    values.update(overrides)
    return TeacherBase(**values)


def store_teachers(teachers: list[TeacherBase]) -> None:
    with session_scope() as session:
        for t in teachers:
            session.merge(Teacher(**t.model_dump()))


def seed_roster(
    profile: DistrictProfile, *, count: int = 200, seed: int = 2026
) -> list[TeacherBase]:
    """Generate and store a roster over the profile's schools; return it."""
    roster = generate_roster(
        count=count,
        schools=[s.name for s in profile.schools],
        streets=profile.street_names,
        seed=seed,
    )
    store_teachers(roster)
    return roster
