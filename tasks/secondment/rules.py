"""Teacher secondment (R10.2): eligibility, merit, and how a placement is explained.

Plain typed functions; the placement itself is found by `tasks/secondment/solver.py`. The
decision rule is the one in docs/spec.md: eligible teachers, merit = weighted criteria, score =
merit + preference bonus, quotas per street, one street per teacher, a cap per school, a minimum
backbone share; maximise the total score; among optimal answers take the lexicographically
smallest list of selected staff_ids. Scores are exact fractions (the criteria and the weights as
written), so equal totals are equal and no tie is broken by rounding.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.profile.schema import MeritWeights
from models.refusal import Refusal
from models.secondment import TeacherBase

# Bump when the rule below changes what it decides: the audit re-derives a decision only under
# the version that made it.
RULE_VERSION = "R10.2-1"


class SecondmentRules(BaseModel):
    """The parameters of one year's secondment, resolved from the profile and the run."""

    model_config = ConfigDict(frozen=True)

    year: int
    quotas: dict[str, int]
    min_years: int = 5
    cooldown_years: int = 2
    max_per_school: int = 2
    min_backbone_share: float = 0.2
    preference_bonus: float = 5.0
    weights: MeritWeights = Field(default_factory=MeritWeights)
    exclude: tuple[str, ...] = ()

    @property
    def places(self) -> int:
        return sum(self.quotas.values())

    @property
    def backbone_needed(self) -> int:
        # R10.2 backbone share, rounded up, in exact arithmetic (0.2 * 15 is 3, not 4)
        return math.ceil(exact(self.min_backbone_share) * self.places)


class Candidate(BaseModel):
    """An eligible teacher with the merit the rule gives them."""

    model_config = ConfigDict(frozen=True)

    staff_id: str
    name: str
    school: str
    backbone: bool
    merit: Fraction  # exact: the criteria and weights as written
    preferred_streets: tuple[str, ...] = ()

    def score(self, street: str, *, rules: SecondmentRules) -> Fraction:
        """Merit, plus the preference bonus on a preferred street (exact)."""
        return self.merit + (
            exact(rules.preference_bonus) if street in self.preferred_streets else 0
        )


class Ineligible(BaseModel):
    staff_id: str
    name: str
    reasons: list[str]


class Placement(BaseModel):
    staff_id: str
    name: str
    school: str
    street: str
    merit: float
    score: float
    preferred: bool
    backbone: bool
    reason: str


Proof = Literal["optimal", "optimal_total", "best_found"]


class Proposal(BaseModel):
    """The placement for a year, with everything needed to explain and reproduce it.

    `proof` is "optimal" when the total is proven maximal and the tie-break done; "optimal_total"
    when the total is proven but the time limit stopped the tie-break; "best_found" when the time
    limit stopped the proof: no placement totals more than `best_bound`.
    """

    year: int
    placements: list[Placement]
    total_score: float
    ineligible: list[Ineligible]
    eligible_count: int
    considered_count: int  # candidates the solver could not rule out by bounds
    inputs_digest: str
    solve_seconds: float
    proof: Proof
    best_bound: float  # points; no placement totals more
    gap: float  # points; best_bound - total_score, rounded up to a hundredth
    engine: str  # what proved or found the total: LP, CBC, CP-SAT, greedy

    @property
    def proof_note(self) -> str:
        """The proof status in a sentence for the operator who signs off."""
        return proof_note(self.proof, self.gap)


def placement_reason(proposal: Proposal) -> str:
    """The placement as a whole, for its decision record: the total and how far the proof got."""
    reason = (
        f"选派{len(proposal.placements)}名，总分{proposal.total_score:.2f}分，{proposal.proof_note}"
    )
    if proposal.proof == "best_found":
        reason += f"（任何方案总分不超过{proposal.best_bound:.2f}分）"
    return reason + "（R10.2）"


def proof_note(proof: Proof, gap: float) -> str:
    if proof == "optimal":
        return "已证明总分最优"
    if proof == "optimal_total":
        return "已证明总分最优；未能在限时内完成同分时按工号择先的比较"
    return f"未能在限时内证明最优，差距≤{gap:.2f}分"


class InfeasibleSecondment(Refusal):
    """No placement satisfies the rules; `reasons` name the binding shortfall (Chinese)."""

    def __init__(self, reasons: list[str], *, what: str = "无法形成选派方案") -> None:
        self.reasons = reasons
        super().__init__(f"{what}，未写入任何内容：" + "；".join(reasons))


def eligibility_reasons(teacher: TeacherBase, *, rules: SecondmentRules) -> list[str]:
    """Every failed R10.2 condition of this teacher, in words a clerk reads; empty if eligible."""
    reasons = []
    if not teacher.in_service:
        reasons.append("不在职（R10.2 仅选派在职教师）")
    if teacher.annual_rating == "不合格":
        reasons.append("年度考核不合格（R10.2）")
    if teacher.years_teaching < rules.min_years:
        reasons.append(f"教龄{teacher.years_teaching}年，不足{rules.min_years}年（R10.2）")
    if teacher.deferred:
        reasons.append("本人申请暂缓（R10.2）")
    last = teacher.last_secondment_year
    if last is not None and rules.year - last <= rules.cooldown_years:
        reasons.append(f"{last}年已挂职，间隔须超过{rules.cooldown_years}年（R10.2）")
    if teacher.staff_id in rules.exclude:
        reasons.append("经办人员审核时排除（R10.2 审批）")
    return reasons


def exact(value: float) -> Fraction:
    """A number as it was written (82.5 is 165/2, 0.3 is 3/10), not its binary approximation."""
    return Fraction(repr(value))


def merit(teacher: TeacherBase, *, weights: MeritWeights) -> Fraction:
    """R10.2 merit: political quality, experience (capped at 30 years), ability, community work.

    Exact: with the default weights a merit is a multiple of 1/60 when the criteria are integers.
    """
    experience = Fraction(min(teacher.years_teaching, 30) * 100, 30)
    return (
        exact(weights.political) * exact(teacher.political_score)
        + exact(weights.experience) * experience
        + exact(weights.ability) * exact(teacher.ability_score)
        + exact(weights.community_work) * exact(teacher.community_work_score)
    )


def points(value: Fraction) -> float:
    """A score as stored and shown (the nearest float); decisions compare the exact value."""
    return float(value)


def inputs_digest(roster: Iterable[TeacherBase], rules: SecondmentRules) -> str:
    """A digest of everything the decision depends on, stored with it for reproduction."""
    payload = {
        "rules": rules.model_dump(mode="json"),
        "roster": sorted(
            (t.model_dump(mode="json", exclude={"phone"}) for t in roster),
            key=lambda row: str(row["staff_id"]),
        ),
    }
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]


def screen(
    roster: Sequence[TeacherBase], *, rules: SecondmentRules
) -> tuple[list[Candidate], list[Ineligible]]:
    """Split the roster into eligible candidates (with merit) and the ineligible (with reasons)."""
    candidates, ineligible = [], []
    for teacher in sorted(roster, key=lambda t: t.staff_id):
        reasons = eligibility_reasons(teacher, rules=rules)
        if reasons:
            ineligible.append(
                Ineligible(staff_id=teacher.staff_id, name=teacher.name, reasons=reasons)
            )
            continue
        candidates.append(
            Candidate(
                staff_id=teacher.staff_id,
                name=teacher.name,
                school=teacher.school,
                backbone=teacher.backbone,
                merit=merit(teacher, weights=rules.weights),
                preferred_streets=tuple(s for s in teacher.preferred_streets if s in rules.quotas),
            )
        )
    return candidates, ineligible


def explain_shortfall(candidates: Sequence[Candidate], *, rules: SecondmentRules) -> list[str]:
    """The counting reasons no placement can exist (empty when the counts allow one)."""
    need = rules.places
    streets = "、".join(rules.quotas)
    cap = rules.max_per_school
    by_school: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_school[c.school].append(c)
    reasons = []
    if len(candidates) < need:
        reasons.append(f"{streets}共需选派 {need} 名，符合条件的教师只有 {len(candidates)} 名")
    else:
        usable = sum(min(cap, len(members)) for members in by_school.values())
        if usable < need:
            reasons.append(
                f"{streets}共需选派 {need} 名，按每校至多 {cap} 名计，"
                f"符合条件的教师只有 {usable} 名"
            )
    backbone_usable = sum(
        min(cap, sum(1 for c in members if c.backbone)) for members in by_school.values()
    )
    if backbone_usable < rules.backbone_needed:
        reasons.append(
            f"骨干教师至少需 {rules.backbone_needed} 名（{need} 名的"
            f"{rules.min_backbone_share:.0%}），按每校上限计符合条件的只有 {backbone_usable} 名"
        )
    return reasons


def _reason(c: Candidate, street: str, *, rules: SecondmentRules, proof: Proof, gap: float) -> str:
    parts = [f"综合得分{float(c.merit):.2f}"]
    if street in c.preferred_streets:
        parts.append(f"意向街道加{rules.preference_bonus:g}分")
    if c.backbone:
        parts.append("骨干教师")
    outcome = {
        "optimal": "总分最优",
        "optimal_total": f"总分最优（{proof_note(proof, gap)}）",
        "best_found": f"限时内找到的总分最高方案（{proof_note(proof, gap)}）",
    }[proof]
    lead = f"选派至{street}：" + "，".join(parts)
    return f"{lead}；在配额、每校上限和骨干比例约束下{outcome}（R10.2）"


def placements(
    pairs: Iterable[tuple[Candidate, str]], *, rules: SecondmentRules, proof: Proof, gap: float
) -> list[Placement]:
    """The placement records of (candidate, street) pairs, by street in quota order, best first."""
    result = [
        Placement(
            staff_id=c.staff_id,
            name=c.name,
            school=c.school,
            street=street,
            merit=points(c.merit),
            score=points(c.score(street, rules=rules)),
            preferred=street in c.preferred_streets,
            backbone=c.backbone,
            reason=_reason(c, street, rules=rules, proof=proof, gap=gap),
        )
        for c, street in pairs
    ]
    order = {s: k for k, s in enumerate(rules.quotas)}
    result.sort(key=lambda p: (order[p.street], -p.score, p.staff_id))
    return result


def choose_replacement(
    candidates: Sequence[Candidate],
    *,
    active: Sequence[Placement],
    street: str,
    leaving_backbone: bool,
    unavailable: set[str],
    rules: SecondmentRules,
) -> tuple[Candidate, float]:
    """The next-best eligible teacher for one street, the other placements staying as they are.

    Same constraints as the main rule: a free place at the teacher's school (cap), and a backbone
    teacher if losing the decliner would break the backbone share. Highest score for this street
    wins; equal scores go to the smaller staff_id.
    """
    per_school: dict[str, int] = defaultdict(int)
    for p in active:
        per_school[p.school] += 1
    backbone_left = sum(1 for p in active if p.backbone)
    must_be_backbone = leaving_backbone and backbone_left < rules.backbone_needed
    taken = {p.staff_id for p in active} | unavailable
    best: tuple[Fraction, str, Candidate] | None = None
    for c in candidates:
        if c.staff_id in taken or per_school[c.school] >= rules.max_per_school:
            continue
        if must_be_backbone and not c.backbone:
            continue
        key = (-c.score(street, rules=rules), c.staff_id, c)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        need = "骨干教师" if must_be_backbone else "教师"
        raise InfeasibleSecondment(
            [
                f"{street}需递补一名{need}，但没有符合条件且未选派的人选"
                f"（每校至多 {rules.max_per_school} 名）"
            ],
            what="无法递补",
        )
    chosen = best[2]
    return chosen, points(chosen.score(street, rules=rules))


def replacement_placement(
    c: Candidate, *, street: str, score: float, decliner: str, rules: SecondmentRules
) -> Placement:
    """The Placement record of a replacement, with its reason."""
    preferred = street in c.preferred_streets
    bonus = f"，意向街道加{rules.preference_bonus:g}分" if preferred else ""
    reason = (
        f"递补{decliner}至{street}：在其余选派不变、配额和每校上限约束下得分最高的符合条件教师"
        f"（综合得分{float(c.merit):.2f}{bonus}）（R10.2）"
    )
    return Placement(
        staff_id=c.staff_id,
        name=c.name,
        school=c.school,
        street=street,
        merit=points(c.merit),
        score=score,
        preferred=preferred,
        backbone=c.backbone,
        reason=reason,
    )
