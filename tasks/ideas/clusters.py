"""Clusters of similar ideas and the clerk's edits to them (merge, split, undo)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea, IdeaClusterEdit
from models.refusal import Refusal
from tasks.common.dedup import cluster_keys
from tasks.common.district import active_profile
from tasks.ideas.records import FLOW
from tasks.ideas.screening import (
    RULE,
)


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


def apply_edits(clusters: list[list[str]], edits: Iterable[IdeaClusterEdit]) -> list[list[str]]:
    """Replay the clerk's merges (join two clusters) and unmerges (detach one idea) in order."""
    label = {ref: members[0] for members in clusters for ref in members}
    for edit in edits:
        if edit.ref not in label:
            continue
        if edit.action == "unmerge":
            label[edit.ref] = f"\x00{edit.ref}"  # a label nobody else has
        elif edit.action == "merge" and edit.target in label:
            old, new = label[edit.ref], label[edit.target]
            for ref, lab in label.items():
                if lab == old:
                    label[ref] = new
    groups: dict[str, list[str]] = {}
    for ref, lab in label.items():
        groups.setdefault(lab, []).append(ref)
    return sorted((sorted(members) for members in groups.values()), key=lambda m: m[0])


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
