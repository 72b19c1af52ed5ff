"""Which stored texts a new one would join under the near-duplicate rule, as it is typed (R7.3).

The rule is docs/spec.md's (`tasks.common.dedup`): Jaccard similarity of the sets of character
2-grams of the normalised keys ≥ t (0.6). `SimilarIndex` answers "which stored keys are
near-duplicates of this one" exactly — the same answer as comparing with every stored key —
from an inverted index that is updated one key at a time:

- size filter: Jaccard ≥ t needs t·|q| ≤ |y| ≤ |q|/t;
- prefix filter (AllPairs, Bayardo et al. 2007): with every set's 2-grams in one global order,
  Jaccard ≥ t needs |x ∩ y| ≥ ⌈t·|x|⌉ and ≥ ⌈t·|y|⌉, so the first 2-gram x and y share lies
  within the first |x| − ⌈t·|x|⌉ + 1 of x and the first |y| − ⌈t·|y|⌉ + 1 of y. The index
  holds only each item's prefix and a lookup probes only the query's, so an item it does not
  reach cannot be a match. The order is rarest first, fixed on the counts of the moment and
  fixed again (every prefix re-indexed) each time the index has doubled; a 2-gram unseen then
  sorts first. Any fixed order keeps the answer exact; rare-first keeps posting lists short;
- positional filter (PPJoin, Xiao et al. 2008): the index keeps where in its set each prefix
  2-gram sits; when the last prefix 2-gram a candidate shares with the query is at place i of
  the query and j of the candidate, and a of them were met up to there, then
  |x ∩ y| ≤ a + min(|x| − 1 − i, |y| − 1 − j), which must still reach the overlap Jaccard ≥ t
  needs, ⌈t·(|x| + |y|)/(1 + t)⌉. Template-heavy texts share many frequent 2-grams, and this
  drops most of the candidates they reach;
- the candidates left are confirmed with the exact Jaccard in integers (no rounding), counting
  only the 2-grams after their last shared prefix 2-gram (the ones before were all met).

A 2-gram is the integer (first code point << 21) | second code point; a key's 2-grams are
kept as a compact array. Keys shorter than two characters have no 2-grams and match nothing.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from tasks.common.dedup import DEFAULT_THRESHOLD, as_fraction

REMOVED = -(2**63)  # the item of a removed slot


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


class _Frozen:
    """The bulk of the index as numpy arrays (rebuilt as it grows; items added since are the
    tail, checked one by one). Slots are ordered by set size; 2-grams are ranks, rarest first."""

    def __init__(self, slots: list[int], grams: list[array[int]], t: Fraction) -> None:
        sizes = np.fromiter((len(grams[s]) for s in slots), dtype=np.int64, count=len(slots))
        by_size = np.argsort(sizes, kind="stable")
        self.slots = np.asarray(slots, dtype=np.int64)[by_size]  # frozen slot -> index slot
        self.sizes = sizes[by_size]
        self.alive = np.ones(len(slots), dtype=bool)
        flat = (
            np.concatenate([np.frombuffer(grams[s], dtype=np.int64) for s in self.slots])
            if len(slots)
            else np.zeros(0, dtype=np.int64)
        )
        self.codes, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        rank_of = np.empty(len(self.codes), dtype=np.int64)
        rank_of[np.lexsort((self.codes, counts))] = np.arange(len(self.codes))
        self.rank_of = rank_of  # code's place in `codes` -> rank
        owner = np.repeat(np.arange(len(slots), dtype=np.int64), self.sizes)
        width = max(len(self.codes), 1)
        ranks = np.sort(owner * width + rank_of[inverse]) - owner * width
        self.offsets = np.zeros(len(slots) + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=self.offsets[1:])
        self.tokens = ranks.astype(np.int32)
        position = np.arange(len(ranks), dtype=np.int64) - self.offsets[owner]
        keep = self.sizes - (-t.numerator * self.sizes // t.denominator) + 1
        prefix = position < keep[owner]
        order = np.lexsort((owner[prefix], ranks[prefix]))
        self.post_slots = owner[prefix][order]
        self.post_positions = position[prefix][order].astype(np.int32)  # place in its set
        self.post_offsets = np.zeros(width + 1, dtype=np.int64)
        np.cumsum(np.bincount(ranks[prefix], minlength=width), out=self.post_offsets[1:])
        self.mask = np.zeros(width, dtype=bool)

    def lookup(
        self, query: frozenset[int], prefix_len: int, t: Fraction
    ) -> list[tuple[int, int, int]]:
        """(index slot, shared, size) of every live frozen set that is a match of QUERY."""
        size = len(query)
        codes = np.fromiter(query, dtype=np.int64, count=size)
        place = np.minimum(np.searchsorted(self.codes, codes), max(len(self.codes) - 1, 0))
        known = self.codes[place] == codes if len(self.codes) else np.zeros(size, dtype=bool)
        ranks = np.sort(self.rank_of[place[known]])
        unseen = size - len(ranks)  # they sort first and match nothing
        probe = prefix_len - unseen
        if probe <= 0 or not len(ranks):
            return []
        num, den = t.numerator, t.denominator
        # size filter: the frozen sets are ordered by size, so the sizes that fit are a range
        low = int(np.searchsorted(self.sizes, -(-num * size // den), side="left"))
        high = int(np.searchsorted(self.sizes, size * den // num, side="right"))
        starts = self.post_offsets[ranks[:probe]]
        lengths = self.post_offsets[ranks[:probe] + 1] - starts
        total = int(lengths.sum())
        if low >= high or not total:
            return []
        at = np.arange(total, dtype=np.int64) + np.repeat(
            starts - (np.cumsum(lengths) - lengths), lengths
        )
        owners = self.post_slots[at]
        fits = (owners >= low) & (owners < high)
        at, owners = at[fits], owners[fits] - low
        if not len(owners):
            return []
        # positional filter (PPJoin): entries come in query order, so an owner's last entry is
        # the last 2-gram of its prefix shared with the query's; every shared 2-gram before it
        # was met, and at most min(size - 1 - mine, |y| - 1 - theirs) are shared after it
        met = np.bincount(owners, minlength=high - low)
        last = np.full(high - low, -1, dtype=np.int64)
        np.maximum.at(last, owners, np.arange(len(owners), dtype=np.int64))
        candidates = np.flatnonzero(met)
        met, last = met[candidates], last[candidates]
        mine = np.repeat(np.arange(unseen, unseen + probe, dtype=np.int64), lengths)[fits][last]
        theirs = self.post_positions[at[last]].astype(np.int64)
        candidates += low
        sizes = self.sizes[candidates]
        rest = np.minimum(size - 1 - mine, sizes - 1 - theirs)
        hopeful = ((met + rest) * (num + den) >= num * (size + sizes)) & self.alive[candidates]
        candidates, sizes, met = candidates[hopeful], sizes[hopeful], met[hopeful]
        theirs = theirs[hopeful]
        if not len(candidates):
            return []
        # verification of what follows the last shared prefix 2-gram in each candidate
        firsts = self.offsets[candidates] + theirs + 1
        tails = sizes - theirs - 1
        bounds = np.cumsum(tails) - tails
        positions = np.arange(int(tails.sum()), dtype=np.int64) + np.repeat(firsts - bounds, tails)
        self.mask[ranks] = True
        try:
            hits = np.zeros(len(positions) + 1, dtype=np.int64)
            np.cumsum(self.mask[self.tokens[positions]], out=hits[1:])
        finally:
            self.mask[ranks] = False
        shared = met + hits[bounds + tails] - hits[bounds]
        good = shared * den >= num * (size + sizes - shared)
        return list(
            zip(
                self.slots[candidates[good]].tolist(),
                shared[good].tolist(),
                sizes[good].tolist(),
                strict=True,
            )
        )


class SimilarIndex:
    """An inverted index of 2-gram prefixes, updated per item, answering the exact rule.

    Thread-safe: one lock around every change and lookup.
    """

    def __init__(
        self, *, threshold: float | Fraction | str = DEFAULT_THRESHOLD, tail_max: int = 512
    ) -> None:
        self.threshold = as_fraction(threshold)
        self._tail_max = tail_max  # items checked one by one before the arrays are rebuilt
        self._slot: dict[int, int] = {}  # item -> slot
        self._items: list[int] = []  # slot -> item (REMOVED once removed)
        self._grams: list[array[int]] = []  # slot -> its 2-grams
        self._frozen: _Frozen | None = None
        self._frozen_place: dict[int, int] = {}  # slot -> its place in the frozen arrays
        self._tail: dict[int, frozenset[int]] = {}  # slot -> its 2-grams, not frozen yet
        self._tail_postings: dict[int, list[int]] = {}  # 2-gram -> tail slots with it in prefix
        self._rank: dict[int, int] = {}  # 2-gram -> its rank in the frozen arrays
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, item: int) -> bool:
        return item in self._slot

    def _freeze(self) -> None:
        live = [s for s, item in enumerate(self._items) if item != REMOVED and self._grams[s]]
        self._frozen = _Frozen(live, self._grams, self.threshold)
        self._frozen_place = {slot: place for place, slot in enumerate(self._frozen.slots.tolist())}
        frozen = self._frozen
        self._rank = dict(zip(frozen.codes.tolist(), frozen.rank_of.tolist(), strict=True))
        self._tail = {}
        self._tail_postings = {}

    def _prefix(self, grams: frozenset[int], keep: int) -> list[int]:
        """The first KEEP 2-grams in the index's order: those the frozen arrays do not know
        (by code), then the others rarest first."""
        rank = self._rank
        unseen = -1
        return sorted(grams, key=lambda gram: (rank.get(gram, unseen), gram))[:keep]

    def _keep(self, size: int) -> int:
        t = self.threshold
        return size - (-t.numerator * size // t.denominator) + 1

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
            if grams:
                self._tail[slot] = grams
                postings = self._tail_postings
                for gram in self._prefix(grams, self._keep(len(grams))):
                    postings.setdefault(gram, []).append(slot)
            frozen = len(self._frozen_place)
            if len(self._tail) > max(self._tail_max, frozen // 2):
                self._freeze()

    def add_many(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Index many (item, key) at once (loading a campaign): one rebuild at the end."""
        with self._lock:
            for item, key in pairs:
                if item in self._slot:
                    continue
                grams = gram_codes(key)
                slot = len(self._items)
                self._slot[item] = slot
                self._items.append(item)
                self._grams.append(array("q", sorted(grams)))
            self._freeze()

    def remove(self, item: int) -> None:
        """Forget ITEM (a rejected idea); unknown items are ignored."""
        with self._lock:
            slot = self._slot.pop(item, None)
            if slot is None:
                return
            grams = self._tail.pop(slot, None)
            if grams is not None:
                for gram in self._prefix(grams, self._keep(len(grams))):
                    self._tail_postings[gram].remove(slot)
            place = self._frozen_place.pop(slot, None)
            if place is not None and self._frozen is not None:
                self._frozen.alive[place] = False
            self._items[slot] = REMOVED
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
        found: list[tuple[int, int, int]] = []
        with self._lock:
            if self._frozen is not None:
                found = self._frozen.lookup(query, size - need + 1, t)
            largest = size * den // num  # |y| ≤ |q|/t
            near: set[int] = set()
            postings = self._tail_postings
            for gram in self._prefix(query, size - need + 1):
                near.update(postings.get(gram, ()))
            for slot in near:
                other = self._tail[slot]
                if need <= len(other) <= largest:
                    shared = len(query & other)
                    if _is_match(shared, size, len(other), t):
                        found.append((slot, shared, len(other)))
            items = self._items
            matches = [
                Match(items[slot], shared, size + other - shared)
                for slot, shared, other in found
                if items[slot] != exclude
            ]
        return _ranked(matches)

    def scan(self, key: str, *, exclude: int | None = None) -> list[Match]:
        """The baseline: KEY compared with every indexed item, one by one (no index)."""
        query = gram_codes(key)
        size = len(query)
        if not size:
            return []
        t = self.threshold
        matches = []
        with self._lock:
            for slot, other in enumerate(self._grams):
                item = self._items[slot]
                if item == REMOVED or item == exclude or not other:
                    continue
                shared = len(query.intersection(other))
                if _is_match(shared, size, len(other), t):
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
