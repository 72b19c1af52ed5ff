"""The plain R11.2 logic: eligibility, recusal, calibration and ranking vs an independent sum."""

from __future__ import annotations

import statistics
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.awards import CATEGORIES, AwardScoreBase, NominationBase
from models.profile.loading import load_profile
from tasks.awards.rules import AwardsRules, JudgeInfo, nomination_keys, propose, weighted_total
from tasks.common.review import seeded_draw
from tasks.samples.awards import generate_nominations, generate_scores

YEAR = 2026
PROFILE, _ = load_profile()


def rules(**overrides: object) -> AwardsRules:
    p = PROFILE.awards
    values: dict[str, object] = {
        "year": YEAR,
        "seed": YEAR,
        "quotas": dict(p.quotas),
        "min_judges": p.min_judges,
        "criteria": dict(p.criteria),
        "judges": tuple(JudgeInfo(name=j.name, street=j.street, unit=j.unit) for j in p.judges),
        "streets": tuple(PROFILE.street_names),
        "requirements": {c: dict(r) for c, r in p.requirements.items()},
        "metric_labels": dict(p.metrics),
    }
    values.update(overrides)
    return AwardsRules.model_validate(values)


def independent(
    noms: list[NominationBase], scores: list[AwardScoreBase], r: AwardsRules
) -> dict[str, tuple[float, float, int]]:
    """the spec's rule written again: recuse own street/unit, per-judge z with numpy, mean z."""
    judges = {j.name: j for j in r.judges}
    by_ref = {n.ref: n for n in noms}
    valid = [
        s
        for s in scores
        if s.ref in by_ref
        and not (
            (judges[s.judge].street and judges[s.judge].street == by_ref[s.ref].street)
            or (
                judges[s.judge].unit
                and judges[s.judge].unit in (by_ref[s.ref].name, by_ref[s.ref].nominated_by)
            )
        )
    ]
    per_judge: dict[str, list[AwardScoreBase]] = defaultdict(list)
    for s in valid:
        per_judge[s.judge].append(s)
    zs: dict[str, list[float]] = defaultdict(list)
    raws: dict[str, list[float]] = defaultdict(list)
    for rows in per_judge.values():
        weights = r.criteria
        totals = np.array([sum(row.criteria[c] * w for c, w in weights.items()) for row in rows])
        std = totals.std()
        z = (totals - totals.mean()) / std if std > 0 else np.zeros(len(rows))
        for row, zi, t in zip(rows, z, totals, strict=True):
            zs[row.ref].append(float(zi))
            raws[row.ref].append(float(t))
    return {
        ref: (statistics.fmean(zs[ref]), statistics.fmean(raws[ref]), len(zs[ref])) for ref in zs
    }


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 9))
def test_calibration_ranking_and_quotas_equal_an_independent_calculation(
    seed: int, per_category: int
) -> None:
    noms = generate_nominations(PROFILE, year=YEAR, per_category=per_category, seed=seed)
    scores = generate_scores(PROFILE, noms, seed=seed, judges_per_item=4)
    # a judge who gives everyone the same score
    scores = [s for s in scores if s.judge != "评委戊"] + [
        AwardScoreBase(
            year=YEAR,
            ref=n.ref,
            judge="评委戊",
            criteria=dict.fromkeys(PROFILE.awards.criteria, 80.0),
        )
        for n in noms
    ]
    r = rules(quotas=dict.fromkeys(CATEGORIES, 3))
    proposal = propose(noms, scores, rules=r)
    want = independent(noms, scores, r)
    flagged = {f.ref for f in proposal.flagged}
    assert flagged == {ref for ref in (n.ref for n in noms) if want.get(ref, (0, 0, 0))[2] < 3}
    for e in proposal.entries:
        final, raw, n = want[e.ref]
        assert e.final == pytest.approx(final, abs=1e-9)
        assert e.raw_mean == pytest.approx(raw, abs=1e-9)
        assert e.n_valid == n
    for category in CATEGORIES:
        ranked = [e for e in proposal.entries if e.category == category]
        expected = sorted(
            (e.ref for e in ranked),
            key=lambda ref: (
                -round(want[ref][0], 9),
                -round(want[ref][1], 9),
                seeded_draw(seed=YEAR, salt=f"{YEAR}:{category}", ref=ref),
            ),
        )
        assert [e.ref for e in ranked] == expected
        assert len(proposal.listed(category)) == min(3, len(ranked))  # quotas exact
    # recusal never violated: no recused score contributes, and each one is recorded
    judges = {j.name: j for j in r.judges}
    by_ref = {n.ref: n for n in noms}
    for rec in proposal.recused:
        assert judges[rec.reviewer].conflicts & nomination_keys(by_ref[rec.ref])
    assert proposal == propose(noms, scores, rules=r)  # deterministic


def test_judge_plan_gives_k_judges_or_a_shortage() -> None:
    noms = generate_nominations(PROFILE, year=YEAR, per_category=4, seed=1)
    only_two = rules(judges=(JudgeInfo(name="甲", street="嘉兴路街道"), JudgeInfo(name="乙")))
    proposal = propose(noms, [], rules=only_two)
    assert {s.ref for s in proposal.shortages} == {n.ref for n in noms}
    enough = propose(noms, [], rules=rules())
    assert not enough.shortages
    assert enough.plan_pairs == 3 * len(noms)
    assert {f.ref for f in enough.flagged} == {n.ref for n in noms}  # nobody scored yet


def test_eligibility_reasons_cite_the_rule() -> None:
    noms = generate_nominations(PROFILE, year=YEAR, per_category=1, seed=2)
    repeat = noms[0].model_copy(update={"last_award_year": YEAR - 2})
    renewed = noms[1].model_copy(update={"last_award_year": YEAR - 2, "new_merit": True})
    outside = noms[2].model_copy(update={"street": "外区街道"})
    thin = noms[4].model_copy(update={"metrics": {"reading_hours": 10.0}})
    _, ineligible = __import__("tasks.awards.rules", fromlist=["screen"]).screen(
        [repeat, renewed, outside, thin], rules=rules()
    )
    reasons = {i.ref: i.reasons for i in ineligible}
    assert set(reasons) == {repeat.ref, outside.ref, thin.ref}
    assert "3年内无新增事迹" in reasons[repeat.ref][0]
    assert "不属于本区" in reasons[outside.ref][0]
    assert "阅读时长为10" in reasons[thin.ref][0]
    assert all("R11.2" in r for rs in reasons.values() for r in rs)


def test_strike_and_add_by_the_committee() -> None:
    noms = generate_nominations(PROFILE, year=YEAR, per_category=6, seed=3)
    scores = generate_scores(PROFILE, noms, seed=3)
    base = propose(noms, scores, rules=rules(quotas={"family": 2}))
    first, second, third = [e.ref for e in base.entries if e.category == "family"][:3]
    struck = propose(noms, scores, rules=rules(quotas={"family": 2}, strike={first: "材料不实"}))
    assert [e.ref for e in struck.listed("family")] == [second, third]
    added = propose(noms, scores, rules=rules(quotas={"family": 2}, add={third: "事迹突出"}))
    assert [e.ref for e in added.listed("family")] == [first, second, third]
    with pytest.raises(ValueError, match="not an eligible nomination"):
        propose(noms, scores, rules=rules(strike={"NOPE": "x"}))


def test_weighted_total() -> None:
    assert weighted_total({"a": 80, "b": 60}, {"a": 0.5, "b": 0.5}) == 70
