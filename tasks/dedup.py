"""Near-duplicate clustering of short Chinese texts (R7.3, SPEC.md "Near-duplicate rule").

normalise(x) = NFKC, lower-case, then drop every character whose Unicode category starts with
P, S, Z or C. key = normalise(title) + normalise(content). Two ideas are near-duplicates when the
Jaccard similarity of the sets of character 2-grams of their keys is ≥ the threshold (0.6);
clusters are the connected components of that relation.

Candidates come from prefix filtering with the positional filter (the AllPairs / PPJoin
set-similarity join, Xiao et al. 2008): with the 2-grams of every key sorted rarest first, two
sets with Jaccard ≥ t must share one of the first ``n - ceil(t·n) + 1`` 2-grams of each
(t·max(|x|, |y|) ≤ |x ∩ y|), and a pair whose first shared 2-gram comes too late cannot reach
the overlap ``ceil(t/(1+t)·(|x|+|y|))`` any more. Unlike MinHash-LSH this misses no pair (recall
1.0 by construction), and template text, whose 2-grams are frequent and sort last, produces few
candidates. Every candidate is confirmed with the exact Jaccard
(rational arithmetic, no rounding), and a pair whose two ideas are already in one component
(union-find) is not verified at all.

Two empty 2-gram sets (keys shorter than two characters) are never near-duplicates: screening
rejects such ideas as empty anyway.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

DEFAULT_THRESHOLD = Fraction(3, 5)
_DROPPED = frozenset("PSZC")


def normalise(text: str) -> str:
    """NFKC, lower-case, without punctuation, symbols, separators and control characters."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in _DROPPED)


def idea_key(title: str, content: str) -> str:
    """The text two ideas are compared on: normalise(title) + normalise(content)."""
    return normalise(title) + normalise(content)


def bigrams(key: str) -> frozenset[str]:
    """The set of character 2-grams of a key (empty for keys shorter than 2)."""
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def as_fraction(threshold: float | Fraction | str) -> Fraction:
    """The threshold as an exact fraction (0.6 → 3/5), so no pair flips on float rounding."""
    value = Fraction(str(threshold)) if isinstance(threshold, float) else Fraction(threshold)
    if not 0 < value <= 1:
        raise ValueError(f"similarity threshold must be in (0, 1], got {threshold}")
    return value


def similar(a: frozenset[str], b: frozenset[str], threshold: Fraction) -> bool:
    """Jaccard(a, b) ≥ threshold, exactly; two empty sets are not similar."""
    if not a or not b:
        return False
    inter = len(a & b)
    return inter * threshold.denominator >= threshold.numerator * (len(a) + len(b) - inter)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two 2-gram sets (0 when either is empty), for reports."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller index is the root, so components are deterministic
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


class ClusterStats(NamedTuple):
    """How much work a clustering did (for benchmarks and logs)."""

    items: int
    candidates: int
    verified: int
    confirmed: int
    components: int


class Clustering(NamedTuple):
    """Clusters as lists of item indices (sorted), the list sorted by first index."""

    clusters: list[list[int]]
    stats: ClusterStats


def _components(uf: _UnionFind, size: int) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for index in range(size):
        groups.setdefault(uf.find(index), []).append(index)
    return sorted(groups.values(), key=lambda members: members[0])


def cluster_keys(
    keys: Sequence[str], *, threshold: float | Fraction | str = DEFAULT_THRESHOLD
) -> Clustering:
    """Connected components of the near-duplicate relation over KEYS (prefix filter + exact)."""
    t = as_fraction(threshold)
    num, den = t.numerator, t.denominator
    sets = [bigrams(k) for k in keys]
    size = len(sets)
    frequency: Counter[str] = Counter()
    for s in sets:
        frequency.update(s)
    # rarest first; ties by the 2-gram itself so the order is deterministic
    rank = {g: i for i, g in enumerate(sorted(frequency, key=lambda g: (frequency[g], g)))}
    ranked = [sorted(rank[g] for g in s) for s in sets]
    order = sorted(range(size), key=lambda i: (len(ranked[i]), i))
    # token -> (sizes, entries): postings in processing order, hence sorted by size
    index: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}
    uf = _UnionFind(size)
    candidates = verified = confirmed = 0
    share = num + den
    for x in order:
        tokens = ranked[x]
        n = len(tokens)
        if n == 0:
            continue
        # y was indexed earlier, so |y| ≤ n; Jaccard ≥ t needs |y| ≥ t·n
        min_size = math.ceil(t * n)
        found: set[int] = set()
        for i, token in enumerate(tokens[: n - min_size + 1]):
            posting = index.get(token)
            if posting is None:
                continue
            # Positional filter (PPJoin): if this is the first 2-gram x and y share, at most
            # 1 + min(n-i-1, |y|-j-1) can overlap, and Jaccard ≥ t needs
            # ceil(t/(1+t)·(n+|y|)); so only |y| ≤ (n-i)·(1+t)/t - n can still qualify.
            remaining = n - i
            max_size = remaining * share // num - n
            if max_size < min_size:
                break
            sizes, entries = posting
            for k in range(bisect_left(sizes, min_size), bisect_right(sizes, max_size)):
                y, j = entries[k]
                ny = sizes[k]
                if ny - j >= -(-num * (n + ny) // share):
                    found.add(y)
        # index only the shorter prefix that any later (not smaller) probe needs
        for j, token in enumerate(tokens[: n - math.ceil(2 * t / (1 + t) * n) + 1]):
            posting = index.get(token)
            if posting is None:
                index[token] = ([n], [(x, j)])
            else:
                posting[0].append(n)
                posting[1].append((x, j))
        root_x = uf.find(x)
        for y in sorted(found):
            candidates += 1
            if uf.find(y) == root_x:
                continue
            verified += 1
            a, b = sets[x], sets[y]
            inter = len(a & b)
            if inter * den >= num * (len(a) + len(b) - inter):  # = similar(a, b, t)
                confirmed += 1
                uf.union(x, y)
                root_x = uf.find(x)
    clusters = _components(uf, size)
    return Clustering(clusters, ClusterStats(size, candidates, verified, confirmed, len(clusters)))


def cluster_keys_exact(
    keys: Sequence[str], *, threshold: float | Fraction | str = DEFAULT_THRESHOLD
) -> Clustering:
    """The baseline: every pair compared (O(n²)); the reference the fast version must equal."""
    t = as_fraction(threshold)
    sets = [bigrams(k) for k in keys]
    size = len(sets)
    uf = _UnionFind(size)
    num, den = t.numerator, t.denominator
    pairs = confirmed = 0
    for i in range(size):
        a = sets[i]
        na = len(a)
        if not na:
            pairs += size - i - 1
            continue
        for j in range(i + 1, size):
            b = sets[j]
            inter = len(a & b)
            # = similar(a, b, t), inlined: this loop is the measured baseline
            if b and inter * den >= num * (na + len(b) - inter):
                confirmed += 1
                uf.union(i, j)
        pairs += size - i - 1
    clusters = _components(uf, size)
    return Clustering(clusters, ClusterStats(size, pairs, pairs, confirmed, len(clusters)))


def pair_recall(found: list[list[int]], truth: list[list[int]]) -> tuple[float, float]:
    """(recall, precision) of the same-cluster pairs of FOUND against TRUTH (1.0 when none)."""

    def pairs(clusters: list[list[int]]) -> set[tuple[int, int]]:
        out: set[tuple[int, int]] = set()
        for members in clusters:
            for i, a in enumerate(members):
                out.update((a, b) for b in members[i + 1 :])
        return out

    got, want = pairs(found), pairs(truth)
    both = len(got & want)
    recall = both / len(want) if want else 1.0
    precision = both / len(got) if got else 1.0
    return recall, precision
