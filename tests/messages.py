"""One realistic rendering context per message template, and the lint every message must pass.

`python -m tests.messages` writes docs/messages.md from these examples; tests/tasks/test_messages.py
renders and lints every template with them, checks the document is current, and lints the demo's
outbox with `lint_message`.
"""

from __future__ import annotations

import re
import sys
from datetime import date, time
from pathlib import Path
from typing import Any

from models.profile.loading import load_profile
from tasks.notify.render import render, template_names

DOC = Path(__file__).resolve().parents[1] / "docs" / "messages.md"
LINK = "https://xuexi.example.gov.cn/r/q7Xk2mB9vT4pLw8nR3sY5dZc"

_PROFILE, _ = load_profile(None)
CENTRE = _PROFILE.contacts.centre
AWARDS = _PROFILE.contacts.awards

# Messages that ask their reader to do something by a date: each names its deadline and contact.
REQUESTS = {
    "awards_promotion",
    "awards_publicity",
    "calendar_distribution_reminder",
    "calendar_distribution_request",
    "calendar_invitation",
    "ideas_announce",
    "ideas_overdue",
    "judging_assigned",
    "judging_reassigned",
    "judging_reminder",
    "network_rollout",
    "responses_reminder",
    "secondment_teacher_selected",
}
# Requests answered through a personal link (an optional `link` variable).
ANSWERABLE = {
    "calendar_distribution_reminder",
    "calendar_distribution_request",
    "calendar_invitation",
    "judging_assigned",
    "judging_reassigned",
    "judging_reminder",
    "responses_reminder",
    "secondment_teacher_selected",
}

_PLACEMENTS = [
    {"name": "许宇", "staff_id": "T00077", "school": "广中中学", "street": "嘉兴路街道",
     "backbone": True, "replaces": None},
    {"name": "薛杰欣", "staff_id": "T00131", "school": "曲阳中学", "street": "嘉兴路街道",
     "backbone": False, "replaces": None},
    {"name": "王佳力", "staff_id": "T00066", "school": "洛阳中学", "street": "嘉兴路街道",
     "backbone": False, "replaces": "T00012"},
]  # fmt: skip

EXAMPLES: dict[str, dict[str, Any]] = {
    "responses_reminder": {
        "notice": "挂职选派通知", "recipient_name": "许宇老师", "title": "2026年度社区教育助理",
        "asked_on": date(2026, 3, 2), "deadline": date(2026, 3, 9), "contact": CENTRE, "link": LINK,
    },
    "secondment_teacher_selected": {
        "year": 2026, "name": "许宇", "street": "嘉兴路街道", "replaces": None,
        "reply_by": date(2026, 3, 9), "contact": CENTRE, "link": LINK,
    },
    "secondment_school": {
        "year": 2026, "school": "广中中学", "placements": _PLACEMENTS[:1],
        "reply_by": date(2026, 3, 9), "contact": CENTRE,
    },
    "secondment_street": {
        "year": 2026, "street": "嘉兴路街道", "placements": _PLACEMENTS,
        "reply_by": date(2026, 3, 9), "contact": CENTRE,
    },
    "secondment_declined": {
        "year": 2026, "street": "嘉兴路街道", "decliner_name": "许宇",
        "replacement_name": "王佳力", "replacement_school": "洛阳中学",
        "reply_by": date(2026, 3, 16), "contact": CENTRE,
    },
    "calendar_invitation": {
        "title": "社区教育工作会议", "day": date(2026, 2, 24), "start": time(9, 0),
        "end": time(11, 30), "venue": "区社区管理学校多功能厅",
        "audience_name": "街道和机关社区教育干部", "changed": True,
        "previous_day": date(2026, 2, 10), "previous_venue": "区社区教育指导中心报告厅",
        "reply_by": date(2026, 2, 18), "contact": CENTRE, "link": LINK,
    },
    "calendar_reminder": {
        "title": "社区教育干部培训（第一季度）", "day": date(2026, 1, 21), "start": time(9, 0),
        "end": time(16, 30), "venue": "区社区管理学校多功能厅", "offset": 1,
        "audience_name": "社区教育辅导员", "contact": CENTRE,
    },
    "calendar_cancel": {
        "title": "社区教育理论研讨会", "day": date(2026, 5, 20), "start": time(14, 0),
        "venue": "区老年大学会议室", "reason": "与区重点工作冲突",
        "audience_name": "理论研究组成员", "contact": CENTRE,
    },
    "calendar_annual_plan": {
        "year": 2026, "office": "嘉兴路街道",
        "month_start": date(2026, 9, 1), "month_end": date(2026, 9, 30),
        "week_start": date(2026, 9, 7), "week_end": date(2026, 9, 13),
        "publicity_day": date(2026, 9, 10), "request_on": date(2026, 9, 1),
        "material": "社区教育宣传资料（宣传月专刊、学习手册）",
        "meetings": [
            {"day": date(2026, 1, 21), "start": time(9, 0), "title": "社区教育干部培训（第一季度）",
             "venue": "区社区管理学校多功能厅"},
            {"day": date(2026, 2, 24), "start": time(9, 0), "title": "社区教育工作会议",
             "venue": "区社区管理学校多功能厅"},
            {"day": date(2026, 11, 18), "start": time(14, 0), "title": "社区教育经验交流会",
             "venue": "区社区管理学校多功能厅"},
        ],
        "notes": ["国庆节、中秋节假期：2026年10月1日至10月8日放假，10月10日（星期六）上班"],
        "contact": CENTRE,
    },
    "calendar_key_day": {
        "kind": "kickoff", "label": "社区教育宣传月启动", "day": date(2026, 9, 1), "year": 2026,
        "office": "嘉兴一居委", "month_start": date(2026, 9, 1), "month_end": date(2026, 9, 30),
        "week_start": date(2026, 9, 7), "week_end": date(2026, 9, 13),
        "material": "社区教育宣传资料（宣传月专刊、学习手册）", "notes": [], "contact": CENTRE,
    },
    "calendar_distribution_request": {
        "year": 2026, "community": "嘉兴一居委", "street": "嘉兴路街道",
        "material": "社区教育宣传资料（宣传月专刊、学习手册）",
        "month_start": date(2026, 9, 1), "month_end": date(2026, 9, 30),
        "due": date(2026, 9, 8), "contact": CENTRE, "link": LINK,
    },
    "calendar_distribution_reminder": {
        "year": 2026, "community": "嘉兴二居委", "street": "嘉兴路街道", "number": 1,
        "material": "社区教育宣传资料（宣传月专刊、学习手册）",
        "requested_on": date(2026, 9, 1), "today": date(2026, 9, 8), "due": date(2026, 9, 15),
        "contact": CENTRE, "link": LINK,
    },
    "ideas_announce": {
        "year": 2026, "audience_name": "全区居民朋友们", "collecting_from": date(2026, 9, 1),
        "collecting_to": date(2026, 9, 30), "publish_on": date(2026, 10, 22), "title_max": 100,
        "content_min": 10, "content_max": 5000,
        "submit_url": "https://xuexi.example.gov.cn/ideas", "contact": CENTRE,
    },
    "ideas_outcome": {
        "year": 2026, "submitter": "赵秀秀", "title": "关于在社区开设智能手机课堂的建议",
        "ref": "G2026-000001", "tier": "十佳", "rank": 3, "merged": True, "contact": CENTRE,
    },
    "ideas_rejected": {
        "submitter": "王芳", "title": "好", "ref": "G2026-000318",
        "reason": "去除标点和空白后只有1个有效字符，少于6个，视为空白提交", "contact": CENTRE,
    },
    "ideas_received": {
        "submitter": "王小明", "title": "在社区图书角增设亲子阅读时段", "ref": "2026-000318",
        "status_url": "https://xuexi.example.gov.cn/s/q3Jx9vN2kLmP0aZcT7yWbE4rUiOoHs5dFgKjLlXcVbN",
        "contact": CENTRE,
    },
    "ideas_done": {
        "submitter": "赵秀秀", "title": "关于在社区开设智能手机课堂的建议", "ref": "G2026-000001",
        "department": "区老年大学", "note": "已在12个居委开设智能手机课堂，累计授课48次",
        "contact": CENTRE,
    },
    "ideas_overdue": {
        "department": "区图书馆", "count": 2,
        "items": [
            {"ref": "G2026-000045", "title": "楼道图书角", "due": date(2027, 4, 20),
             "progress": 40},
            {"ref": "G2026-000213", "title": "亲子共读周末营", "due": date(2027, 4, 20),
             "progress": 70},
        ],
        "reply_by": date(2027, 5, 6), "contact": CENTRE,
    },
    "awards_objection_ruled": {
        "objector": "陈建国", "year": 2026, "name": "欧阳路街道学习型小区",
        "outcome": "异议不成立，维持公示", "ruling": "经核查，所反映情况与事实不符。",
        "contact": AWARDS,
    },
    "awards_publicity": {
        "year": 2026, "office": "嘉兴路街道", "start": date(2026, 12, 1),
        "end": date(2026, 12, 7), "days": 5,
        "groups": [
            ("学习型小区", [
                {"name": "嘉兴一小区", "street": "嘉兴路街道", "community": "嘉兴一居委"},
                {"name": "香烟桥小区", "street": "嘉兴路街道", "community": "香烟桥居委"},
            ]),
            ("学习带头人", [
                {"name": "何军杰", "street": "四川北路街道", "community": "四川北一居委"},
            ]),
        ],
        "contact": AWARDS,
    },
    "awards_promotion": {
        "year": 2026, "office": "嘉兴路街道", "withdrawn": "马强霞家庭", "name": "马秀强家庭",
        "category": "学习型家庭", "street": "曲阳路街道", "start": date(2026, 12, 7),
        "end": date(2026, 12, 9), "days": 3, "contact": AWARDS,
    },
    "awards_ruling": {
        "year": 2026, "office": "欧阳路街道", "name": "杨勇超家庭",
        "outcome": "异议不成立，维持公示", "ruling": "经核实，该家庭的活动记录属实",
        "contact": AWARDS,
    },
    "awards_street_final": {
        "year": 2026, "street": "嘉兴路街道",
        "entries": [
            {"category": "学习型小区", "name": "嘉兴一小区", "community": "嘉兴一居委"},
            {"category": "学习型家庭", "name": "周敏娟家庭", "community": "香烟桥居委"},
            {"category": "学习带头人", "name": "李敏磊", "community": "嘉兴一居委"},
        ],
        "objections": {"total": 2, "upheld": 1, "dismissed": 1},
        "contact": AWARDS,
    },
    "awards_winner": {
        "year": 2026, "name": "嘉兴一小区", "category": "学习型小区",
        "start": date(2026, 12, 1), "end": date(2026, 12, 7), "contact": AWARDS,
    },
    "judging_assigned": {
        "contest": "学习型组织评选", "noun": "提名", "role": "评委",
        "kept_from": "街道和单位", "year": 2026, "name": "李明", "count": 12,
        "deadline": date(2026, 11, 20), "contact": AWARDS, "link": LINK,
    },
    "judging_reassigned": {
        "contest": "学习型组织评选", "noun": "提名", "role": "评委",
        "year": 2026, "name": "王芳", "ref": "XQ-003", "item": "香烟桥小区",
        "deadline": date(2026, 11, 20), "contact": AWARDS, "link": LINK,
    },
    "judging_reminder": {
        "contest": "学习型组织评选", "noun": "提名", "role": "评委",
        "year": 2026, "name": "李明", "assigned": 12, "remaining": 5,
        "deadline": date(2026, 11, 20), "contact": AWARDS, "link": LINK,
    },
    "judging_deadline": {
        "contest": "学习型组织评选", "noun": "提名", "year": 2026, "deadline": date(2026, 11, 20),
        "items": 60, "per_item": 3, "complete": 58,
        "flagged": [("香烟桥小区", "学习型小区", 2), ("周敏娟家庭", "学习型家庭", 1)],
        "contact": AWARDS,
    },
    "audit_differences": {
        "year": 2026, "count": 2, "operator": "区社区教育指导中心信息管理员",
        "checked_on": date(2026, 12, 7), "contact": CENTRE, "lines": [
            "教师挂职选派：T00077的“入选”决定，记录为街道江湾镇街道；"
            "按记录的输入复核为街道嘉兴路街道",
            "学习型组织和个人评选：N2026-007的“列入拟表彰名单”决定，"
            "记录的抽签种子为7，输入数据中的种子为2026",
        ],
    },
    "network_rollout": {
        "kind": "open", "street": "四川北路街道", "school": "", "plan_year": 2027,
        "due": date(2027, 9, 1), "opened": None, "remind_by": date(2027, 2, 19),
        "hosts": ["四川北路小学"], "contact": CENTRE,
    },
    "playgrounds_closure": {
        "community": "嘉兴一居委", "reason": "国庆节假期", "first": date(2026, 10, 1),
        "span": "2026年10月1日至10月7日", "schools": ["人民路第一小学", "嘉兴路第二小学"],
        "reopens": date(2026, 10, 8), "estimated": False, "contact": CENTRE,
    },
    "playgrounds_week": {
        "street": "嘉兴路街道", "community": "嘉兴一居委", "span": "2026年9月28日至10月4日",
        "schools": [
            {"name": "人民路第一小学", "facilities": "操场、篮球场", "lines": [
                "2026年9月28日至9月30日早上6:00至7:30，晚上18:00至20:30",
                "2026年10月1日至10月4日暂停开放（国庆节假期）",
            ]},
            {"name": "嘉兴路第二小学", "facilities": "", "lines": [
                "2026年9月28日至10月4日早上6:00至7:30，晚上18:30至20:30",
            ]},
        ],
        "contact": CENTRE,
    },
    "units_thanks": {
        "unit": "示例科技有限公司", "district": "示例区", "pledged_on": date(2026, 3, 15),
        "confirmed_on": date(2026, 4, 1), "note": "图书已入库",
        "contribution": "出资人民币50,000元，用于社区学校购置图书和多媒体设备",
        "contact": CENTRE,
    },
}  # fmt: skip

# --------------------------------------------------------------------------- the lint

_URL = re.compile(r"https?://\S+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RULE_CODE = re.compile(r"(?<![A-Za-z0-9])R\d+(\.\d+)?")
_CN_DEADLINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(（星期.）)?前")
_SOLVER_WORDS = ("约束", "最优", "求解", "窗口内", "建议日期", "配额")


def lint_message(title: str, body: str, *, data_dir: str = "") -> list[str]:
    """What is wrong with one message as its reader sees it (empty when nothing is)."""
    problems = []
    text = f"{title}\n{body}"
    bare = _URL.sub("", text)
    if "learning-district " in text:
        problems.append("names a shell command")
    if "/" in bare or "\\" in bare or (data_dir and data_dir in text):
        problems.append("names a path")
    if _ISO_DATE.search(bare):  # (a link's random token may hold "-R12" or "2026-01-02")
        problems.append("writes an ISO date")
    if _RULE_CODE.search(bare):
        problems.append("cites a rule code")
    for word in _SOLVER_WORDS:
        if word in text:
            problems.append(f"uses solver language ({word})")
    if "None" in text or "（）" in text or "{{" in text or "{%" in text:
        problems.append("has a hole where a value should be")
    lines = body.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped in ("-", "- ", "•"):
            problems.append(f"empty list line {number + 1}")
        if "- " in stripped[2:]:
            problems.append(f"two items on line {number + 1}: {stripped}")
        if (
            number
            and stripped.endswith("：")
            and (number + 1 >= len(lines) or not lines[number + 1].startswith("- "))
        ):
            problems.append(f"line {number + 1} announces a list that does not follow")
    return problems


def rendered(name: str) -> tuple[str, str]:
    return render(name, **EXAMPLES[name])


def document() -> str:
    """docs/messages.md: every kind of message, rendered from its example."""
    parts = [
        "# Messages, as their readers receive them",
        "",
        "One rendered example of every message template (`tasks/notify/templates/*.j2`), from",
        "the realistic contexts in `tests/messages.py`. Regenerate with `python -m tests.messages`",
        "after changing a template; `tests/tasks/test_messages.py` fails while this file is stale.",
        "Messages marked *answerable* carry the recipient's personal link when the portal made",
        "one (the `link` variable); every message marked *request* names its deadline and the",
        "office's phone and address from the profile's `contacts:` section.",
    ]
    for name in template_names():
        title, body = rendered(name)
        marks = [m for m, s in (("request", REQUESTS), ("answerable", ANSWERABLE)) if name in s]
        heading = f"## {name}" + (f" ({', '.join(marks)})" if marks else "")
        parts += ["", heading, "", "```text", title, "", body, "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    DOC.write_text(document(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
