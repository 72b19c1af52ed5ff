"""The golden-idea reviewers and what they review (R7.3): the roster, the representatives
with their conflict keys, and the balanced assignment with recusal.

The roster is the profile's reviewers (recused from their own community), then the reviewers
imported with `import judges` (role 评审; recused from their street and unit too). The same
plan is what the review ranks, what `import idea-scores` accepts and what reviewers score on
the portal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models.ideas import Idea
from models.judging import Judge, JudgeAssignment
from models.profile.ideas import IdeasPolicy
from tasks.common.review import Reviewer, ReviewItem, ReviewPlan, assign_reviewers
from tasks.ideas.records import known_communities
from tasks.ideas.screening import RULE


class RosterReviewer(BaseModel):
    """An idea reviewer: their 编号 (their name when only in the profile) and conflict keys."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    community: str = ""
    street: str = ""
    unit: str = ""

    @property
    def conflicts(self) -> frozenset[str]:
        keys = {"community": self.community, "street": self.street, "unit": self.unit}
        return frozenset(f"{kind}:{value}" for kind, value in keys.items() if value)


def reviewer_roster(session: Session, policy: IdeasPolicy) -> list[RosterReviewer]:
    """The idea reviewers: the profile's (recused from their own community), then the imported
    ones (`import judges`, role 评审: recused from their street and unit too), an imported
    reviewer replacing a profile reviewer of the same name and keeping their community."""
    imported = session.exec(
        select(Judge).where(Judge.role == "ideas").order_by(col(Judge.code))
    ).all()
    names = {j.name for j in imported}
    community = {r.name: r.community or "" for r in policy.reviewers}
    roster = [
        RosterReviewer(code=r.name, name=r.name, community=r.community or "")
        for r in policy.reviewers
        if r.name not in names
    ]
    roster += [
        RosterReviewer(
            code=j.code,
            name=j.name,
            community=community.get(j.name, ""),
            street=j.street,
            unit=j.unit,
        )
        for j in imported
    ]
    return roster


def review_items(
    session: Session, clusters: Sequence[Sequence[str]], year: int
) -> list[ReviewItem]:
    """One item per cluster, its representative (smallest ref) with the community and street
    of every member as its conflict keys."""
    rows = session.exec(
        select(Idea.ref, Idea.community).where(Idea.year == year, Idea.status == "screened")
    ).all()
    return items_of(clusters, community=dict(rows), street_of=known_communities(session))


def items_of(
    clusters: Sequence[Sequence[str]], *, community: Mapping[str, str], street_of: Mapping[str, str]
) -> list[ReviewItem]:
    """`review_items` from each idea's community and each community's street."""
    items = []
    for members in clusters:
        places = {community[m] for m in members}
        streets = {street_of[c] for c in places if c in street_of}
        keys = {f"community:{c}" for c in places} | {f"street:{s}" for s in streets}
        items.append(ReviewItem(ref=members[0], conflicts=frozenset(keys)))
    return items


def review_plan(
    session: Session,
    policy: IdeasPolicy,
    *,
    clusters: Sequence[Sequence[str]],
    year: int,
    seed: int,
) -> tuple[list[ReviewItem], list[Reviewer], ReviewPlan]:
    """The representatives and reviewers with their conflict keys, and the balanced assignment
    with recusal: what the review ranks and what reviewers score on the portal."""
    items = review_items(session, clusters, year)
    reviewers = [
        Reviewer(name=r.name, conflicts=r.conflicts) for r in reviewer_roster(session, policy)
    ]
    plan = assign_reviewers(
        items=items, reviewers=reviewers, per_item=policy.reviewers_per_idea, seed=seed, rule=RULE
    )
    return items, reviewers, plan


def portal_changes(
    session: Session, year: int
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(ref, reviewer's name) pairs the portal changed: conflicts reviewers declared (their
    scores are not taken), and the pairs their representatives were reassigned to."""
    names = dict(session.exec(select(Judge.code, Judge.name).where(Judge.role == "ideas")).all())
    rows = session.exec(
        select(JudgeAssignment).where(
            JudgeAssignment.process == "ideas", JudgeAssignment.year == year
        )
    ).all()
    declared = {(a.ref, names.get(a.judge, a.judge)) for a in rows if a.status == "conflict"}
    reassigned = {
        (a.ref, names.get(a.judge, a.judge))
        for a in rows
        if a.status == "assigned" and a.source == "reassigned"
    }
    return declared, reassigned
