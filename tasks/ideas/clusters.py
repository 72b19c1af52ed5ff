"""Clusters of similar ideas and the clerk's edits to them (merge, split, undo)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea, IdeaClusterEdit, IdeaScore
from models.profile.ideas import IdeasPolicy
from models.refusal import Refusal
from tasks.common.decisions import keep_inputs, payload_digest
from tasks.common.dedup import cluster_keys
from tasks.common.district import active_profile
from tasks.common.review import ScoreRow
from tasks.ideas.audit import RULE_VERSION, ranking_payload
from tasks.ideas.records import FLOW
from tasks.ideas.screening import RULE, apply_edits


class ClusterError(Refusal):
    """A merge or unmerge that cannot be done as asked; the message says why, in Chinese."""


def _edits(session: Session, year: int) -> list[IdeaClusterEdit]:
    return list(
        session.exec(
            select(IdeaClusterEdit)
            .where(IdeaClusterEdit.year == year, col(IdeaClusterEdit.active))
            .order_by(col(IdeaClusterEdit.id))
        ).all()
    )


def year_clusters(year: int) -> list[list[str]]:
    """Every screened idea of the year in exactly one cluster (the spec's rule + edits)."""
    with session_scope() as session:
        policy = active_profile(session).ideas
        rows = session.exec(
            select(Idea.ref, Idea.norm_key)
            .where(Idea.year == year, Idea.status == "screened")
            .order_by(col(Idea.ref))
        ).all()
        edits = _edits(session, year)
    refs = [r for r, _ in rows]
    found = cluster_keys([k for _, k in rows], threshold=policy.similarity_threshold)
    auto = [[refs[i] for i in members] for members in found.clusters]
    return apply_edits(auto, edits)


def keep_ranking_inputs(
    session: Session, *, year: int, seed: int, method: str, policy: IdeasPolicy
) -> str:
    """Keep what a publication's clusters and ranking were decided on; return its digest."""
    rows = session.exec(
        select(Idea.ref, Idea.norm_key).where(Idea.year == year, Idea.status == "screened")
    ).all()
    scores = session.exec(select(IdeaScore).where(IdeaScore.year == year)).all()
    payload = ranking_payload(
        year=year,
        seed=seed,
        method=method,
        keys=dict(rows),
        edits=_edits(session, year),
        scores=[ScoreRow(ref=s.ref, reviewer=s.reviewer, total=s.total) for s in scores],
        policy=policy,
    )
    found = payload_digest(payload)
    keep_inputs(
        session,
        process=FLOW,
        year=year,
        kind="ranking",
        digest=found,
        payload=payload,
        rule_version=RULE_VERSION,
    )
    return found


def edit_cluster(
    *, year: int, action: str, ref: str, target: str = "", reason: str, operator: str
) -> int:
    """Log a merge or unmerge (with its reason, as a decision too); return the edit id."""
    if action not in ("merge", "unmerge"):
        raise ClusterError(f"分组调整“{action}”应为并入（merge）或移出（unmerge）")
    if not reason.strip():
        raise ClusterError("调整分组须写明理由")
    with session_scope() as session:
        screened = set(
            session.exec(select(Idea.ref).where(Idea.year == year, Idea.status == "screened")).all()
        )
        for name in (ref, target) if action == "merge" else (ref,):
            if name not in screened:
                raise ClusterError(f"{year}年度没有已筛查的建议{name}")
        edit = IdeaClusterEdit(
            year=year, action=action, ref=ref, target=target, reason=reason, operator=operator
        )
        session.add(edit)
        session.flush()
        assert edit.id is not None
        what = f"并入 {target} 所在组" if action == "merge" else "移出所在组"
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=ref,
                kind=f"{action}-{edit.id}",
                rule=RULE,
                reason=f"{operator or '经办人员'}将 {ref} {what}：{reason}",
            )
        )
        return edit.id


def undo_edit(*, year: int, edit_id: int, reason: str, operator: str) -> None:
    """Undo a merge or unmerge (kept on record, marked inactive, the undo logged)."""
    with session_scope() as session:
        edit = session.get(IdeaClusterEdit, edit_id)
        if edit is None or edit.year != year:
            raise ClusterError(f"{year}年度没有编号为{edit_id}的分组调整")
        if not edit.active:
            return
        edit.active = False
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=edit.ref,
                kind=f"undo-{edit.id}",
                rule=RULE,
                reason=f"{operator or '经办人员'}撤销第 {edit.id} 号{edit.action}：{reason}",
            )
        )
