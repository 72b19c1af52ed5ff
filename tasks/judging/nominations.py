"""The awards process on the portal: 评委 score the year's eligible learning-award nominations.

The roster is the awards run's (`judge_roster`, imported judges by 编号), the assignment is
`plan_judges` of `tasks/awards/rules.py`, and a submitted score is the judge's `award_score`
row, the very row `import scores` writes, so the awards run ranks it by the same rule.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from models.awards import CATEGORIES, AwardScore, Nomination, NominationBase
from models.judging import Judge
from models.params.awards import AwardsParameters
from models.profile.contacts import OfficeContact
from models.profile.schema import DistrictProfile
from tasks.awards.audit import list_payload
from tasks.awards.records import judge_roster, load_inputs, resolve_rules
from tasks.awards.rules import RULE, AwardsRules, nomination_keys, plan_judges, screen
from tasks.common.privacy import mask_text
from tasks.judging.audit import count_valid, round_payload
from tasks.judging.processes import ItemFacts, JudgingError, Member, Process, RoundPlan
from tasks.judging.rules import Rubric


def eligible_nominations(session: Session, rules: AwardsRules) -> list[NominationBase]:
    year = rules.year
    rows = session.exec(select(Nomination).where(Nomination.year == year)).all()
    eligible, _ = screen([NominationBase.model_validate(n.model_dump()) for n in rows], rules=rules)
    return eligible


class Nominations(Process):
    key = "awards"
    role = "评委"
    contest = "学习型组织评选"
    noun = "提名"
    kept_from = "街道和单位"
    rule = RULE

    def members(self, session: Session, profile: DistrictProfile) -> dict[str, Member]:
        """Every award judge by code: the roster the awards run uses, with 编号 where imported."""
        codes = {
            j.name: j.code for j in session.exec(select(Judge).where(Judge.role == self.key)).all()
        }
        return {
            (code := codes.get(j.name, j.name)): Member(
                code=code, name=j.name, street=j.street or "", unit=j.unit or ""
            )
            for j in judge_roster(session, profile)
        }

    def rubric(self, profile: DistrictProfile) -> Rubric:
        return Rubric.of(profile.awards.criteria, profile.awards.criteria_labels)

    def contact(self, profile: DistrictProfile) -> OfficeContact:
        return profile.contacts.awards

    def reminder_offsets(self, profile: DistrictProfile) -> list[int]:
        return list(profile.awards.judging_reminder_offsets)

    def plan(
        self, session: Session, profile: DistrictProfile, year: int, judges: dict[str, Member]
    ) -> RoundPlan:
        rules = resolve_rules(AwardsParameters(year=year))
        eligible = eligible_nominations(session, rules)
        if not eligible:
            raise JudgingError(f"{year}年度没有符合条件的提名，无法分配评委")
        if not judges:
            raise JudgingError("没有评委：请先导入评委名单")
        plan = plan_judges(eligible, rules=rules)
        code_of = {m.name: m.code for m in judges.values()}
        return RoundPlan(
            pairs=[(ref, code_of[name]) for ref, name in plan.pairs],
            shortages=list(plan.shortages),
            per_item=rules.min_judges,
            seed=rules.seed,
            configured_limit=profile.awards.judge_max_load,
            snapshot="round",
            payload=round_payload(eligible=eligible, rules=rules, codes=code_of),
        )

    def facts(
        self, session: Session, profile: DistrictProfile, year: int, refs: Collection[str]
    ) -> dict[str, ItemFacts]:
        rows = session.exec(
            select(Nomination).where(Nomination.year == year, col(Nomination.ref).in_(list(refs)))
        ).all()
        labels = profile.awards.metrics
        return {
            n.ref: ItemFacts(
                ref=n.ref,
                category=CATEGORIES.get(n.category, n.category),
                name=mask_text(n.name),
                street=n.street,
                community=n.community,
                nominated_by=mask_text(n.nominated_by),
                evidence=[(label, f"{n.metrics.get(code, 0):g}") for code, label in labels.items()],
                conflicts=nomination_keys(NominationBase.model_validate(n.model_dump())),
            )
            for n in rows
        }

    def scores(
        self, session: Session, year: int, judge: str, refs: Collection[str]
    ) -> dict[str, dict[str, float]]:
        return {ref: dict(s.criteria) for ref, s in self._rows(session, year, judge, refs).items()}

    def _rows(
        self, session: Session, year: int, judge: str, refs: Collection[str]
    ) -> dict[str, AwardScore]:
        return {
            s.ref: s
            for s in session.exec(
                select(AwardScore).where(
                    AwardScore.year == year,
                    AwardScore.judge == judge,
                    col(AwardScore.ref).in_(list(refs)),
                )
            ).all()
        }

    def store(
        self,
        session: Session,
        profile: DistrictProfile,
        *,
        year: int,
        ref: str,
        judge: str,
        values: dict[str, float],
        now: datetime,
    ) -> None:
        stored = self._rows(session, year, judge, [ref]).get(ref)
        if stored is None:
            session.add(
                AwardScore(year=year, ref=ref, judge=judge, criteria=values, updated_at=now)
            )
        elif stored.criteria != values:
            stored.criteria, stored.updated_at = values, now
            session.add(stored)

    def drop(self, session: Session, *, year: int, ref: str, judge: str) -> None:
        session.exec(
            delete(AwardScore).where(
                col(AwardScore.year) == year,
                col(AwardScore.ref) == ref,
                col(AwardScore.judge) == judge,
            )
        )

    def scored(self, session: Session, year: int) -> set[tuple[str, str]]:
        rows = session.exec(select(AwardScore.ref, AwardScore.judge).where(AwardScore.year == year))
        return {(ref, judge) for ref, judge in rows.all()}

    def categories(self, profile: DistrictProfile) -> dict[str, str]:
        return dict(CATEGORIES)

    deadline_snapshot = "deadline"

    def deadline_inputs(self, year: int) -> tuple[dict[str, int], dict[str, str], dict[str, Any]]:
        """Valid scores counted by the awards' own aggregation (recused rows dropped)."""
        rules = resolve_rules(AwardsParameters(year=year))
        nominations, scores = load_inputs(year)
        valid, category_of = count_valid(nominations, scores, rules)
        return valid, category_of, list_payload(nominations, scores, rules)

    def item_names(self, session: Session, year: int) -> dict[str, str]:
        rows = session.exec(select(Nomination.ref, Nomination.name).where(Nomination.year == year))
        return dict(rows.all())
