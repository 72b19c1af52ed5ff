"""Screening rules of one idea (R7.3): validation, spam/empty rejection, category."""

from __future__ import annotations

from models.profile.ideas import IdeasPolicy
from tasks.ideas.screening import (
    Submission,
    clean_phone,
    fingerprint,
    screen_idea,
    validate_submission,
)

POLICY = IdeasPolicy()


def test_validation_names_every_bad_field_without_echoing_the_phone() -> None:
    bad = Submission(submitter="", phone="1381234", community="火星居委", title="", content="短")
    problems = validate_submission(bad, policy=POLICY, communities={"嘉兴一居委"})
    assert set(problems) == {"submitter", "phone", "community", "title", "content"}
    assert "1381234" not in " ".join(problems.values())
    good = Submission(
        submitter="王芳",
        phone="+86 138-1234-5678",
        community="嘉兴一居委",
        title="读书会",
        content="建议每月举办一次社区读书会。",
    )
    assert validate_submission(good, policy=POLICY, communities={"嘉兴一居委"}) == {}
    assert clean_phone(good.phone) == "13812345678"


def test_spam_empty_and_category() -> None:
    spam = screen_idea(title="好消息", content="兼职日结，加微信 abc 详谈", policy=POLICY)
    assert spam.status == "rejected" and "加微信" in spam.reason and "R7.3" in spam.reason
    empty = screen_idea(title="！！", content="。。。。。。。。。。", policy=POLICY)
    assert empty.status == "rejected" and "空白" in empty.reason
    repeated = screen_idea(title="啊", content="啊啊啊啊啊啊啊啊啊啊啊啊", policy=POLICY)
    assert repeated.status == "rejected"
    ok = screen_idea(
        title="老年人智能手机课", content="建议为老人开设智能手机培训班。", policy=POLICY
    )
    assert ok.status == "screened" and ok.category == "elderly_education"
    assert "智能手机" in ok.reason


def test_fingerprint_ignores_punctuation_but_not_the_person() -> None:
    a = fingerprint(phone="13812345678", title="读书会", content="每月一次，读书。")
    assert a == fingerprint(phone="13812345678", title="读书会！", content="每月一次 读书")
    assert a != fingerprint(phone="13912345678", title="读书会", content="每月一次，读书。")
