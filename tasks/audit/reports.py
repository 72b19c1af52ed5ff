"""The audit's findings in words a clerk reads (Chinese), for the terminal, the artifact and the
message to the operator; and in the `audit --json` shape."""

from __future__ import annotations

import re
from typing import Any

from tasks.audit.rules import AuditResult, Difference

PROCESSES = {
    "secondment": "教师挂职选派",
    "awards": "学习型组织和个人评选",
    "calendar": "年度活动安排",
    "ideas": "金点子征集",
    "network": "街道社区学校推广",
    "judging": "网上评分",
}
KINDS = {
    "placement": "全年选派方案",
    "selected": "入选",
    "ineligible": "资格审查不符合条件",
    "replacement": "递补",
    "listed": "列入拟表彰名单",
    "reserve": "候补",
    "flagged": "有效评分不足",
    "recused": "评委回避",
    "judge_shortage": "评委人数不足",
    "judge_assigned": "评委分配",
    "reassigned": "回避后改派",
    "judge_shortage_": "改派时评委不足",
    "scores_short_": "截止时有效评分不足",
    "promoted": "按排名递补",
    "no_reserve": "无可递补",
    "placed": "会议日期和会场",
    "rejected": "初筛未通过",
    "result": "评审排名",
    "merged": "近似建议合并",
    "rollout-opened": "建立开办任务",
    "rollout-overdue": "逾期催办",
    "rollout-done": "任务办结",
    "standard-reminder": "达标提醒",
}
FIELDS = {
    "street": "街道",
    "score": "得分",
    "reasons": "原因",
    "assignments": "选派名单",
    "total_score": "总分",
    "proof": "最优性",
    "rank": "名次",
    "final": "校准得分",
    "raw_mean": "原始均分",
    "draw": "签号",
    "status": "结果",
    "category": "类别",
    "n_valid": "有效评分",
    "judge": "评委",
    "needed": "需要评委",
    "available": "可评评委",
    "day": "日期",
    "venue": "会场",
    "title": "名称",
    "tier": "等次",
    "members": "同组建议",
    "refs": "分配提名",
    "per_item": "应有评分",
    "reason": "原因",
    "due": "期限",
    "kind": "事项",
    "plan_year": "计划年度",
    "replaces": "递补对象",
}
VALUES = {
    "optimal": "已证明最优",
    "optimal_total": "总分已证明最优",
    "best_found": "限时内最优",
    "listed": "列入名单",
    "reserve": "候补",
    "rejected": "不予受理",
    True: "是",
    False: "否",
}
WHAT = {
    "unknown_kind": "该类决定没有复核规则，无法复核",
    "no_inputs": "未保存作出该决定时的输入数据，无法复核",
    "rule_version": "作出该决定的规则版本与现行规则不同，无法按现行规则复核",
    "inputs": "保存的输入数据已被改动，与决定所依据的数据不一致",
    "seed": "记录的抽签种子为{recorded}，输入数据中的种子为{rederived}",
    "outcome": "记录为{recorded}；按记录的输入复核为{rederived}",
    "missing": "记录为{recorded}；按记录的输入复核不再得出该决定",
    "unrecorded": "按记录的输入复核得出{rederived}，但没有该决定的记录",
    "failed": "按记录的输入无法重新核算：{rederived}",
}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _value(value: Any) -> str:
    if isinstance(value, bool | str) and value in VALUES:
        return VALUES[value]
    if value is None:
        return "无"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, str):
        found = _ISO.match(value)
        return f"{int(found[1])}年{int(found[2])}月{int(found[3])}日" if found else value
    if isinstance(value, list):
        if value and all(isinstance(v, list) and len(v) == 2 for v in value):
            return "、".join(f"{_value(a)}（{_value(b)}）" for a, b in value)
        return "、".join(_value(v) for v in value) or "无"
    if isinstance(value, dict):
        return "，".join(f"{FIELDS.get(k, k)}{_value(v)}" for k, v in value.items())
    return str(value)


def _changed(recorded: Any, rederived: Any) -> tuple[Any, Any]:
    """Only the fields that differ, so that a long outcome does not hide the change."""
    if isinstance(recorded, dict) and isinstance(rederived, dict):
        keys = [k for k in {**recorded, **rederived} if recorded.get(k) != rederived.get(k)]
        return ({k: recorded.get(k) for k in keys}, {k: rederived.get(k) for k in keys})
    return recorded, rederived


def kind_label(kind: str) -> str:
    """A decision kind in Chinese; a numbered kind ("judge_shortage_PW03") by its prefix."""
    if kind in KINDS:
        return KINDS[kind]
    for name, label in KINDS.items():
        if name.endswith(("-", "_")) and kind.startswith(name):
            return label
    return kind


def subject_label(d: Difference) -> str:
    if d.subject.startswith("proposal-"):
        return "全年方案"
    if d.kind == "recused" and "/" in d.subject:
        ref, judge = d.subject.split("/", 1)
        return f"{ref}（评委{judge}）"
    title = (d.recorded or {}).get("title") if isinstance(d.recorded, dict) else None
    return str(title or d.subject)


def describe(d: Difference) -> str:
    """One difference in a line: which decision, what was recorded, what re-derivation gives."""
    recorded, rederived = d.recorded, d.rederived
    if d.what == "outcome":
        recorded, rederived = _changed(recorded, rederived)
    what = WHAT[d.what].format(recorded=_value(recorded), rederived=_value(rederived))
    process = PROCESSES.get(d.process, d.process)
    kind = kind_label(d.kind)
    return f"{process}：{subject_label(d)}的“{kind}”决定，{what}"


def summary(result: AuditResult) -> str:
    head = f"{result.year}年度复核自动决定{result.checked}项"
    if result.ok:
        return f"{head}，全部与记录一致（人工决定{result.acts}项不在复核之列）"
    return f"{head}，发现{len(result.differences)}处不一致（人工决定{result.acts}项不在复核之列）"


def lines(result: AuditResult) -> list[str]:
    return [describe(d) for d in result.differences]


def markdown(result: AuditResult) -> str:
    body = [f"# {result.year}年度自动决定复核", "", summary(result), ""]
    body += [f"- {line}" for line in lines(result)]
    body += ["", "| 流程 | 决定 | 复核项数 |", "|---|---|---:|"]
    for key, count in result.kinds.items():
        process, kind = key.split("/", 1)
        body.append(f"| {PROCESSES.get(process, process)} | {kind_label(kind)} | {count} |")
    return "\n".join(body) + "\n"


def as_json(result: AuditResult) -> dict[str, Any]:
    """`audit --json`: the counts and every difference with its Chinese description."""
    return {
        "year": result.year,
        "ok": result.ok,
        "checked": result.checked,
        "acts": result.acts,
        "kinds": result.kinds,
        "differences": [
            {**d.model_dump(mode="json"), "description": describe(d)} for d in result.differences
        ],
    }
