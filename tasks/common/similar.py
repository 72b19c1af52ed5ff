"""Which stored texts a new one would join under the near-duplicate rule, as it is typed (R7.3).

The rule is docs/spec.md's (`tasks.common.dedup`): Jaccard similarity of the sets of character
2-grams of the normalised keys ≥ t (0.6). `SimilarIndex` answers "which stored keys are
near-duplicates of this one" exactly — the same answer as comparing with every stored key —
from an inverted index that is updated one key at a time:

- size filter: Jaccard ≥ t needs t·|q| ≤ |y| ≤ |q|/t;
- prefix filter: Jaccard ≥ t needs |q ∩ y| ≥ ⌈t·|q|⌉ (since |y| ≥ t·|q|), so y shares at least one
  2-gram with ANY |q| − ⌈t·|q|⌉ + 1 of q's 2-grams; the index probes the ones with the shortest
  posting lists (the rarest), and every y it does not reach cannot be a match;
- the candidates left are confirmed with the exact Jaccard in integers (no rounding).

A 2-gram is the integer (first code point << 21) | second code point; a key's 2-grams are
kept as a compact array. Keys shorter than two characters have no 2-grams and match nothing.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import NamedTuple

from tasks.common.dedup import DEFAULT_THRESHOLD, as_fraction

_NO_POSTINGS: list[int] = []


def gram_codes(key: str) -> frozenset[int]:
    """The key's character 2-grams as integers (empty for keys shorter than 2)."""
    codes = [ord(ch) for ch in key]
    return frozenset((a << 21) | b for a, b in zip(codes, codes[1:], strict=False))


class Match(NamedTuple):
    """A stored item that is a near-duplicate of the query: its id and the exact Jaccard."""

    item: int
    shared: int  # |q ∩ y|
    union: int  # |q ∪ y|

    @property
    def similarity(self) -> Fraction:
        return Fraction(self.shared, self.union)


def _ranked(matches: list[Match]) -> list[Match]:
    """Most similar first; equal similarity: the earlier item (lower id) first."""
    return sorted(matches, key=lambda m: (-m.similarity, m.item))


def _is_match(shared: int, size_q: int, size_y: int, t: Fraction) -> bool:
    return shared * t.denominator >= t.numerator * (size_q + size_y - shared)


class SimilarIndex:
    """An inverted index of 2-gram sets, updated per item, answering the exact rule.

    Thread-safe: one lock around every change and lookup (each takes well under a millisecond
    at a campaign's size).
    """

    def __init__(self, *, threshold: float | Fraction | str = DEFAULT_THRESHOLD) -> None:
        self.threshold = as_fraction(threshold)
        self._slot: dict[int, int] = {}  # item -> slot
        self._items: list[int] = []  # slot -> item (-1: removed)
        self._grams: list[array[int]] = []  # slot -> its 2-grams
        self._postings: dict[int, list[int]] = {}  # 2-gram -> slots, ascending
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, item: int) -> bool:
        return item in self._slot

    def add(self, item: int, key: str) -> None:
        """Index ITEM under KEY (a normalised key); adding an item twice keeps the first."""
        grams = gram_codes(key)
        with self._lock:
            if item in self._slot:
                return
            slot = len(self._items)
            self._slot[item] = slot
            self._items.append(item)
            self._grams.append(array("q", sorted(grams)))
            postings = self._postings
            for gram in grams:
                found = postings.get(gram)
                if found is None:
                    postings[gram] = [slot]
                else:
                    found.append(slot)

    def remove(self, item: int) -> None:
        """Forget ITEM (a rejected idea); unknown items are ignored."""
        with self._lock:
            slot = self._slot.pop(item, None)
            if slot is None:
                return
            for gram in self._grams[slot]:
                postings = self._postings[gram]
                postings.remove(slot)
                if not postings:
                    del self._postings[gram]
            self._items[slot] = -1
            self._grams[slot] = array("q")

    def lookup(self, key: str, *, exclude: int | None = None) -> list[Match]:
        """Every indexed item whose key is a near-duplicate of KEY, most similar first."""
        query = gram_codes(key)
        size = len(query)
        if not size:
            return []
        t = self.threshold
        num, den = t.numerator, t.denominator
        need = -(-num * size // den)  # ⌈t·|q|⌉: the least overlap of any match
        smallest, largest = need, size * den // num
        with self._lock:
            postings = self._postings
            lists = sorted((postings.get(gram, _NO_POSTINGS) for gram in query), key=len)
            candidates: set[int] = set()
            for found in lists[: size - need + 1]:
                candidates.update(found)
            grams, items = self._grams, self._items
            matches = []
            for slot in candidates:
                other = grams[slot]
                if not smallest <= len(other) <= largest:
                    continue
                shared = len(query.intersection(other))
                if shared >= need and _is_match(shared, size, len(other), t):
                    item = items[slot]
                    if item != exclude:
                        matches.append(Match(item, shared, size + len(other) - shared))
        return _ranked(matches)


def exact_matches(
    stored: Mapping[int, str] | Iterable[tuple[int, str]],
    key: str,
    *,
    threshold: float | Fraction | str = DEFAULT_THRESHOLD,
) -> list[Match]:
    """The reference: KEY compared with every stored (item, key), one by one."""
    t = as_fraction(threshold)
    query = gram_codes(key)
    pairs = stored.items() if isinstance(stored, Mapping) else stored
    matches = []
    for item, other_key in pairs:
        other = gram_codes(other_key)
        if not query or not other:
            continue
        shared = len(query & other)
        if _is_match(shared, len(query), len(other), t):
            matches.append(Match(item, shared, len(query) + len(other) - shared))
    return _ranked(matches)
