"""Scoring on the portal: the rubric, reading a typed score, the next judge, progress (no database).

- The rubric is the profile's criteria with their Chinese labels, weights and range (0–100, the
  range `import scores` takes): a typed value is refused in Chinese naming the criterion.
- A conflict a judge declares on one item gives the item to the next judge who shares no
  conflict key with it, does not hold it already, never declared a conflict on it and is below
  the load limit: the lightest load first, then the seeded draw of `tasks/common/review.py`.
- Progress counts, per judge and per category, items assigned, scored, still open after the
  deadline (late) and conflicts declared; an item with fewer than k valid scores is flagged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict

from tasks.common.review import seeded_draw

SCORE_LOW = 0.0
SCORE_HIGH = 100.0
REASON_MAX = 500


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    weight: float
    low: float = SCORE_LOW
    high: float = SCORE_HIGH


class Rubric(BaseModel):
    model_config = ConfigDict(frozen=True)

    criteria: tuple[Criterion, ...]

    @classmethod
    def of(cls, weights: Mapping[str, float], labels: Mapping[str, str]) -> Rubric:
        return cls(
            criteria=tuple(
                Criterion(code=code, label=labels.get(code, code), weight=weight)
                for code, weight in weights.items()
            )
        )

    def total(self, values: Mapping[str, float]) -> float:
        """The weighted total, as the awards aggregation computes it (Σ weight·criterion)."""
        return sum(c.weight * values[c.code] for c in self.criteria)


def read_scores(
    rubric: Rubric, form: Mapping[str, str], *, complete: bool
) -> tuple[dict[str, float], dict[str, str]]:
    """The values typed for each criterion (form field = criterion code) and the problems by
    criterion, in Chinese naming it. A draft (`complete=False`) may leave criteria empty."""
    values: dict[str, float] = {}
    problems: dict[str, str] = {}
    for c in rubric.criteria:
        text = form.get(c.code, "").strip().replace("，", ",")
        if not text:
            if complete:
                problems[c.code] = f"「{c.label}」未填写：请填{_range(c)}的分数"
            continue
        try:
            number = Decimal(text)
        except InvalidOperation:
            problems[c.code] = f"「{c.label}」须填数字（{_range(c)}）"
            continue
        if not number.is_finite() or not c.low <= number <= c.high:
            problems[c.code] = f"「{c.label}」须在{_range(c)}之间"
            continue
        if number.as_tuple().exponent < -1:  # type: ignore[operator]  # finite: an int
            problems[c.code] = f"「{c.label}」最多保留一位小数"
            continue
        values[c.code] = float(number)
    return values, problems


def _range(c: Criterion) -> str:
    return f"{c.low:g}至{c.high:g}分"


def read_reason(text: str) -> tuple[str, str]:
    """A declared conflict's reason (cleaned by the caller) and the problem, if any."""
    reason = text.strip()
    if not reason:
        return "", "请说明需要回避的原因"
    if len(reason) > REASON_MAX:
        return "", f"原因不能超过{REASON_MAX}个字"
    return reason, ""


class Candidate(BaseModel):
    """A judge who might take a reassigned item: their conflict keys and current load."""

    model_config = ConfigDict(frozen=True)

    code: str
    conflicts: frozenset[str]
    load: int


def next_judge(
    *,
    ref: str,
    item_conflicts: frozenset[str],
    candidates: Sequence[Candidate],
    excluded: Iterable[str],
    load_limit: int,
    seed: int,
) -> str | None:
    """The judge who takes REF: conflict-free, not EXCLUDED (holds it, declared on it), load
    below LOAD_LIMIT; the lightest, then the lowest seeded draw. None when nobody may."""
    barred = set(excluded)
    able = [
        c
        for c in candidates
        if c.code not in barred and c.load < load_limit and not c.conflicts & item_conflicts
    ]
    if not able:
        return None
    best = min(able, key=lambda c: (c.load, seeded_draw(seed=seed, salt=ref, ref=c.code), c.code))
    return best.code


def load_limit(*, pairs: int, judges: int, configured: int | None) -> int:
    """The most items one judge may hold: the profile's limit, else the balanced plan's
    largest possible load (⌈pairs / judges⌉) plus one, so a reassignment can always land on a
    judge below the largest balanced load."""
    if configured is not None:
        return configured
    return math.ceil(pairs / judges) + 1 if judges else 0


class ProgressRow(BaseModel):
    """Assigned, scored, open and late items and declared conflicts of one judge or category."""

    model_config = ConfigDict(frozen=True)

    key: str  # the judge's code, or the category
    name: str  # the judge's name, or the category's Chinese name
    assigned: int
    scored: int
    open: int
    late: int
    conflicts: int


def progress_row(
    *, key: str, name: str, assigned: int, scored: int, conflicts: int, past_deadline: bool
) -> ProgressRow:
    remaining = assigned - scored
    return ProgressRow(
        key=key,
        name=name,
        assigned=assigned,
        scored=scored,
        open=remaining,
        late=remaining if past_deadline else 0,
        conflicts=conflicts,
    )


def short_items(valid: Mapping[str, int], *, per_item: int) -> list[str]:
    """Items with fewer than k valid scores (the spec's rule: flagged, not ranked)."""
    return sorted(ref for ref, n in valid.items() if n < per_item)
