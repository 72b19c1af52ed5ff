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
  reach cannot be a match. Any fixed order keeps the answer exact; rare-first keeps posting
  lists short. Each part of the index (below) has its own order, rarest first in its items; a
  2-gram it does not know sorts first;
- positional filter (PPJoin, Xiao et al. 2008): the index keeps where in its set each prefix
  2-gram sits; when the last prefix 2-gram a candidate shares with the query is at place i of
  the query and j of the candidate, and a of them were met up to there, then
  |x ∩ y| ≤ a + min(|x| − 1 − i, |y| − 1 − j), which must still reach the overlap Jaccard ≥ t
  needs, ⌈t·(|x| + |y|)/(1 + t)⌉. Template-heavy texts share many frequent 2-grams, and this
  drops most of the candidates they reach;
- the candidates left are confirmed with the exact Jaccard in integers (no rounding), counting
  only the 2-grams after their last shared prefix 2-gram (the ones before were all met).

The items are held in parts, numpy arrays built once and never changed, and a tail of the
newest items (at most `tail_max`), checked one by one under the largest part's order. When the
tail is full it becomes a part, and the last two parts are merged while the last is more than
half the one before: every item is rebuilt O(log n) times, a lookup probes O(log n) parts, and
adding one item never rebuilds more than the parts it merges. A removed item stays in its part,
skipped, until that part is rebuilt.

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


def _prefix_len(size: int, t: Fraction) -> int:
    """|x| − ⌈t·|x|⌉ + 1: how many of a set's first 2-grams hold the first one shared by a match."""
    return size + (-t.numerator * size // t.denominator) + 1


def _gram_array(key: str) -> np.ndarray:
    """The codes of `gram_codes(key)`, sorted, as an int64 array."""
    if len(key) < 2:
        return np.zeros(0, dtype=np.int64)
    points = np.frombuffer(key.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    wide = points.astype(np.int64)
    return np.unique((wide[:-1] << 21) | wide[1:])


class _Part:
    """Items frozen into numpy arrays, with their own order of 2-grams (ranks, rarest first in
    these items). Slots are ordered by set size."""

    def __init__(self, slots: list[int], grams: list[array[int]], t: Fraction) -> None:
        sizes = np.fromiter((len(grams[s]) for s in slots), dtype=np.int64, count=len(slots))
        by_size = np.argsort(sizes, kind="stable")
        self.slots = np.asarray(slots, dtype=np.int64)[by_size]  # place -> index slot
        self.sizes = sizes[by_size]
        flat = np.concatenate([np.frombuffer(grams[s], dtype=np.int64) for s in self.slots])
        self.codes, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        rank_of = np.empty(len(self.codes), dtype=np.int64)
        rank_of[np.lexsort((self.codes, counts))] = np.arange(len(self.codes))
        self.rank_of = rank_of  # code's place in `codes` -> rank
        owner = np.repeat(np.arange(len(slots), dtype=np.int64), self.sizes)
        width = len(self.codes)
        ranks = np.sort(owner * width + rank_of[inverse]) - owner * width
        self.offsets = np.zeros(len(slots) + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=self.offsets[1:])
        self.tokens = ranks.astype(np.int32)
        position = np.arange(len(ranks), dtype=np.int64) - self.offsets[owner]
        keep = self.sizes + (-t.numerator * self.sizes // t.denominator) + 1  # _prefix_len
        prefix = position < keep[owner]
        owner, ranks, position = owner[prefix], ranks[prefix], position[prefix]
        order = np.argsort(ranks * len(slots) + owner)
        self.post_slots = owner[order]
        self.post_positions = position[order].astype(np.int32)  # place in its set
        self.post_offsets = np.zeros(width + 1, dtype=np.int64)
        np.cumsum(np.bincount(ranks, minlength=width), out=self.post_offsets[1:])
        self.mask = np.zeros(width, dtype=bool)

    def __len__(self) -> int:
        return len(self.slots)

    def _ranks(self, codes: np.ndarray) -> np.ndarray:
        """The rank of each code (sorted) in this part, −1 for a code it does not know."""
        place = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
        return np.where(self.codes[place] == codes, self.rank_of[place], -1)

    def in_order(self, codes: np.ndarray) -> np.ndarray:
        """CODES (sorted) in this part's order: those it does not know first, then rarest first."""
        return codes[np.argsort(self._ranks(codes), kind="stable")]

    def lookup(self, query: np.ndarray, prefix_len: int, t: Fraction) -> list[tuple[int, int, int]]:
        """(index slot, shared, size) of every set of this part that is a match of QUERY."""
        size = len(query)
        ranks = np.sort(self._ranks(query))
        unseen = int(np.searchsorted(ranks, 0))  # they sort first and match nothing
        ranks = ranks[unseen:]
        probe = prefix_len - unseen
        if probe <= 0 or not len(ranks):
            return []
        num, den = t.numerator, t.denominator
        # size filter: the sets are ordered by size, so the sizes that fit are a range
        low = int(np.searchsorted(self.sizes, -(-num * size // den), side="left"))
        high = int(np.searchsorted(self.sizes, size * den // num, side="right"))
        starts = self.post_offsets[ranks[:probe]]
        lengths = self.post_offsets[ranks[:probe] + 1] - starts
        total = int(lengths.sum())
        if low >= high or not total:
            return []
        at = np.arange(total, dtype=np.int64)
        at += np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
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
        hopeful = (met + rest) * (num + den) >= num * (size + sizes)
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
        self._tail_max = tail_max  # items checked one by one before they become a part
        self._slot: dict[int, int] = {}  # item -> slot
        self._items: list[int] = []  # slot -> item (REMOVED once removed)
        self._grams: list[array[int]] = []  # slot -> its 2-grams, sorted
        self._parts: list[_Part] = []  # largest first
        self._tail: dict[int, frozenset[int]] = {}  # slot -> its 2-grams, not in a part yet
        self._tail_postings: dict[int, list[int]] = {}  # 2-gram -> tail slots with it in prefix
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, item: int) -> bool:
        return item in self._slot

    def _part(self, slots: Iterable[int]) -> list[_Part]:
        """A part of the live items among SLOTS (none if there are none)."""
        live = [s for s in slots if self._items[s] != REMOVED and self._grams[s]]
        return [_Part(live, self._grams, self.threshold)] if live else []

    def _freeze_tail(self) -> None:
        """The tail becomes a part; then the last two parts are merged while the last is more
        than half the one before, so that every item is rebuilt O(log n) times."""
        parts = self._parts
        parts += self._part(self._tail)
        self._tail = {}
        self._tail_postings = {}
        while len(parts) > 1 and 2 * len(parts[-1]) > len(parts[-2]):
            last, before = parts.pop(), parts.pop()
            parts += self._part([*before.slots.tolist(), *last.slots.tolist()])

    def _prefix(self, codes: np.ndarray) -> list[int]:
        """The first 2-grams of CODES (sorted) that hold any match's first shared one, in the
        tail's order (the largest part's, fixed while the tail is not empty)."""
        ordered = self._parts[0].in_order(codes) if self._parts else codes
        prefix: list[int] = ordered[: _prefix_len(len(codes), self.threshold)].tolist()
        return prefix

    def _store(self, item: int, codes: np.ndarray) -> int:
        slot = len(self._items)
        self._slot[item] = slot
        self._items.append(item)
        grams = array("q")
        grams.frombytes(codes.tobytes())
        self._grams.append(grams)
        return slot

    def add(self, item: int, key: str) -> None:
        """Index ITEM under KEY (a normalised key); adding an item twice keeps the first."""
        codes = _gram_array(key)
        with self._lock:
            if item in self._slot:
                return
            slot = self._store(item, codes)
            if not len(codes):
                return
            self._tail[slot] = frozenset(codes.tolist())
            postings = self._tail_postings
            for gram in self._prefix(codes):
                postings.setdefault(gram, []).append(slot)
            if len(self._tail) > self._tail_max:
                self._freeze_tail()

    def add_many(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Index many (item, key) at once (loading a campaign): one rebuild at the end."""
        with self._lock:
            for item, key in pairs:
                if item not in self._slot:
                    self._store(item, _gram_array(key))
            self._parts = self._part(range(len(self._items)))
            self._tail = {}
            self._tail_postings = {}

    def remove(self, item: int) -> None:
        """Forget ITEM (a rejected idea); unknown items are ignored. Its slot stays in its part,
        skipped by lookups, until that part is rebuilt."""
        with self._lock:
            slot = self._slot.pop(item, None)
            if slot is None:
                return
            if self._tail.pop(slot, None) is not None:
                for gram in self._prefix(np.frombuffer(self._grams[slot], dtype=np.int64)):
                    self._tail_postings[gram].remove(slot)
            self._items[slot] = REMOVED
            self._grams[slot] = array("q")

    def lookup(self, key: str, *, exclude: int | None = None) -> list[Match]:
        """Every indexed item whose key is a near-duplicate of KEY, most similar first."""
        codes = _gram_array(key)
        size = len(codes)
        if not size:
            return []
        t = self.threshold
        probe = _prefix_len(size, t)
        found: list[tuple[int, int, int]] = []
        with self._lock:
            for part in self._parts:
                found += part.lookup(codes, probe, t)
            if self._tail:
                query = frozenset(codes.tolist())
                largest = size * t.denominator // t.numerator  # |y| ≤ |q|/t
                least = -(-t.numerator * size // t.denominator)  # |y| ≥ t·|q|
                near: set[int] = set()
                postings = self._tail_postings
                for gram in self._prefix(codes):
                    near.update(postings.get(gram, ()))
                for slot in near:
                    other = self._tail[slot]
                    if least <= len(other) <= largest:
                        shared = len(query & other)
                        if _is_match(shared, size, len(other), t):
                            found.append((slot, shared, len(other)))
            items = self._items
            matches = [
                Match(items[slot], shared, size + other - shared)
                for slot, shared, other in found
                if items[slot] != exclude and items[slot] != REMOVED
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
