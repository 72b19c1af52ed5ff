"""Learning awards (R11.2): eligibility, judge assignment, calibrated aggregation, ranking, quotas.

Plain typed functions; `flows/learning_awards.py` orchestrates them. The aggregation is the spec's
"Award aggregation rule (R11.2)": a judge's total = Σ weight·criterion; a score by a judge of the
nomination's own street or unit is recused (dropped, recorded); per-judge z over that judge's valid
totals (std 0 ⇒ 0) on the eligible nominations; final = mean z; rank per category by final, raw
mean, then a seeded draw; fewer than k valid scores ⇒ flagged, not ranked. Ideas and awards share
the reviewer machinery of `tasks/common/review.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from models.awards import CATEGORIES, AwardScoreBase, NominationBase
from models.refusal import Refusal
from tasks.common.review import (
    Calibrated,
    Recusal,
    Reviewer,
    ReviewItem,
    ReviewPlan,
    Shortage,
    assign_reviewers,
    calibrate_totals,
    describe_key,
    rank_with_tiebreak,
)

RULE = "R11.2"
# Bump when the rule changes what it decides (the audit re-derives under the recorded version).
RULE_VERSION = "R11.2-1"


class JudgeInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    street: str | None = None
    unit: str | None = None

    @property
    def conflicts(self) -> frozenset[str]:
        keys = set()
        if self.street:
            keys.add(f"street:{self.street}")
        if self.unit:
            keys.add(f"unit:{self.unit}")
        return frozenset(keys)


class AwardsRules(BaseModel):
    """One year's award parameters, resolved from the profile and the run."""

    model_config = ConfigDict(frozen=True)

    year: int
    seed: int
    quotas: dict[str, int]
    min_judges: int = 3
    criteria: dict[str, float]
    judges: tuple[JudgeInfo, ...] = ()
    streets: tuple[str, ...] = ()
    repeat_cooldown_years: int = 3
    requirements: dict[str, dict[str, float]] = Field(default_factory=dict)
    metric_labels: dict[str, str] = Field(default_factory=dict)
    publicity_days: int = 5
    objection_publicity_days: int = 3
    method: Literal["zscore", "raw"] = "zscore"
    strike: dict[str, str] = Field(default_factory=dict)  # ref -> committee's reason
    add: dict[str, str] = Field(default_factory=dict)  # ref -> committee's reason


def nomination_keys(n: NominationBase) -> frozenset[str]:
    """Conflict keys of a nomination: its street, its community, its unit and nominating unit."""
    keys = {f"street:{n.street}", f"unit:{n.name}"}
    if n.community:
        keys.add(f"community:{n.community}")
    if n.nominated_by:
        keys.add(f"unit:{n.nominated_by}")
    return frozenset(keys)


def weighted_total(criteria: dict[str, float], weights: dict[str, float]) -> float:
    """A judge's total for a nomination: Σ weight·criterion score (R11.2)."""
    return sum(weights[c] * criteria[c] for c in weights)


def eligibility_reasons(n: NominationBase, *, rules: AwardsRules) -> list[str]:
    """Why a nomination is not eligible (empty when eligible); one reason per failed condition."""
    reasons: list[str] = []
    if n.category not in CATEGORIES:
        reasons.append(f"类别“{n.category}”不是评选类别（{RULE}）")
    elif rules.quotas.get(n.category, 0) <= 0:
        reasons.append(f"{CATEGORIES[n.category]}本年度无名额（{RULE}）")
    if rules.streets and n.street not in rules.streets:
        reasons.append(f"所在街道“{n.street}”不属于本区（{RULE}）")
    for metric, minimum in sorted(rules.requirements.get(n.category, {}).items()):
        value = n.metrics.get(metric, 0.0)
        if value < minimum:
            label = rules.metric_labels.get(metric, metric)
            reasons.append(
                f"{label}为{value:g}，{CATEGORIES.get(n.category, n.category)}要求不少于"
                f"{minimum:g}（{RULE}）"
            )
    last = n.last_award_year
    if last is not None and n.year - last <= rules.repeat_cooldown_years and not n.new_merit:
        reasons.append(
            f"{last}年已获评，{rules.repeat_cooldown_years}年内无新增事迹不再重复评选（{RULE}）"
        )
    return reasons


class Ineligible(BaseModel):
    ref: str
    category: str
    reasons: list[str]


def screen(
    nominations: Sequence[NominationBase], *, rules: AwardsRules
) -> tuple[list[NominationBase], list[Ineligible]]:
    eligible, ineligible = [], []
    for n in sorted(nominations, key=lambda x: x.ref):
        reasons = eligibility_reasons(n, rules=rules)
        if reasons:
            ineligible.append(Ineligible(ref=n.ref, category=n.category, reasons=reasons))
        else:
            eligible.append(n)
    return eligible, ineligible


def plan_judges(eligible: Sequence[NominationBase], *, rules: AwardsRules) -> ReviewPlan:
    """≥ k judges per nomination, balanced loads, never a judge of its own street or unit."""
    return assign_reviewers(
        items=[ReviewItem(ref=n.ref, conflicts=nomination_keys(n)) for n in eligible],
        reviewers=[Reviewer(name=j.name, conflicts=j.conflicts) for j in rules.judges],
        per_item=rules.min_judges,
        seed=rules.seed,
        rule=RULE,
    )


class Aggregation(BaseModel):
    finals: dict[str, Calibrated]
    recused: list[Recusal]
    valid_rows: int


def aggregate(
    eligible: Sequence[NominationBase], scores: Sequence[AwardScoreBase], *, rules: AwardsRules
) -> Aggregation:
    """the spec's aggregation rule over the eligible nominations' scores (recused rows dropped)."""
    keys = {n.ref: nomination_keys(n) for n in eligible}
    judge_keys = {j.name: j.conflicts for j in rules.judges}
    wheres: dict[frozenset[str], str] = {}
    refs: list[str] = []
    judges: list[str] = []
    rows: list[list[float]] = []
    recused: list[Recusal] = []
    weights = list(rules.criteria.items())
    for s in scores:
        nkeys = keys.get(s.ref)
        if nkeys is None:
            continue
        shared = judge_keys.get(s.judge, frozenset()) & nkeys
        if shared:
            where = wheres.get(shared)
            if where is None:
                where = wheres[shared] = "、".join(describe_key(k) for k in sorted(shared))
            recused.append(
                Recusal(
                    ref=s.ref,
                    reviewer=s.judge,
                    reason=f"评委{s.judge}与{s.ref}同属{where}，其评分按{RULE}回避，不计入",
                )
            )
            continue
        refs.append(s.ref)
        judges.append(s.judge)
        criteria = s.criteria
        rows.append([criteria[c] for c, _ in weights])
    # weighted_total column by column: 0 + w₁·c₁ + w₂·c₂ + … in the same order, so every total is
    # bit-for-bit the Python sum of `weighted_total`
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(weights))
    totals = np.zeros(len(rows))
    for k, (_, w) in enumerate(weights):
        totals = totals + w * matrix[:, k]
    finals = calibrate_totals(
        refs=refs,
        reviewers=judges,
        totals=totals,
        method=rules.method,
        min_scores=rules.min_judges,
    )
    for n in eligible:  # a nomination nobody validly scored is flagged too
        if n.ref not in finals:
            finals[n.ref] = Calibrated(final=0.0, raw_mean=0.0, n_valid=0, flagged=True)
    return Aggregation(finals=finals, recused=recused, valid_rows=len(refs))


class Entry(BaseModel):
    ref: str
    category: str
    name: str
    street: str
    community: str
    rank: int | None
    final: float
    raw_mean: float
    n_valid: int
    draw: int | None
    status: Literal["listed", "reserve"]
    reason: str


class Flagged(BaseModel):
    ref: str
    category: str
    n_valid: int
    reason: str


class AwardsProposal(BaseModel):
    year: int
    seed: int
    inputs_digest: str
    entries: list[Entry]
    flagged: list[Flagged]
    ineligible: list[Ineligible]
    recused: list[Recusal]
    shortages: list[Shortage]
    plan_pairs: int
    shortfalls: dict[str, str]  # category -> why fewer than the quota are listed

    def listed(self, category: str | None = None) -> list[Entry]:
        return [
            e
            for e in self.entries
            if e.status == "listed" and (category is None or e.category == category)
        ]


class NothingToList(Refusal):
    """A proposal that lists nobody: there is no 公示 to send, so nothing is stored or sent."""


def empty_list_reason(proposal: AwardsProposal) -> str | None:
    """Why this proposal cannot go to 公示 (in Chinese, for the clerk), or None when it can."""
    if proposal.listed():
        return None
    year = proposal.year
    nominations = len(
        {e.ref for e in proposal.entries}
        | {f.ref for f in proposal.flagged}
        | {i.ref for i in proposal.ineligible}
    )
    if nominations == 0:
        why = f"{year}年度没有任何提名"
    else:
        why = (
            f"{year}年度共{nominations}项提名，均不符合评选条件或有效评分不足，"
            "没有可以列入拟表彰名单的对象"
        )
    return f"{why}，无法形成拟表彰名单：未公示，未向任何单位发送消息。"


def change_refusal(proposal: AwardsProposal, *, refs: Sequence[str], reason: str) -> str | None:
    """Why the committee's strike or add cannot be carried out (in Chinese, shown with the
    next sign-off), or None: every ref must be on the proposal and a reason written."""
    known = {e.ref for e in proposal.entries} | {f.ref for f in proposal.flagged}
    unknown = sorted(set(refs) - known)
    if unknown:
        return f"上次审定未执行：提名编号 {'、'.join(unknown)} 不在名单中"
    if not reason.strip():
        return "上次审定未执行：删除或增列须写明理由"
    return None


def _scores_bytes(scores: Sequence[AwardScoreBase]) -> bytes:
    """The score rows as one compact canonical byte string, sorted by (ref, judge): per row its
    year, length-prefixed ref and judge, its sorted criterion names (length-prefixed), then all
    criterion values as float64 in that order. Formatting 600,000 floats as JSON text took longer
    than aggregating them; their IEEE bytes identify them just as well."""
    names: dict[tuple[str, ...], tuple[list[str], str]] = {}
    heads: list[str] = []
    values: list[float] = []
    for s in sorted(scores, key=lambda s: (str(s.ref), str(s.judge))):
        crit = s.criteria
        layout = names.get(tuple(crit))
        if layout is None:
            keys = sorted(crit)
            layout = names[tuple(crit)] = (keys, "".join(f"{len(k)}:{k}" for k in keys))
        keys, label = layout
        heads.append(f"{s.year}|{len(s.ref)}:{s.ref}|{len(s.judge)}:{s.judge}|{len(keys)}:{label}")
        values.extend([crit[k] for k in keys])
    return "\n".join(heads).encode("utf-8") + b"\0" + np.asarray(values, dtype="<f8").tobytes()


def inputs_digest(
    nominations: Sequence[NominationBase], scores: Sequence[AwardScoreBase], rules: AwardsRules
) -> str:
    """sha256 of the canonical JSON of the rules and the nominations (sorted by ref), then the
    canonical bytes of the score rows (`_scores_bytes`)."""
    payload = {
        "rules": rules.model_dump(mode="json"),
        "nominations": sorted(
            (n.model_dump(mode="json") for n in nominations), key=lambda d: str(d["ref"])
        ),
    }
    digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode())
    digest.update(b"\0scores\0")
    digest.update(_scores_bytes(scores))
    return digest.hexdigest()[:16]


def propose(
    nominations: Sequence[NominationBase],
    scores: Sequence[AwardScoreBase],
    *,
    rules: AwardsRules,
) -> AwardsProposal:
    """The year's list: eligibility, judge plan, aggregation, ranking under the exact quotas."""
    for ref in rules.strike.keys() & rules.add.keys():
        raise ValueError(f"{ref} cannot be both struck and added")
    eligible, ineligible = screen(nominations, rules=rules)
    known = {n.ref for n in eligible}
    for ref in sorted({*rules.strike, *rules.add} - known):
        raise ValueError(f"{ref} is not an eligible nomination of {rules.year}")
    plan = plan_judges(eligible, rules=rules)
    agg = aggregate(eligible, scores, rules=rules)
    entries: list[Entry] = []
    flagged: list[Flagged] = []
    shortfalls: dict[str, str] = {}
    by_category: dict[str, list[NominationBase]] = defaultdict(list)
    for n in eligible:
        by_category[n.category].append(n)
    for category in sorted(by_category, key=list(CATEGORIES).index):
        members = {n.ref: n for n in by_category[category]}
        finals = {ref: agg.finals[ref] for ref in members}
        for ref in sorted(members):
            c = finals[ref]
            if c.flagged:
                flagged.append(
                    Flagged(
                        ref=ref,
                        category=category,
                        n_valid=c.n_valid,
                        reason=f"有效评分{c.n_valid}份，少于{rules.min_judges}份，"
                        f"不参与排名，请补评（{RULE}）",
                    )
                )
        ranked = rank_with_tiebreak(
            finals={r: c for r, c in finals.items() if r not in rules.strike},
            quota=len(finals),
            seed=rules.seed,
            salt=f"{rules.year}:{category}",
        )
        quota = rules.quotas.get(category, 0)
        for item in ranked:
            n = members[item.ref]
            listed = item.rank <= quota
            draw = f"，并列时按种子{rules.seed}抽签（签号{item.draw}）" if item.draw else ""
            reason = (
                f"{CATEGORIES[category]}第{item.rank}名，校准得分{item.final:.4f}，"
                f"原始均分{item.raw_mean:.2f}{draw}；名额{quota}（{RULE}）"
            )
            entries.append(
                Entry(
                    ref=n.ref,
                    category=category,
                    name=n.name,
                    street=n.street,
                    community=n.community,
                    rank=item.rank,
                    final=item.final,
                    raw_mean=item.raw_mean,
                    n_valid=finals[n.ref].n_valid,
                    draw=item.draw,
                    status="listed" if listed or n.ref in rules.add else "reserve",
                    reason=reason
                    + (f"；评审委员会增列：{rules.add[n.ref]}" if n.ref in rules.add else ""),
                )
            )
        for ref in sorted(set(rules.add) & members.keys()):
            if all(e.ref != ref for e in entries):  # a flagged nomination the committee adds
                c, n = finals[ref], members[ref]
                entries.append(
                    Entry(
                        ref=ref,
                        category=category,
                        name=n.name,
                        street=n.street,
                        community=n.community,
                        rank=None,
                        final=c.final,
                        raw_mean=c.raw_mean,
                        n_valid=c.n_valid,
                        draw=None,
                        status="listed",
                        reason=f"评审委员会增列：{rules.add[ref]}（{RULE}）",
                    )
                )
        listed_count = sum(1 for e in entries if e.category == category and e.rank is not None)
        if min(listed_count, quota) < quota:
            shortfalls[category] = (
                f"{CATEGORIES[category]}名额{quota}，可排名的提名仅{listed_count}个"
            )
    for category, quota in rules.quotas.items():
        if quota > 0 and category not in by_category:
            shortfalls[category] = f"{CATEGORIES.get(category, category)}名额{quota}，无合格提名"
    return AwardsProposal(
        year=rules.year,
        seed=rules.seed,
        inputs_digest=inputs_digest(nominations, scores, rules),
        entries=entries,
        flagged=[f for f in flagged if f.ref not in rules.add],
        ineligible=ineligible,
        recused=agg.recused,
        shortages=plan.shortages,
        plan_pairs=len(plan.pairs),
        shortfalls=shortfalls,
    )


def result_json(
    *, year: int, listed: Sequence[Entry], flagged: Sequence[str], status: str
) -> dict[str, object]:
    """The `awards --json` shape: listed nominees per category with score and rank."""
    categories: dict[str, list[dict[str, object]]] = {}
    for e in listed:
        categories.setdefault(e.category, []).append(
            {"ref": e.ref, "score": round(e.final, 6), "rank": e.rank, "name": e.name}
        )
    return {"year": year, "status": status, "categories": categories, "flagged": list(flagged)}
