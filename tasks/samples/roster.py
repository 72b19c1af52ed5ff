"""Deterministic sample data for the demo, tests and benchmarks (realistic Chinese names)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from models.secondment import RATINGS, TeacherBase

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力宁晨雪琳颖婷倩佳"
    "欣怡博宇浩然子轩梓涵一诺思源嘉怡晓东海燕志强建国春梅秋菊"
)
SUBJECTS = [
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "历史",
    "地理",
    "政治",
    "音乐",
    "美术",
    "体育",
    "信息技术",
]


def chinese_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def generate_roster(
    *,
    count: int,
    schools: Sequence[str],
    streets: Sequence[str],
    seed: int = 2026,
    year: int = 2026,
) -> list[TeacherBase]:
    """A roster of `count` teachers spread over `schools`, reproducible from `seed`."""
    rng = random.Random(seed)
    roster = []
    for n in range(1, count + 1):
        years = rng.randint(1, 35)
        prefs = rng.sample(list(streets), k=min(len(streets), rng.choice([0, 1, 1, 2, 3])))
        roster.append(
            TeacherBase(
                staff_id=f"T{n:05d}",
                name=chinese_name(rng),
                school=rng.choice(list(schools)),
                subject=rng.choice(SUBJECTS),
                years_teaching=years,
                in_service=rng.random() > 0.04,
                annual_rating=rng.choices(RATINGS, weights=[30, 45, 22, 3])[0],
                political_score=rng.randint(60, 100),
                ability_score=rng.randint(55, 100),
                community_work_score=rng.randint(50, 100),
                backbone=rng.random() < 0.25,
                last_secondment_year=(year - rng.randint(1, 6)) if rng.random() < 0.08 else None,
                preferred_streets=prefs,
                deferred=rng.random() < 0.03,
                phone=f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}",
            )
        )
    return roster
