"""Streets for selected teachers (R10.2): most preferred placements, then a canonical choice.

A selection's best total is its merits plus the bonus times the largest number of teachers that
can sit on a street they prefer (a bipartite matching with the quotas as capacities); the other
teachers fill the places left, which are interchangeable. Among the street assignments with that
many preferred placements, the one chosen is canonical, so the same selection always gets the same
streets: teachers in staff_id order each take the first street of their own list that keeps the
number of preferred placements maximal; those left over take the first free place in quota order.

Teachers and streets are positions here: `prefs[t]` lists the street positions teacher t prefers,
in the teacher's order; `quotas[s]` is street s's number of places.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence


class _Matching:
    """Teachers on preferred streets, within quotas; grown along augmenting paths."""

    def __init__(self, prefs: Sequence[Sequence[int]], quotas: Sequence[int]) -> None:
        self.prefs = prefs
        self.quotas = quotas
        self.on: list[list[int]] = [[] for _ in quotas]  # teachers on each street
        self.street: dict[int, int] = {}  # teacher -> street
        self.moves: list[tuple[int, int | None]] = []  # (teacher, street before), to undo

    def full(self, s: int) -> bool:
        return len(self.on[s]) >= self.quotas[s]

    def put(self, t: int, s: int | None) -> None:
        """Move teacher t to street s (None: off every preferred street)."""
        old = self.street.pop(t, None)
        self.moves.append((t, old))
        if old is not None:
            self.on[old].remove(t)
        if s is not None:
            self.on[s].append(t)
            self.street[t] = s

    def undo(self, mark: int) -> None:
        """Take back the moves made since `len(self.moves)` was `mark`."""
        while len(self.moves) > mark:
            t, old = self.moves.pop()
            self.put(t, old)
            self.moves.pop()

    def augment(self, sources: Sequence[int], *, fixed: set[int]) -> bool:
        """Place one more of the unplaced `sources` on a preferred street, moving teachers not
        fixed along an alternating path to a street with a free place; False if none exists."""
        came: dict[int, tuple[int, int | None]] = {}  # street -> (teacher moving in, from)
        queue: deque[int] = deque()
        for w in sources:
            for a in self.prefs[w]:
                if a not in came:
                    came[a] = (w, None)
                    queue.append(a)
        while queue:
            a = queue.popleft()
            if not self.full(a):
                while True:
                    mover, source = came[a]
                    self.put(mover, a)
                    if source is None:
                        return True
                    a = source
            for u in self.on[a]:
                if u in fixed:
                    continue
                for b in self.prefs[u]:
                    if b not in came:
                        came[b] = (u, a)
                        queue.append(b)
        return False

    def settle(self, t: int, teachers: Sequence[int], fixed: set[int]) -> None:
        """Give t the first street of its list on which it keeps the number of teachers on
        preferred streets maximal (the others not yet fixed may move or give way), then fix t."""
        size = len(self.street)
        for s in self.prefs[t]:
            if self.street.get(t) == s:
                break
            mark = len(self.moves)
            self.put(t, s)
            if len(self.on[s]) > self.quotas[s]:
                # t takes a place on s: one teacher not fixed gives way, and may find another
                given = next((u for u in reversed(self.on[s]) if u != t and u not in fixed), None)
                if given is not None:
                    self.put(given, None)
            if len(self.on[s]) <= self.quotas[s] and len(self.street) < size:
                unplaced = [u for u in teachers if u not in self.street and u not in fixed]
                self.augment(unplaced, fixed=fixed | {t})
            if len(self.on[s]) <= self.quotas[s] and len(self.street) >= size:
                break
            self.undo(mark)
        fixed.add(t)


def preferred_count(
    selection: Sequence[int], *, prefs: Sequence[Sequence[int]], quotas: Sequence[int]
) -> int:
    """The most selected teachers that can sit on a street they prefer, within the quotas."""
    matching = _Matching(prefs, quotas)
    for t in selection:
        matching.augment([t], fixed=set())
    return len(matching.street)


def assign_streets(
    selection: Sequence[int], *, prefs: Sequence[Sequence[int]], quotas: Sequence[int]
) -> dict[int, int]:
    """The canonical street of each selected teacher (`selection` in staff_id order).

    `sum(quotas)` must equal `len(selection)`.
    """
    matching = _Matching(prefs, quotas)
    for t in selection:
        matching.augment([t], fixed=set())
    fixed: set[int] = set()
    for t in selection:
        matching.settle(t, selection, fixed)
    streets = dict(matching.street)
    left = [quota - len(on) for quota, on in zip(quotas, matching.on, strict=True)]
    s = 0
    for t in selection:
        if t in streets:
            continue
        while left[s] == 0:
            s += 1
        streets[t] = s
        left[s] -= 1
    return streets
