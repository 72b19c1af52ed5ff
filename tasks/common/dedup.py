"""Near-duplicate clustering of short Chinese texts (R7.3, docs/spec.md "Near-duplicate rule").

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
candidates. The join runs vectorised in numpy on integer 2-gram ranks (one sorted
index, contiguous posting ranges per probe, expanded in bounded chunks). Candidates then pass a
hashed-group overlap bound (an upper bound on |x ∩ y|, so no true pair is dropped), and the
survivors are confirmed with the exact Jaccard (integer arithmetic, no rounding); a pair whose
two ideas are already in one component (union-find) is not verified at all.

Two empty 2-gram sets (keys shorter than two characters) are never near-duplicates: screening
rejects such ideas as empty anyway.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

DEFAULT_THRESHOLD = Fraction(3, 5)
_DROPPED = frozenset("PSZC")


class _Dropping(dict[int, int | None]):
    """For `str.translate`: a code point of a dropped category -> None (deleted), any other
    -> itself; each code point's category is looked up once, when first seen."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code))[0] in _DROPPED else code
        self[code] = kept
        return kept


_DROPPING = _Dropping()


def normalise(text: str) -> str:
    """NFKC, lower-case, without punctuation, symbols, separators and control characters."""
    return unicodedata.normalize("NFKC", text).lower().translate(_DROPPING)


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


_Ints = NDArray[np.int64]
# how many posting entries one vectorised step of the candidate join expands (bounds memory)
_CHUNK = 4_000_000
# hash groups of 2-grams for the overlap bound that screens candidates before the exact check
_BUCKETS = 128


def _distinct(values: _Ints) -> _Ints:
    """The distinct values, ascending (sort + adjacent compare: faster than np.unique here)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _ranked_tokens(keys: Sequence[str]) -> tuple[_Ints, _Ints]:
    """Every key's distinct 2-grams as ranks (rarest first, ties by the 2-gram), in CSR form.

    Returns (offsets, tokens): the ranks of key i are tokens[offsets[i]:offsets[i + 1]],
    ascending. A 2-gram is encoded as the integer (first code point << 21) | second code
    point, so sorting the codes sorts the 2-grams as strings.
    """
    size = len(keys)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=size)
    encoded = "".join(keys).encode("utf-32-le", "surrogatepass")
    chars = np.frombuffer(encoded, dtype=np.uint32).astype(np.int64)
    owner = np.repeat(np.arange(size, dtype=np.int64), lengths)
    inside = owner[:-1] == owner[1:]
    codes = (chars[:-1][inside] << 21) | chars[1:][inside]
    by_code = np.argsort(codes, kind="stable")
    fresh = np.ones(len(codes), dtype=bool)
    fresh[1:] = codes[by_code[1:]] != codes[by_code[:-1]]
    gram = np.empty(len(codes), dtype=np.int64)
    gram[by_code] = np.cumsum(fresh) - 1  # the 2-gram's place among the distinct codes
    vocabulary = int(fresh.sum())
    width = max(vocabulary, 1)
    item, gram = np.divmod(_distinct(owner[:-1][inside] * width + gram), width)
    frequency = np.bincount(gram, minlength=vocabulary)
    rank = np.empty(vocabulary, dtype=np.int64)
    rank[np.lexsort((np.arange(vocabulary), frequency))] = np.arange(vocabulary)
    tokens = np.sort(item * width + rank[gram]) - item * width
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(item, minlength=size), out=offsets[1:])
    return offsets, tokens


def _candidates(offsets: _Ints, tokens: _Ints, t: Fraction) -> tuple[_Ints, _Ints]:
    """The prefix- and positional-filter candidate pairs (x, y), y before x in size order.

    Pairs come sorted by x's place in the processing order (size, index), then by y.
    """
    num, den = t.numerator, t.denominator
    share = num + den
    size = len(offsets) - 1
    sizes = np.diff(offsets)
    order = np.lexsort((np.arange(size), sizes))
    place = np.empty(size, dtype=np.int64)
    place[order] = np.arange(size)
    sorted_sizes = sizes[order]
    owner = np.repeat(np.arange(size, dtype=np.int64), sizes)
    position = np.arange(len(tokens), dtype=np.int64) - offsets[owner]
    own_size = sizes[owner]
    # Jaccard ≥ t with |y| ≤ |x| needs |y| ≥ t·|x|
    min_size = -(-num * own_size // den)
    # the index holds the prefix any later, not smaller probe needs: |y| - ceil(2t/(1+t)·|y|) + 1
    indexed = position < own_size + (num * 2 * own_size // -share) + 1
    index_key = tokens[indexed] * size + place[owner[indexed]]
    by_key = np.argsort(index_key, kind="stable")
    index_key = index_key[by_key]
    index_item = owner[indexed][by_key]
    index_size = own_size[indexed][by_key]
    index_position = position[indexed][by_key]
    # probe with the prefix |x| - ceil(t·|x|) + 1; the positional filter (PPJoin) bounds |y| by
    # (|x| - i)·(1 + t)/t - |x| when i is the first place x and y share a 2-gram
    max_size = (own_size - position) * share // num - own_size
    probing = (position < own_size - min_size + 1) & (max_size >= min_size)
    probe_item = owner[probing]
    probe_size = own_size[probing]
    probe_token = tokens[probing] * size
    low_place = np.searchsorted(sorted_sizes, min_size[probing], side="left")
    high_place = np.minimum(
        place[probe_item], np.searchsorted(sorted_sizes, max_size[probing], side="right")
    )
    low = np.searchsorted(index_key, probe_token + low_place, side="left")
    high = np.searchsorted(index_key, probe_token + high_place, side="left")
    counts = np.maximum(high - low, 0)
    ends = np.cumsum(counts)
    found: list[_Ints] = []
    start = 0
    while start < len(counts):
        stop = int(np.searchsorted(ends, ends[start] - counts[start] + _CHUNK, side="right"))
        stop = max(stop, start + 1)
        part = counts[start:stop]
        total = int(part.sum())
        if total:
            first = np.repeat(low[start:stop] - (np.cumsum(part) - part), part)
            entry = np.arange(total, dtype=np.int64) + first
            y_size = index_size[entry]
            x_size = np.repeat(probe_size[start:stop], part)
            # at most |y| - j 2-grams of y can still be shared; Jaccard needs t/(1+t)·(|x|+|y|)
            keep = y_size - index_position[entry] >= -(-num * (x_size + y_size) // share)
            x_place = np.repeat(place[probe_item[start:stop]], part)[keep]
            found.append(_distinct(x_place * size + index_item[entry][keep]))
        start = stop
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    pairs = _distinct(np.concatenate(found))
    x_place, y = np.divmod(pairs, size)
    return order[x_place], y


def _may_reach(offsets: _Ints, tokens: _Ints, xs: _Ints, ys: _Ints, t: Fraction) -> _Ints:
    """Which candidate pairs can still reach Jaccard ≥ t (a bound, never a false no).

    The 2-grams are split into _BUCKETS groups by a hash of their rank; two sets cannot share
    more 2-grams of a group than the smaller of their counts in it, so the sum of those minima
    bounds |x ∩ y| from above, and a pair whose bound is below the overlap Jaccard ≥ t needs is
    dropped before the exact check.
    """
    num, share = t.numerator, t.numerator + t.denominator
    size = len(offsets) - 1
    sizes = np.diff(offsets)
    owner = np.repeat(np.arange(size, dtype=np.int64), sizes)
    bucket = (tokens * 2654435761) % (1 << 32) % _BUCKETS
    counts = np.bincount(owner * _BUCKETS + bucket, minlength=size * _BUCKETS)
    counts = counts.reshape(size, _BUCKETS).astype(np.int32)
    keep = np.zeros(len(xs), dtype=bool)
    step = max(_CHUNK // _BUCKETS, 1)
    for start in range(0, len(xs), step):
        x, y = xs[start : start + step], ys[start : start + step]
        bound = np.minimum(counts[x], counts[y]).sum(axis=1, dtype=np.int64)
        keep[start : start + step] = bound >= -(-num * (sizes[x] + sizes[y]) // share)
    return keep


def cluster_keys(
    keys: Sequence[str], *, threshold: float | Fraction | str = DEFAULT_THRESHOLD
) -> Clustering:
    """Connected components of the near-duplicate relation over KEYS (prefix filter + exact)."""
    t = as_fraction(threshold)
    num, den = t.numerator, t.denominator
    size = len(keys)
    offsets, tokens = _ranked_tokens(keys)
    xs, ys = _candidates(offsets, tokens, t)
    candidates = len(xs)
    keep = _may_reach(offsets, tokens, xs, ys, t)
    xs, ys = xs[keep], ys[keep]
    bounds = offsets.tolist()
    sets: list[frozenset[int] | None] = [None] * size

    def grams(item: int) -> frozenset[int]:
        got = sets[item]
        if got is None:
            got = sets[item] = frozenset(tokens[bounds[item] : bounds[item + 1]].tolist())
        return got

    uf = _UnionFind(size)
    find = uf.find
    verified = confirmed = 0
    current = root_x = -1
    a: frozenset[int] = frozenset()
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if x != current:
            current, root_x, a = x, find(x), grams(x)
        if find(y) == root_x:
            continue
        verified += 1
        b = grams(y)
        inter = len(a & b)
        if inter * den >= num * (len(a) + len(b) - inter):  # = similar(a, b, t)
            confirmed += 1
            uf.union(x, y)
            root_x = find(x)
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
