"""The near-duplicate rule (docs/spec.md): normalisation, exact Jaccard, components, fast=exact."""

from __future__ import annotations

import unicodedata
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.common.dedup import (
    bigrams,
    cluster_keys,
    cluster_keys_exact,
    idea_key,
    normalise,
    pair_recall,
    similar,
)
from tasks.samples.ideas import generate_ideas


def test_normalise_drops_punctuation_symbols_spaces_and_folds_width() -> None:
    assert normalise("建议：开设 ＡＢＣ 课堂！\n（每周）★") == "建议开设abc课堂每周"
    assert idea_key("标题。", "内容 一") == "标题内容一"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_normalise_keeps_exactly_the_characters_of_kept_categories(text: str) -> None:
    folded = unicodedata.normalize("NFKC", text).lower()
    assert normalise(text) == "".join(
        ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC"
    )


def test_threshold_is_exact_at_the_boundary() -> None:
    a = bigrams("abcdef")  # 5 bigrams
    b = bigrams("abcdefgh")  # 7 bigrams, 5 shared: J = 5/7 ≥ 0.6
    assert similar(a, b, Fraction(3, 5))
    c = frozenset({"ab", "bc", "cd"})
    d = frozenset({"ab", "bc", "cd", "de", "ef"})  # J = 3/5 exactly
    assert similar(c, d, Fraction(3, 5))
    assert not similar(c, d | {"fg"}, Fraction(3, 5))  # 3/6
    assert not similar(frozenset(), frozenset(), Fraction(3, 5))


def test_components_are_transitive() -> None:
    keys = [
        "一二三四五六七八九十",
        "一二三四五六七八九十甲",
        "二三四五六七八九十甲乙",
        "完全不同的文本内容",
    ]
    clusters = cluster_keys(keys).clusters
    assert clusters == cluster_keys_exact(keys).clusters
    assert [0, 1, 2] in clusters and [3] in clusters


def test_fast_clustering_equals_exact_on_planted_near_duplicates() -> None:
    ideas = generate_ideas(
        count=2000, communities=["嘉兴一居委"], year=2026, seed=7, duplicate_share=0.25
    )
    keys = [idea_key(i.title, i.content) for i in ideas]
    fast = cluster_keys(keys)
    exact = cluster_keys_exact(keys)
    recall, precision = pair_recall(fast.clusters, exact.clusters)
    print(f"recall {recall:.4f} precision {precision:.4f}, {fast.stats}")  # noqa: T201
    assert fast.clusters == exact.clusters
    assert (recall, precision) == (1.0, 1.0)
    # planted copies really are found, and the work is far below all pairs
    assert sum(len(c) > 1 for c in fast.clusters) > 100
    assert fast.stats.verified < exact.stats.verified / 100


_alphabet = st.sampled_from(list("甲乙丙丁戊己庚辛，。 ab"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(_alphabet, min_size=0, max_size=12), min_size=1, max_size=25),
    st.sampled_from(["0.6", "0.5", "0.8", "1"]),
)
def test_fast_equals_exact_on_any_texts(texts: list[str], threshold: str) -> None:
    keys = [normalise(t) for t in texts]
    assert cluster_keys(keys, threshold=threshold).clusters == (
        cluster_keys_exact(keys, threshold=threshold).clusters
    )
