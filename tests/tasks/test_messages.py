"""Every message template rendered with realistic data and read as its recipient would."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from tasks.notify.render import (
    EmptyMessage,
    cn_date,
    cn_day,
    cn_span,
    cn_time,
    cn_when,
    render,
    template_names,
)
from tests.messages import (
    ANSWERABLE,
    AWARDS,
    CENTRE,
    DOC,
    EXAMPLES,
    LINK,
    REQUESTS,
    document,
    lint_message,
    rendered,
)

_DEADLINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(（星期.）)?前")


def test_every_template_has_an_example() -> None:
    assert set(EXAMPLES) == set(template_names())
    assert REQUESTS <= set(EXAMPLES) and ANSWERABLE <= REQUESTS


def test_official_dates_and_times() -> None:
    assert cn_date(date(2026, 1, 21)) == "2026年1月21日"
    assert cn_day("2026-01-21") == "2026年1月21日（星期三）"
    assert cn_when(date(2026, 1, 21), time(9, 0)) == "2026年1月21日（星期三）上午9:00"
    assert cn_time(time(14, 30)) == "下午2:30" and cn_time("12:00") == "中午12:00"
    assert cn_span(time(9, 0), time(11, 30)) == "上午9:00至11:30"
    assert cn_span(time(9, 0), time(16, 30)) == "上午9:00至下午4:30"


@pytest.mark.parametrize("name", template_names())
def test_every_message_reads_clean(name: str) -> None:
    title, body = rendered(name)

    assert lint_message(title, body) == []
    assert body.splitlines()[0].endswith("：") or body.splitlines()[0].endswith("您好：")


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_request_names_its_deadline_and_contact(name: str) -> None:
    _, body = rendered(name)
    contact = EXAMPLES[name]["contact"]

    assert _DEADLINE.search(body), body
    assert contact.phone in body and contact.address in body, body


@pytest.mark.parametrize("name", sorted(ANSWERABLE))
def test_a_link_is_a_line_of_its_own_and_optional(name: str) -> None:
    _, with_link = rendered(name)
    assert f"请点击链接回复：{LINK}" in with_link.splitlines()

    context = {k: v for k, v in EXAMPLES[name].items() if k != "link"}
    _, without = render(name, **context)
    assert "链接" not in without and lint_message("t", without) == []
    assert render(name, **context, link="")[1] == without


def test_list_items_stand_one_per_line() -> None:
    cases = {
        "secondment_street": [p["name"] for p in EXAMPLES["secondment_street"]["placements"]],
        "awards_street_final": [e["name"] for e in EXAMPLES["awards_street_final"]["entries"]],
        "awards_publicity": [
            e["name"] for _, g in EXAMPLES["awards_publicity"]["groups"] for e in g
        ],
        "ideas_overdue": [i["ref"] for i in EXAMPLES["ideas_overdue"]["items"]],
        "calendar_annual_plan": [m["title"] for m in EXAMPLES["calendar_annual_plan"]["meetings"]],
    }
    for name, items in cases.items():
        _, body = rendered(name)
        for item in items:
            lines = [line for line in body.splitlines() if item in line]
            assert len(lines) == 1, (name, item, body)
            others = [o for o in items if o != item and o in lines[0]]
            assert not others and lines[0].startswith("- "), (name, lines[0])


def test_the_idea_outcome_is_one_paragraph() -> None:
    _, body = rendered("ideas_outcome")
    assert "“关于在社区开设智能手机课堂的建议”（编号G2026-000001）经评审入选" in body
    _, plain = render("ideas_outcome", **{**EXAMPLES["ideas_outcome"], "tier": "", "merged": False})
    assert "（编号G2026-000001）已纳入评审，本次未入选" in plain


def test_discretion() -> None:
    # the street hears who could not come and who replaces them; not why, not staff ids
    _, declined = rendered("secondment_declined")
    assert "许宇" in declined and "王佳力" in declined and "T000" not in declined
    # a replacement teacher is told the place, not who declined
    _, selected = render(
        "secondment_teacher_selected",
        **{**EXAMPLES["secondment_teacher_selected"], "replaces": "T00012"},
    )
    assert "递补" in selected and "T00012" not in selected
    # the ruling names the nominee, never an objector (there is no variable for one)
    _, ruling = rendered("awards_ruling")
    assert "实名异议" in ruling and "objector" not in EXAMPLES["awards_ruling"]


def test_the_final_list_tells_what_happened_in_the_publicity() -> None:
    _, upheld = rendered("awards_street_final")
    assert "无异议" not in upheld and "1件成立" in upheld and "1件不成立" in upheld
    quiet = {
        **EXAMPLES["awards_street_final"],
        "objections": {"total": 0, "upheld": 0, "dismissed": 0},
    }
    assert "公示期满无异议" in render("awards_street_final", **quiet)[1]


def test_the_launch_gives_a_real_submission_address() -> None:
    _, body = rendered("ideas_announce")
    assert "https://xuexi.example.gov.cn/ideas" in body and "扫码" not in body
    _, offline = render("ideas_announce", **{**EXAMPLES["ideas_announce"], "submit_url": None})
    assert "网上提交" not in offline and CENTRE.address in offline and "电子邮件" not in offline
    assert AWARDS.phone not in offline


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("awards_publicity", "groups", []),
        ("awards_street_final", "entries", []),
        ("secondment_street", "placements", []),
        ("calendar_invitation", "day", None),
        ("ideas_overdue", "items", []),
    ],
)
def test_a_message_with_nothing_in_it_is_refused(name: str, field: str, value: object) -> None:
    with pytest.raises(EmptyMessage, match="通知内容不完整"):
        render(name, **{**EXAMPLES[name], field: value})


def test_the_messages_document_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == document(), "run: python -m tests.messages"
