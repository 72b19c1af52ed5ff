"""Rosters of several realistic shapes for the secondment's tests and benchmarks (seeded).

One generator tuned to one shape lets a solver be tuned to it too; these families differ where a
placement gets hard: who is strong, where they teach, how many are backbone, how many streets they
prefer, how close the quotas come to the per-school cap, and how often merits tie exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from models.secondment import RATINGS, TeacherBase
from tasks.samples.roster import chinese_name

YEAR = 2026


@dataclass(frozen=True)
class Shape:
    """How one family draws a teacher; `school` is the index of the teacher's school."""

    schools_per_100: float  # schools per 100 teachers (uniform: one per 25 teachers)
    draw: Callable[[random.Random, int, int], dict[str, object]]  # (rng, school, schools) -> fields
    preferences: Callable[[random.Random, int], int]  # (rng, streets) -> how many streets preferred


def _common(
    rng: random.Random, *, young: float = 0.11, backbone: float = 0.25
) -> dict[str, object]:
    """Fields every family draws the same way (eligibility conditions and the phone)."""
    return {
        "years_teaching": rng.randint(1, 4) if rng.random() < young else rng.randint(5, 35),
        "in_service": rng.random() > 0.04,
        "annual_rating": rng.choices(RATINGS, weights=[30, 45, 22, 3])[0],
        "backbone": rng.random() < backbone,
        "last_secondment_year": (YEAR - rng.randint(1, 6)) if rng.random() < 0.08 else None,
        "deferred": rng.random() < 0.03,
    }


def _uniform(rng: random.Random, _school: int, _schools: int) -> dict[str, object]:
    return {
        **_common(rng),
        "political_score": rng.randint(60, 100),
        "ability_score": rng.randint(55, 100),
        "community_work_score": rng.randint(50, 100),
    }


def _key_schools(rng: random.Random, school: int, schools: int) -> dict[str, object]:
    # a fifth of the schools are key schools with the strong teachers: the cap binds there
    key = school < max(1, schools // 5)
    low, high = (85, 100) if key else (55, 92)
    return {
        **_common(rng, young=0.3, backbone=0.2 if key else 0.1),
        "political_score": rng.randint(low, high),
        "ability_score": rng.randint(low, high),
        "community_work_score": rng.randint(low - 5, high),
    }


def _few_backbone(rng: random.Random, school: int, schools: int) -> dict[str, object]:
    fields = _uniform(rng, school, schools)
    # few backbone teachers, in a few schools, and weaker than the rest: the share binds
    backbone = school % 10 == 0 and rng.random() < 0.2
    fields["backbone"] = backbone
    if backbone:
        fields["ability_score"] = rng.randint(55, 80)
    return fields


TIED_PROFILES = ((90, 90, 90), (100, 90, 90), (90, 100, 100), (100, 100, 100))


def _ties(rng: random.Random, _school: int, _schools: int) -> dict[str, object]:
    # every teacher has one of four whole-number profiles: four merit levels, many on each
    fields = _common(rng)
    fields["years_teaching"] = rng.choice([3, 30, 35])  # 30 and 35 count alike
    political, ability, community = rng.choices(TIED_PROFILES, weights=[50, 28, 20, 2])[0]
    fields["political_score"] = political
    fields["ability_score"] = ability
    fields["community_work_score"] = community
    return fields


def _some(rng: random.Random, streets: int) -> int:
    return min(streets, rng.choice([0, 1, 1, 2, 3]))


FAMILIES: dict[str, Shape] = {
    "uniform": Shape(4, _uniform, _some),
    "key-schools": Shape(4, _key_schools, lambda rng, n: min(n, rng.randint(0, 3))),
    "few-backbone": Shape(4, _few_backbone, _some),
    "many-preferences": Shape(4, _uniform, lambda rng, n: min(n, rng.randint(4, 10))),
    "no-preferences": Shape(4, _uniform, lambda rng, n: 0),
    # about as many schools as places / cap: almost every school must send its two
    "tight-quotas": Shape(1.1, _uniform, _some),
    "ties": Shape(4, _ties, lambda rng, n: min(n, rng.choice([0, 1]))),
}


def family_roster(
    family: str,
    *,
    count: int,
    streets: list[str],
    places: int,
    seed: int,
    cap: int = 2,
    schools: int | None = None,
) -> list[TeacherBase]:
    """`count` teachers of one family (a key of FAMILIES), reproducible from `seed`.

    The number of schools follows the family unless given; for `tight-quotas` it is just above
    what `places` teachers need at `cap` per school, once the ineligible are left out.
    """
    shape = FAMILIES[family]
    rng = random.Random(f"{family}-{seed}")
    if schools is None:
        schools = max(1, round(count * shape.schools_per_100 / 100))
        if family == "tight-quotas":
            schools = -(-places // cap) + max(2, places // 25)
    names = [f"学校{k:04d}" for k in range(schools)]
    roster = []
    for n in range(1, count + 1):
        school = n % schools if n <= schools else rng.randrange(schools)
        fields = shape.draw(rng, school, schools)
        preferred = rng.sample(streets, k=shape.preferences(rng, len(streets)))
        roster.append(
            TeacherBase(
                staff_id=f"T{n:05d}",
                name=chinese_name(rng),
                school=names[school],
                preferred_streets=preferred,
                phone=f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}",
                **fields,  # type: ignore[arg-type]
            )
        )
    return roster
