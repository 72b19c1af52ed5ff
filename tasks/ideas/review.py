"""Review and publication of the golden-idea campaign (R7.3), database side.

One representative per cluster is reviewed; assignment, calibration and the seeded ranking are
the shared `tasks.common.review` functions. Publication writes every result, decision and message in
one transaction, so all submitters (cluster members included) are told at once or not at all.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select

from models.audit import Decision
from models.db import session_scope
from models.ideas import (
    Idea,
    IdeaAction,
    IdeaCampaign,
    IdeaResult,
    IdeaScore,
)
from models.profile.ideas import IdeasPolicy
from models.results.ideas import IdeasResult, SelectedIdea
from tasks.common.decisions import decision
from tasks.common.district import active_profile
from tasks.common.review import (
    ReviewPlan,
    ScoreRow,
    calibrate,
    rank_with_tiebreak,
)
from tasks.ideas.audit import RULE_VERSION, result_outcome
from tasks.ideas.clusters import keep_ranking_inputs, year_clusters
from tasks.ideas.records import FLOW, digest, ideas_by_ref, profile_and_policy
from tasks.ideas.reviewers import portal_changes, review_plan
from tasks.ideas.screening import RULE, shown
from tasks.notify.render import render
from tasks.notify.staging import stage_message


class ReviewSetup(BaseModel):
    """The clusters under review, their representatives and the reviewer plan."""

    year: int
    seed: int
    clusters: list[list[str]]
    plan: ReviewPlan

    @property
    def representatives(self) -> list[str]:
        return [members[0] for members in self.clusters]


class RankedIdea(BaseModel):
    ref: str
    rank: int
    tier: str
    final: float
    raw_mean: float
    draw: int | None
    title: str
    members: list[str]


class ReviewProposal(BaseModel):
    """The ranking awaiting sign-off."""

    year: int
    seed: int
    method: str
    ranked: list[RankedIdea]
    unscored: list[str]
    inputs_digest: str


def prepare_review(*, year: int, seed: int) -> ReviewSetup:
    """Clusters → one representative each (its smallest ref) → balanced reviewer assignment."""
    clusters = year_clusters(year)
    with session_scope() as session:
        policy = active_profile(session).ideas
        _, _, plan = review_plan(session, policy, clusters=clusters, year=year, seed=seed)
    return ReviewSetup(year=year, seed=seed, clusters=clusters, plan=plan)


def weighted_total(scores: dict[str, float], criteria: dict[str, float]) -> float:
    """Σ weight × criterion score (0-100)."""
    return round(sum(criteria[name] * scores[name] for name in criteria), 6)


def record_scores(*, year: int, setup: ReviewSetup, rows: Sequence[dict[str, Any]]) -> int:
    """Store reviewer scores (upsert); each must be for an assigned (ref, reviewer) pair: the
    plan's, less the conflicts reviewers declared on the portal, plus where those went."""
    with session_scope() as session:
        policy = active_profile(session).ideas
        declared, reassigned = portal_changes(session, year)
        assigned = (set(setup.plan.pairs) - declared) | reassigned
        problems = []
        for row in rows:
            pair = (str(row["ref"]), str(row["reviewer"]))
            where = f"row {row['_row']}: " if "_row" in row else ""
            if pair in declared:
                problems.append(f"{where}{pair[1]}已申报与{pair[0]}回避，其评分不计入")
            elif pair not in assigned:
                problems.append(f"{where}{pair[1]} is not assigned to review {pair[0]}")
        if problems:
            raise ValueError("; ".join(problems))
        existing = {
            (s.ref, s.reviewer): s
            for s in session.exec(select(IdeaScore).where(IdeaScore.year == year)).all()
        }
        for row in rows:
            scores = {name: float(row[name]) for name in policy.criteria}
            total = weighted_total(scores, policy.criteria)
            old = existing.get((str(row["ref"]), str(row["reviewer"])))
            if old is None:
                session.add(
                    IdeaScore(
                        year=year,
                        ref=str(row["ref"]),
                        reviewer=str(row["reviewer"]),
                        scores=scores,
                        total=total,
                    )
                )
            else:
                old.scores, old.total = scores, total
        return len(rows)


def generated_scores(*, setup: ReviewSetup, seed: int, policy: IdeasPolicy) -> list[dict[str, Any]]:
    """Plausible scores for every assigned pair (demo only): a per-idea quality + reviewer bias."""
    rng = random.Random(seed)
    quality = {ref: rng.uniform(55, 90) for ref in setup.representatives}
    bias = {name: rng.uniform(-8, 8) for name in {r for _, r in setup.plan.pairs}}
    rows = []
    for ref, reviewer in sorted(setup.plan.pairs):
        base = quality[ref] + bias[reviewer]
        rows.append(
            {
                "ref": ref,
                "reviewer": reviewer,
                **{
                    name: round(min(100.0, max(0.0, base + rng.uniform(-5, 5))), 1)
                    for name in policy.criteria
                },
            }
        )
    return rows


def record_generated_scores(*, setup: ReviewSetup, seed: int) -> int:
    """Record generated scores for every assigned pair (demo and rehearsal runs only)."""
    _, policy = profile_and_policy()
    return record_scores(
        year=setup.year, setup=setup, rows=generated_scores(setup=setup, seed=seed, policy=policy)
    )


def propose_ranking(*, setup: ReviewSetup, method: str | None = None) -> ReviewProposal:
    """Calibrate (z-score per reviewer, or raw mean), rank, cut the tiers; nothing written."""
    year = setup.year
    with session_scope() as session:
        policy = active_profile(session).ideas
        scores = session.exec(select(IdeaScore).where(IdeaScore.year == year)).all()
        rows = [ScoreRow(ref=s.ref, reviewer=s.reviewer, total=s.total) for s in scores]
    how = method or policy.calibration
    reps = set(setup.representatives)
    rows = [r for r in rows if r.ref in reps]
    finals = calibrate(rows=rows, method="raw" if how == "raw" else "zscore", min_scores=1)
    quota = sum(policy.tiers.values())
    ranked = rank_with_tiebreak(finals=finals, quota=quota, seed=setup.seed, salt=f"ideas-{year}")
    cuts: list[str] = []
    for tier, count in policy.tiers.items():
        cuts += [tier] * count
    members = {m[0]: m for m in setup.clusters}
    titles = {ref: shown(i.title) for ref, i in ideas_by_ref(year, [r.ref for r in ranked]).items()}
    return ReviewProposal(
        year=year,
        seed=setup.seed,
        method=how,
        ranked=[
            RankedIdea(
                ref=r.ref,
                rank=r.rank,
                tier=cuts[r.rank - 1],
                final=round(r.final, 6),
                raw_mean=round(r.raw_mean, 6),
                draw=r.draw,
                title=titles.get(r.ref, ""),
                members=members.get(r.ref, [r.ref]),
            )
            for r in ranked
        ],
        unscored=sorted(reps - set(finals)),
        inputs_digest=digest(
            year, setup.seed, how, sorted((r.ref, r.reviewer, r.total) for r in rows)
        ),
    )


def publish(*, setup: ReviewSetup, proposal: ReviewProposal, operator: str, today: date) -> bool:
    """All results at once: results, decisions, action items, and every submitter told.

    Returns False (writing nothing) when the year is already published.
    """
    year = setup.year
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            raise ValueError(f"no golden-idea campaign for {year}")
        if campaign.published_at is not None:
            return False
        profile = active_profile(session)
        policy = profile.ideas
        ideas = {
            i.ref: i
            for i in session.exec(
                select(Idea).where(Idea.year == year, Idea.status == "screened")
            ).all()
        }
        by_rep = {r.ref: r for r in proposal.ranked}
        inputs = keep_ranking_inputs(
            session, year=year, seed=setup.seed, method=proposal.method, policy=policy
        )
        for members in setup.clusters:
            rep = members[0]
            ranked = by_rep.get(rep)
            if ranked is not None:
                reason = (
                    f"经 {len([p for p in setup.plan.pairs if p[0] == rep])} 位评审打分、"
                    f"按评审人标准分校准（{proposal.method}）后排第 {ranked.rank} 名，"
                    f"入选“{ranked.tier}”（{RULE}）"
                )
            elif rep in proposal.unscored:
                reason = f"未收到有效评分，未参与排名（{RULE}）"
            else:
                reason = f"经评审校准后未进入前 {len(proposal.ranked)} 名（{RULE}）"
            session.add(
                IdeaResult(
                    year=year,
                    ref=rep,
                    members=members,
                    rank=ranked.rank if ranked else None,
                    tier=ranked.tier if ranked else "",
                    final=ranked.final if ranked else None,
                    raw_mean=ranked.raw_mean if ranked else None,
                    reason=reason,
                )
            )
            session.add(
                decision(
                    process=FLOW,
                    year=year,
                    subject=rep,
                    kind="result",
                    rule=RULE,
                    reason=reason + (f"；同组建议 {'、'.join(members[1:])}" if members[1:] else ""),
                    inputs_digest=inputs,
                    seed=proposal.seed,
                    rule_version=RULE_VERSION,
                    outcome=result_outcome(
                        members=members,
                        rank=ranked.rank if ranked else None,
                        tier=ranked.tier if ranked else "",
                    ),
                )
            )
            if ranked is not None:
                category = ideas[rep].category
                department = policy.departments.get(
                    category, policy.departments.get("other", "区社区教育指导中心")
                )
                session.add(
                    IdeaAction(
                        year=year,
                        ref=rep,
                        department=department,
                        due=today + timedelta(days=policy.follow_up_days),
                    )
                )
            for ref in members:
                idea = ideas[ref]
                title, body = render(
                    "ideas_outcome",
                    year=year,
                    submitter=idea.submitter,
                    title=shown(idea.title),
                    ref=ref,
                    tier=ranked.tier if ranked else "",
                    rank=ranked.rank if ranked else 0,
                    merged=len(members) > 1,
                    contact=profile.contacts.centre,
                )
                stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind="outcome",
                    recipient=ref,
                    audience=f"idea-submitter-{ref}",
                    title=title,
                    body=body,
                )
        campaign.published_at = datetime.combine(today, datetime.min.time())
        campaign.phase = "follow_up"
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=f"campaign-{year}",
                kind="published",
                rule=RULE,
                reason=f"{operator or '经办人员'}审批后统一公布 {len(proposal.ranked)} 条入选建议",
                inputs_digest=proposal.inputs_digest,
                seed=proposal.seed,
            )
        )
    return True


def results(year: int) -> IdeasResult:
    """The published results of a year (the review flow's result, the CLI's and artifacts')."""
    with session_scope() as session:
        rows = session.exec(
            select(IdeaResult)
            .where(IdeaResult.year == year, col(IdeaResult.rank).is_not(None))
            .order_by(col(IdeaResult.rank))
        ).all()
        return IdeasResult(
            year=year,
            status="published",
            selected=[
                SelectedIdea(
                    ref=r.ref,
                    rank=r.rank or 0,
                    tier=r.tier,
                    final=r.final or 0.0,
                    members=r.members,
                )
                for r in rows
            ],
        )
