"""Benchmark: similar ideas as a resident types, index vs an exact scan (R7.3). Run as a script:

    .venv/bin/python tests/benchmarks/bench_similar.py [--ideas 100000] [--queries 40]

One campaign of IDEAS stored ideas drawn from five families of text; per family, QUERIES
lookups (half of them retyped copies of a stored idea, half new texts of that family) through
`SimilarIndex.lookup` and through the plain-Python scan of every stored idea (`scan`), in the
same run and on the same stored data. Prints p50 and p99 per lookup for both, the ratio of the
p99s, whether every answer was the same and whether the family met the target (the index's p99
at least TARGET times faster than the scan's); then the same over all lookups, and a last line
saying whether every family met the target.

Families: the generator's template-heavy ideas with planted copies (`tasks.samples.ideas`);
residents' own wording (sentences of real-looking ideas, recombined); near-duplicates of those
as people retype (punctuation, spaces, full-width digits, a word changed, sentences swapped);
short texts (a title and a line); long texts (a page or more).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from tasks.common.dedup import idea_key
from tasks.common.similar import SimilarIndex
from tasks.samples.ideas import generate_ideas

SENTENCES = (
    "小区里老年人多，很多人不会用智能手机挂号和付款",
    "建议每周二下午在居委会活动室开一次手机课",
    "请社区学校的老师或者大学生志愿者来一对一教",
    "孩子放学后没人管，双职工家庭很头疼",
    "能不能利用社区学校的教室办一个四点半课堂",
    "楼道里堆放杂物，文化墙也已经很旧了",
    "希望把一楼空置的车库改成居民读书角",
    "书可以由居民捐赠，志愿者轮流管理借还",
    "外来务工人员想学普通话和电脑，晚上才有时间",
    "建议开办职工夜校，课程安排在晚上七点以后",
    "防诈骗宣传要讲真实案例，老人才听得进去",
    "社区合唱团缺少排练场地，能否借用学校礼堂",
    "垃圾分类要有人在投放点现场指导一段时间",
    "家庭教育讲座可以请心理老师讲讲青春期沟通",
    "非遗手工课很受欢迎，但名额太少报不上",
    "建议增加周末班次，方便上班族带孩子参加",
    "志愿服务可以积分，积分换课程或者生活用品",
    "希望图书馆分馆延长开放时间到晚上九点",
    "残障人士也想参加学习，需要无障碍通道和手语老师",
    "可以组织党员和楼组长带头，先在一个楼试点",
    "学习点的桌椅太少，冬天也没有暖气",
    "每月办一次健康讲座，请社区医院的医生来讲",
    "老年大学书法班报名太难，建议在街道开分班",
    "暑假期间可以组织中学生给小学生辅导作业",
)
PLACES = ("嘉兴路", "洛阳路", "海伦路", "曲阳路", "四川北路", "欧阳路", "江湾镇", "凉城")
NUMBERS = "0123456789"
FULL_WIDTH = str.maketrans(NUMBERS + ",.", "０１２３４５６７８９，。")

Family = Callable[[random.Random], tuple[str, str]]


# residents' own words beside the common phrases: the commonest block of CJK ideographs
WORDS = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 3000))


def _own_words(rng: random.Random, low: int = 4, high: int = 12) -> str:
    return "".join(rng.choices(WORDS, k=rng.randint(low, high)))


def _resident(rng: random.Random) -> tuple[str, str]:
    picked = rng.sample(SENTENCES, rng.randint(1, 3))
    clauses = picked + [_own_words(rng) for _ in range(rng.randint(2, 5))]
    rng.shuffle(clauses)
    place = rng.choice(PLACES)
    number = rng.randint(1, 99)
    content = f"我住在{place}{number}弄。" + "。".join(clauses) + "。"
    return picked[0][:8] + _own_words(rng, 2, 6), content


def retyped(rng: random.Random, title: str, content: str) -> tuple[str, str]:
    """The same idea as another resident would type it."""
    parts = [p for p in content.split("。") if p]
    edit = rng.randrange(5)
    if edit == 0:
        content = "，".join(parts) + "！"
    elif edit == 1:
        content = " ".join(parts).translate(FULL_WIDTH)
    elif edit == 2 and len(parts) > 2:
        i = rng.randrange(len(parts) - 1)
        parts[i], parts[i + 1] = parts[i + 1], parts[i]
        content = "。".join(parts)
    elif edit == 3:
        at = rng.randrange(len(content))
        content = content[:at] + rng.choice("的了也都") + content[at + 1 :]
    else:
        content = content + "谢谢！"
    return title, content


def _near(rng: random.Random) -> tuple[str, str]:
    return retyped(rng, *_resident(rng))


def _short(rng: random.Random) -> tuple[str, str]:
    sentence = rng.choice(SENTENCES)
    start = rng.randrange(max(1, len(sentence) - 12))
    return sentence[start : start + rng.randint(4, 8)] + _own_words(rng, 2, 4), _own_words(
        rng, 8, 16
    )


def _long(rng: random.Random) -> tuple[str, str]:
    paragraphs = []
    for _ in range(rng.randint(6, 20)):
        clauses = rng.sample(SENTENCES, rng.randint(1, 2))
        clauses += [_own_words(rng, 6, 20) for _ in range(rng.randint(2, 4))]
        paragraphs.append("。".join(clauses))
    return "关于" + rng.choice(SENTENCES)[:10] + "的详细建议", "。".join(paragraphs) + "。"


def _generated(count: int, seed: int) -> list[tuple[str, str]]:
    ideas = generate_ideas(count=count, communities=["嘉兴一居委"], year=2026, seed=seed)
    return [(i.title, i.content) for i in ideas]


def campaign(total: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(seed)
    shares = {"generated": 0.3, "resident": 0.3, "near-duplicates": 0.2, "short": 0.15}
    families: dict[str, list[tuple[str, str]]] = {
        "generated": _generated(int(total * shares["generated"]), seed)
    }
    makers: dict[str, Family] = {"resident": _resident, "near-duplicates": _near, "short": _short}
    for name, make in makers.items():
        families[name] = [make(rng) for _ in range(int(total * shares[name]))]
    families["long"] = [_long(rng) for _ in range(total - sum(len(v) for v in families.values()))]
    return families


TARGET = 20  # the scan's p99 over the index's p99 that every family must reach


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40, help="lookups per family")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    families = campaign(args.ideas, args.seed)
    index = SimilarIndex()
    started = time.perf_counter()
    stored = families
    keys = [idea_key(t, c) for ideas in families.values() for t, c in ideas]
    index.add_many(enumerate(keys[:-1000]))  # the campaign as the portal loads it
    built = time.perf_counter() - started
    started = time.perf_counter()
    for item in range(len(keys) - 1000, len(keys)):  # then one submission at a time
        index.add(item, keys[item])
    added = (time.perf_counter() - started) / 1000
    print(
        f"{len(index):,} ideas: {len(keys) - 1000:,} loaded in {built:.1f} s, "
        f"then {added * 1e6:.0f} µs per idea added one by one",
        flush=True,
    )
    rng = random.Random(args.seed + 1)
    makers: dict[str, Family] = {
        "generated": lambda r: _generated(1, r.randrange(10**9))[0],
        "resident": _resident,
        "near-duplicates": _near,
        "short": _short,
        "long": _long,
    }
    header = (
        f"{'family':<16} {'index p50':>10} {'p99':>8} {'scan p50':>10} {'p99':>8} {'p99 ratio':>9}"
    )
    print(header + "  same answers  matches  target")
    all_fast: list[float] = []
    all_slow: list[float] = []
    missed: list[str] = []
    for name, ideas in stored.items():
        queries = []
        for n in range(args.queries):
            if n % 2 == 0:
                queries.append(idea_key(*retyped(rng, *rng.choice(ideas))))
            else:
                queries.append(idea_key(*makers[name](rng)))
        fast: list[float] = []
        slow: list[float] = []
        same = True
        found = 0
        for key in queries:
            started = time.perf_counter()
            got = index.lookup(key)
            fast.append(time.perf_counter() - started)
            started = time.perf_counter()
            want = index.scan(key)
            slow.append(time.perf_counter() - started)
            same = same and got == want
            found += len(got)
        all_fast += fast
        all_slow += slow
        ms = 1000.0
        fast_p99 = percentile(fast, 0.99) * ms
        family_ratio = percentile(slow, 0.99) / percentile(fast, 0.99)
        met = family_ratio >= TARGET and same
        if not met:
            missed.append(name)
        print(
            f"{name:<16} {statistics.median(fast) * ms:>8.2f}ms {fast_p99:>6.2f}ms"
            f" {statistics.median(slow) * ms:>8.1f}ms {percentile(slow, 0.99) * ms:>6.1f}ms"
            f" {family_ratio:>8.0f}x  {same!s:<12}  {found:>7}  {'met' if met else 'MISSED'}",
            flush=True,
        )
    ratio = percentile(all_slow, 0.99) / percentile(all_fast, 0.99)
    print(
        f"{'all':<16} {statistics.median(all_fast) * 1000:>8.2f}ms "
        f"{percentile(all_fast, 0.99) * 1000:>6.2f}ms {statistics.median(all_slow) * 1000:>8.1f}ms "
        f"{percentile(all_slow, 0.99) * 1000:>6.1f}ms {ratio:>8.0f}x"
    )
    if missed:
        print(f"target ≥ {TARGET}x with the same answers: MISSED by {', '.join(missed)}")
    else:
        print(f"target ≥ {TARGET}x with the same answers: met by every family")


if __name__ == "__main__":
    main()
