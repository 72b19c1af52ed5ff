"""Artifacts and readable tables (Markdown) for operators; personal data masked."""

from __future__ import annotations

from collections import Counter

from openpyxl.worksheet.worksheet import Worksheet

from tasks.secondment.rules import Proposal


def proposal_table(proposal: Proposal, *, phones: dict[str, str]) -> list[dict[str, object]]:
    """Rows of the proposal table artifact (phones masked)."""
    from tasks.common.privacy import mask_phone

    return [
        {
            "街道": p.street,
            "工号": p.staff_id,
            "姓名": p.name,
            "学校": p.school,
            "骨干": "是" if p.backbone else "",
            "综合得分": p.merit,
            "意向加分": "是" if p.preferred else "",
            "得分": p.score,
            "手机": mask_phone(phones.get(p.staff_id, "")),
            "理由": p.reason,
        }
        for p in proposal.placements
    ]


def proposal_markdown(proposal: Proposal) -> str:
    """A short summary an operator reads before signing off."""
    per_street = Counter(p.street for p in proposal.placements)
    backbone = sum(1 for p in proposal.placements if p.backbone)
    lines = [
        f"## {proposal.year}年度教师挂职选派方案（R10.2）",
        "",
        f"- 符合条件教师 {proposal.eligible_count} 名，不符合条件 {len(proposal.ineligible)} 名",
        f"- 选派 {len(proposal.placements)} 名，其中骨干教师 {backbone} 名；总分 "
        f"{proposal.total_score:.3f}（已证明最优）",
        "- 各街道：" + "，".join(f"{s} {n} 名" for s, n in per_street.items()),
        "",
        "| 街道 | 工号 | 姓名 | 学校 | 得分 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.street} | {p.staff_id} | {p.name} | {p.school} | {p.score:.2f} |"
        for p in proposal.placements
    ]
    return "\n".join(lines)


FORMULA_STARTS = ("=", "+", "-", "@")


def keep_as_text(sheet: Worksheet) -> int:
    """Store every text cell that looks like a formula as plain text; return how many.

    openpyxl writes any string starting with "=" as a live formula, so a nominee named
    `=HYPERLINK(...)` in an imported file would run in the clerk's spreadsheet (formula
    injection, docs/threat-model.md). Numbers stay numbers.
    """
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                changed += 1
    return changed
