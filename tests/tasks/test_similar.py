"""The similar-ideas index answers exactly what the near-duplicate rule answers (R7.3)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.common.dedup import idea_key, normalise
from tasks.common.similar import SimilarIndex, exact_matches
from tasks.samples.ideas import generate_ideas

_alphabet = st.sampled_from(list("甲乙丙丁戊己庚辛，。 ab"))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text(_alphabet, min_size=0, max_size=14), min_size=1, max_size=30),
    st.lists(st.text(_alphabet, min_size=0, max_size=14), min_size=1, max_size=5),
    st.sets(st.integers(0, 29), max_size=6),
    st.sampled_from(["0.6", "0.5", "0.8", "1"]),
    st.sampled_from([0, 3, 64]),
)
def test_the_index_equals_the_exact_rule_on_any_texts(
    texts: list[str], queries: list[str], removed: set[int], threshold: str, first_order: int
) -> None:
    index = SimilarIndex(threshold=threshold, tail_max=first_order)
    stored = {item: normalise(text) for item, text in enumerate(texts)}
    half = len(stored) // 2
    index.add_many(list(stored.items())[:half])  # a campaign loaded at once, then one by one
    for item, key in list(stored.items())[half:]:
        index.add(item, key)
    for item in removed:
        index.remove(item)
        stored.pop(item, None)
    for item, text in enumerate(texts[:4]):  # added again after removals, under a new order
        index.add(100 + item, normalise(text))
        stored[100 + item] = normalise(text)
    for query in [*queries, *texts[:3]]:
        key = normalise(query)
        assert index.lookup(key) == exact_matches(stored, key, threshold=threshold)


def test_planted_near_duplicates_are_found_with_recall_and_precision_one() -> None:
    ideas = generate_ideas(count=2000, communities=["嘉兴一居委"], year=2026, seed=7)
    keys = [idea_key(i.title, i.content) for i in ideas]
    index = SimilarIndex()
    for item, key in enumerate(keys):
        index.add(item, key)
    rng = random.Random(7)
    planted = [i for i, idea in enumerate(ideas) if idea.planted_of is not None]
    assert len(planted) > 200
    checked = rng.sample(range(len(keys)), 60) + planted[:60]
    found_pairs = truth_pairs = both = 0
    for item in checked:
        got = {m.item for m in index.lookup(keys[item], exclude=item)}
        want = {m.item for m in exact_matches(enumerate(keys), keys[item])} - {item}
        found_pairs += len(got)
        truth_pairs += len(want)
        both += len(got & want)
    assert truth_pairs > 60  # the planted copies really are near-duplicates
    assert both / truth_pairs == 1.0 and both / found_pairs == 1.0


def test_short_and_empty_keys_and_repeated_adds() -> None:
    index = SimilarIndex()
    index.add(1, "")
    index.add(2, "a")
    index.add(3, "甲乙丙丁")
    index.add(3, "完全不同")  # the first key stays
    assert index.lookup("") == [] and index.lookup("a") == []
    (match,) = index.lookup("甲乙丙丁")
    assert (match.item, match.similarity) == (3, 1)
    index.remove(3)
    index.remove(99)
    assert index.lookup("甲乙丙丁") == [] and len(index) == 2
