"""The golden-idea campaign's artifacts (R7.3): the phases, the ranking before sign-off, and the
follow-through of adopted ideas."""

from __future__ import annotations

from models.ideas import IdeaAction
from models.results.ideas import CampaignResult
from tasks.ideas.review import ReviewProposal


def campaign_table(campaign: CampaignResult) -> list[dict[str, object]]:
    """Rows of the campaign artifact: each phase and the day it starts."""
    return [{"阶段": phase, "开始日期": day.isoformat()} for phase, day in campaign.phases.items()]


def ranking_table(proposal: ReviewProposal) -> list[dict[str, object]]:
    """Rows of the ranking artifact, one per ranked representative."""
    return [
        {
            "名次": r.rank,
            "等次": r.tier,
            "代表编号": r.ref,
            "标题": r.title,
            "校准分": round(r.final, 4),
            "原始均分": round(r.raw_mean, 2),
            "同组建议数": len(r.members),
        }
        for r in proposal.ranked
    ]


def ranking_markdown(proposal: ReviewProposal, *, clusters: int) -> str:
    """What the clerk reads before signing off: every ranked idea with its tier and score."""
    lines = [
        f"## {proposal.year}年度金点子评审排名（待审批）",
        "",
        f"- 共 {clusters} 组建议，入选 {len(proposal.ranked)} 条；批准后统一公布并通知全部提交人",
        "",
        "| 名次 | 等次 | 编号 | 标题 | 校准分 | 同组建议 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.rank} | {r.tier} | {r.ref} | {r.title} | {r.final:.3f} | {len(r.members)} |"
        for r in proposal.ranked
    ]
    return "\n".join(lines)


def actions_table(actions: list[IdeaAction]) -> list[dict[str, object]]:
    """Rows of the follow-through artifact: owner, due date, progress, reminders sent."""
    return [
        {
            "编号": a.ref,
            "责任部门": a.department,
            "完成期限": a.due.isoformat(),
            "进度": f"{a.progress}%",
            "状态": a.status,
            "催办次数": a.reminders,
        }
        for a in actions
    ]
