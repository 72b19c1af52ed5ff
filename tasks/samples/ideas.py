"""Generated golden-idea submissions for demos, tests and benchmarks (deterministic by seed).

Texts are template-heavy on purpose (the hard case for similarity search): every idea is built
from shared phrases plus a few specific words, and a share of them are planted near-duplicates —
the same idea retyped with small edits (punctuation, a changed word, a sentence added).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, tzinfo

from pydantic import BaseModel

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏辉建国海燕"
TOPICS = (
    "老年人智能手机培训",
    "社区读书会",
    "青少年暑期托管",
    "志愿者积分兑换",
    "居民学习点改造",
    "家庭教育讲座",
    "职工技能夜校",
    "非遗手工课堂",
    "垃圾分类宣传",
    "社区图书漂流",
    "老年大学分班",
    "亲子阅读角",
    "健康养生讲堂",
    "防诈骗知识课",
    "书法绘画班",
    "社区合唱团",
    "党史学习小组",
    "外来务工人员普通话课",
    "残障人士学习服务",
    "楼道文化墙",
)
PLACES = (
    "活动室",
    "小区广场",
    "社区学校",
    "文化中心",
    "图书馆分馆",
    "党群服务中心",
    "居委会会议室",
    "街心花园",
)
OPENERS = (
    "建议在我们社区开展",
    "希望街道能够组织",
    "我提议每月举办",
    "可以考虑长期开设",
    "呼吁有关部门支持",
)
BODIES = (
    "利用周末时间在{place}集中学习，邀请专业老师授课，",
    "每周安排两次活动，地点放在{place}，由社区工作者负责组织，",
    "发动居民报名参加，在{place}设置固定课程表，",
    "联合辖区学校和单位，把{place}作为固定场所，",
)
ENDS = (
    "让更多居民受益，营造终身学习的良好氛围。",
    "提高大家的参与热情，形成学习型社区。",
    "既方便居民又能丰富大家的业余生活。",
    "希望能够长期坚持下去，形成品牌项目。",
)
DETAILS = "周一周三周五上午下午晚上春季秋季每年每月老师学生家长老人孩子邻居党员楼组长志愿"
# residents' own words: drawn from the commonest block of CJK ideographs
WORDS = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 3000))


class SampleIdea(BaseModel):
    """One generated submission; `planted_of` is the index of the idea it was copied from."""

    ref: str
    submitter: str
    phone: str
    community: str
    title: str
    content: str
    submitted_at: datetime
    planted_of: int | None = None


def _person(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
    phone = "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9))
    return name, phone


def _original(rng: random.Random) -> tuple[str, str]:
    topic = rng.choice(TOPICS)
    place = rng.choice(PLACES)
    detail = "".join(rng.sample(DETAILS, k=6))
    own = "".join(rng.choices(WORDS, k=rng.randint(20, 45)))
    number = rng.randint(2, 500)
    title = f"关于{topic}的建议"
    content = (
        rng.choice(OPENERS)
        + topic
        + "。"
        + rng.choice(BODIES).format(place=place)
        + f"预计每期可服务{number}人，重点面向{detail}。具体想法：{own}。"
        + rng.choice(ENDS)
    )
    return title, content


def _retyped(rng: random.Random, title: str, content: str) -> tuple[str, str]:
    """A near-duplicate: punctuation, spacing or a few characters changed, maybe a sentence."""
    chars = list(content)
    for _ in range(rng.randint(0, 3)):
        position = rng.randrange(len(chars))
        chars[position] = rng.choice(DETAILS)
    text = "".join(chars).replace("，", rng.choice(("，", ",", " ", "、")))
    if rng.random() < 0.3:
        text += "谢谢！"
    if rng.random() < 0.3:
        title = title.replace("的建议", "")
    return title, text


def generate_ideas(
    *,
    count: int,
    communities: list[str],
    year: int,
    seed: int,
    duplicate_share: float = 0.2,
    zone: tzinfo = UTC,
) -> list[SampleIdea]:
    """COUNT submissions over COMMUNITIES; about DUPLICATE_SHARE of them retype an earlier one.

    They start on 1 September at 09:00 on ZONE's clock (the district's, for a rehearsal year).
    """
    rng = random.Random(seed)
    start = datetime(year, 9, 1, 9, 0, tzinfo=zone)
    ideas: list[SampleIdea] = []
    for index in range(count):
        submitter, phone = _person(rng)
        planted: int | None = None
        if ideas and rng.random() < duplicate_share:
            planted = rng.randrange(len(ideas))
            title, content = _retyped(rng, ideas[planted].title, ideas[planted].content)
        else:
            title, content = _original(rng)
        ideas.append(
            SampleIdea(
                ref=f"G{year}-{index + 1:06d}",
                submitter=submitter,
                phone=phone,
                community=rng.choice(communities),
                title=title,
                content=content,
                submitted_at=start + timedelta(minutes=index * 7 % 40000),
                planted_of=planted,
            )
        )
    return ideas
