"""Generated award nominations and judges' scores for the demo, tests and benchmarks (seeded)."""

from __future__ import annotations

import random

from models.awards import CATEGORIES, AwardScoreBase, NominationBase
from models.profile.schema import DistrictProfile

_PREFIX = {
    "residential_area": "XQ",
    "agency": "JG",
    "enterprise": "QY",
    "building": "LY",
    "family": "JT",
    "leader": "DT",
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
_SUFFIX = {
    "residential_area": "小区",
    "agency": "办公室",
    "enterprise": "有限公司",
    "building": "楼院",
    "family": "家庭",
    "leader": "",
}


def generate_nominations(
    profile: DistrictProfile, *, year: int, per_category: int, seed: int
) -> list[NominationBase]:
    """`per_category` eligible-looking nominations per category over the profile's communities."""
    rng = random.Random(seed)
    places = [(s.name, c) for s in profile.streets for c in s.communities]
    out: list[NominationBase] = []
    for category in CATEGORIES:
        for i in range(1, per_category + 1):
            street, community = rng.choice(places)
            person = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            base = community.removesuffix("居委") if category != "leader" else person
            name = f"{base}{_SUFFIX[category]}" if category != "family" else f"{person}家庭"
            out.append(
                NominationBase(
                    year=year,
                    ref=f"{_PREFIX[category]}-{i:03d}",
                    category=category,
                    name=f"{name}{i}" if category != "leader" else name,
                    street=street,
                    community=community,
                    nominated_by=f"{street}办事处",
                    metrics={
                        "activities": float(rng.randint(12, 60)),
                        "participants": float(rng.randint(100, 3000)),
                        "reading_hours": float(rng.randint(100, 2000)),
                        "volunteers": float(rng.randint(1, 80)),
                        "courses": float(rng.randint(1, 30)),
                    },
                )
            )
    return out


def generate_scores(
    profile: DistrictProfile,
    nominations: list[NominationBase],
    *,
    seed: int,
    judges_per_item: int | None = None,
) -> list[AwardScoreBase]:
    """Every judge (or a seeded subset per nomination) scores each nomination, with a bias."""
    rng = random.Random(seed)
    judges = [j.name for j in profile.awards.judges]
    bias = {j: rng.uniform(-10, 10) for j in judges}
    quality = {n.ref: rng.uniform(55, 90) for n in nominations}
    out: list[AwardScoreBase] = []
    for n in nominations:
        chosen = judges if judges_per_item is None else rng.sample(judges, judges_per_item)
        for judge in sorted(chosen):
            out.append(
                AwardScoreBase(
                    year=n.year,
                    ref=n.ref,
                    judge=judge,
                    criteria={
                        c: round(
                            min(100.0, max(0.0, quality[n.ref] + bias[judge] + rng.gauss(0, 5))), 1
                        )
                        for c in profile.awards.criteria
                    },
                )
            )
    return out
