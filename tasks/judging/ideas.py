"""The ideas process on the portal: 评审 score the golden-idea cluster representatives (R7.3).

The roster and the assignment are the review's own (`tasks/ideas/reviewers.py`: one
representative per cluster, `reviewers_per_idea` each, never a reviewer of a member's
community, nor of its street or the reviewer's unit when imported with them), so the pairs a
reviewer scores are the pairs `import idea-scores` accepts. A submitted score is the reviewer's
`IdeaScore` row with the weighted total, exactly as the import writes it, so the review
calibrates and ranks it by the same rule. What a reviewer sees of an idea is masked: phones and
ID numbers in its title and text never reach their page.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, func, select

from models.db import session_scope
from models.ideas import Idea, IdeaCampaign, IdeaClusterEdit, IdeaScore
from models.judging import JudgeAssignment
from models.profile.contacts import OfficeContact
from models.profile.schema import DistrictProfile
from tasks.common.district import active_profile
from tasks.ideas.clusters import year_clusters
from tasks.ideas.records import known_communities
from tasks.ideas.review import weighted_total
from tasks.ideas.reviewers import items_of, review_plan, reviewer_roster
from tasks.ideas.screening import RULE, shown
from tasks.judging.audit import ideas_round_payload, ideas_valid
from tasks.judging.processes import ItemFacts, JudgingError, Member, Process, RoundPlan
from tasks.judging.rules import Rubric


class Ideas(Process):
    """The ideas process; the year's clusters are read again only when the ideas screened or
    the clerk's cluster edits changed (a page or a save needs the clusters of a few ideas)."""

    key = "ideas"
    role = "评审"
    contest = "金点子评选"
    noun = "建议"
    kept_from = "社区、街道和单位"
    rule = RULE

    def __init__(self) -> None:
        self._clusters: tuple[tuple[Any, ...], list[list[str]]] | None = None

    def clusters(self, session: Session, profile: DistrictProfile, year: int) -> list[list[str]]:
        """`year_clusters`, kept while the screened ideas and the cluster edits are the same."""
        screened = session.exec(
            select(
                func.count(col(Idea.id)),
                func.sum(col(Idea.id)),
                func.max(col(Idea.id)),
                func.sum(func.length(col(Idea.norm_key))),
            ).where(Idea.year == year, Idea.status == "screened")
        ).one()
        edits = session.exec(
            select(
                func.count(col(IdeaClusterEdit.id)),
                func.max(col(IdeaClusterEdit.id)),
                func.sum(col(IdeaClusterEdit.active)),
            ).where(IdeaClusterEdit.year == year)
        ).one()
        key = (year, profile.ideas.similarity_threshold, *screened, *edits)
        cached = self._clusters
        if cached is not None and cached[0] == key:
            return cached[1]
        found = year_clusters(year)
        self._clusters = (key, found)
        return found

    def members(self, session: Session, profile: DistrictProfile) -> dict[str, Member]:
        return {
            r.code: Member(
                code=r.code, name=r.name, street=r.street, unit=r.unit, community=r.community
            )
            for r in reviewer_roster(session, profile.ideas)
        }

    def rubric(self, profile: DistrictProfile) -> Rubric:
        return Rubric.of(profile.ideas.criteria, profile.ideas.criteria_labels)

    def contact(self, profile: DistrictProfile) -> OfficeContact:
        return profile.contacts.centre

    def reminder_offsets(self, profile: DistrictProfile) -> list[int]:
        return list(profile.ideas.reminder_offsets)

    def plan(
        self, session: Session, profile: DistrictProfile, year: int, judges: dict[str, Member]
    ) -> RoundPlan:
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            raise JudgingError(f"{year}年度尚未开展金点子征集")
        clusters = year_clusters(year)
        if not clusters:
            raise JudgingError(f"{year}年度没有通过筛查的建议，无法分配评审")
        if not judges:
            raise JudgingError("没有评审：请在区情配置中列出评审，或导入评审名单")
        policy = profile.ideas
        items, reviewers, plan = review_plan(
            session, policy, clusters=clusters, year=year, seed=campaign.seed
        )
        code_of = {m.name: m.code for m in judges.values()}
        return RoundPlan(
            pairs=[(ref, code_of[name]) for ref, name in plan.pairs],
            shortages=list(plan.shortages),
            per_item=policy.reviewers_per_idea,
            seed=campaign.seed,
            configured_limit=None,
            snapshot="ideas_round",
            payload=ideas_round_payload(
                items=items,
                reviewers=reviewers,
                per_item=policy.reviewers_per_idea,
                seed=campaign.seed,
                codes=code_of,
            ),
        )

    def facts(
        self, session: Session, profile: DistrictProfile, year: int, refs: Collection[str]
    ) -> dict[str, ItemFacts]:
        wanted = set(refs)
        rows = session.exec(
            select(Idea).where(
                Idea.year == year, Idea.status == "screened", col(Idea.ref).in_(list(wanted))
            )
        ).all()
        clusters = [m for m in self.clusters(session, profile, year) if m[0] in wanted]
        community = dict(
            session.exec(
                select(Idea.ref, Idea.community).where(
                    Idea.year == year, col(Idea.ref).in_([r for m in clusters for r in m])
                )
            ).all()
        )
        street_of = known_communities(session)
        items = items_of(clusters, community=community, street_of=street_of)
        keys = {i.ref: i.conflicts for i in items}
        labels = profile.ideas.category_labels
        return {
            i.ref: ItemFacts(
                ref=i.ref,
                category=labels.get(i.category, i.category),
                name=shown(i.title),
                street=street_of.get(i.community, ""),
                community=i.community,
                text=shown(i.content),
                conflicts=keys.get(i.ref, frozenset({f"community:{i.community}"})),
            )
            for i in rows
        }

    def _rows(
        self, session: Session, year: int, judge: str, refs: Collection[str]
    ) -> dict[str, IdeaScore]:
        return {
            s.ref: s
            for s in session.exec(
                select(IdeaScore).where(
                    IdeaScore.year == year,
                    IdeaScore.reviewer == judge,
                    col(IdeaScore.ref).in_(list(refs)),
                )
            ).all()
        }

    def scores(
        self, session: Session, year: int, judge: str, refs: Collection[str]
    ) -> dict[str, dict[str, float]]:
        return {ref: dict(s.scores) for ref, s in self._rows(session, year, judge, refs).items()}

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
        del now  # an idea score keeps no time, as the import writes it
        total = weighted_total(values, profile.ideas.criteria)
        stored = self._rows(session, year, judge, [ref]).get(ref)
        if stored is None:
            session.add(IdeaScore(year=year, ref=ref, reviewer=judge, scores=values, total=total))
        elif stored.scores != values:
            stored.scores, stored.total = values, total
            session.add(stored)

    def drop(self, session: Session, *, year: int, ref: str, judge: str) -> None:
        session.exec(
            delete(IdeaScore).where(
                col(IdeaScore.year) == year,
                col(IdeaScore.ref) == ref,
                col(IdeaScore.reviewer) == judge,
            )
        )

    def scored(self, session: Session, year: int) -> set[tuple[str, str]]:
        rows = session.exec(select(IdeaScore.ref, IdeaScore.reviewer).where(IdeaScore.year == year))
        return {(ref, reviewer) for ref, reviewer in rows.all()}

    def categories(self, profile: DistrictProfile) -> dict[str, str]:
        codes = [*profile.ideas.categories, "other"]
        return {code: profile.ideas.category_labels.get(code, code) for code in codes}

    deadline_snapshot = "ideas_deadline"

    def deadline_inputs(self, year: int) -> tuple[dict[str, int], dict[str, str], dict[str, Any]]:
        """Valid scores: those of reviewers who hold the representative."""
        with session_scope() as session:
            names = {
                code: m.name for code, m in self.members(session, active_profile(session)).items()
            }
            rows = session.exec(
                select(JudgeAssignment).where(
                    JudgeAssignment.process == self.key, JudgeAssignment.year == year
                )
            ).all()
            refs = sorted({a.ref for a in rows})
            categories = dict(
                session.exec(
                    select(Idea.ref, Idea.category).where(
                        Idea.year == year, col(Idea.ref).in_(refs)
                    )
                ).all()
            )
            scored = sorted(self.scored(session, year))
        payload = {
            "refs": refs,
            "assigned": sorted(
                [a.ref, names.get(a.judge, a.judge)] for a in rows if a.status == "assigned"
            ),
            "scored": [list(pair) for pair in scored],
        }
        return ideas_valid(payload), categories, payload

    def item_names(self, session: Session, year: int) -> dict[str, str]:
        rows = session.exec(select(Idea.ref, Idea.title).where(Idea.year == year))
        return {ref: shown(title) for ref, title in rows.all()}
