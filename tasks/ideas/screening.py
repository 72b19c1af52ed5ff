"""Screening of one idea (R7.3): validation, normalisation, spam/empty rejection, category.

Plain functions, no Prefect and no database. Near-duplicate clustering is in `tasks.common.dedup`;
the clerk's edits to clusters are replayed here (`apply_edits`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from models.ideas import IdeaClusterEdit
from models.profile.ideas import IdeasPolicy
from tasks.common.dedup import idea_key
from tasks.common.privacy import mask_text
from tasks.common.text import clean_line, clean_text

RULE = "R7.3"
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")
_LINK = re.compile(r"(https?://|www\.|\.com\b|\.cn\b)", re.IGNORECASE)


class Submission(BaseModel):
    """What a resident sends (any of the three ways in), before it is stored."""

    model_config = ConfigDict(frozen=True)

    submitter: str
    phone: str
    community: str
    title: str
    content: str
    ref: str = ""
    category: str = ""  # chosen by the submitter (code or Chinese name); empty = not sure

    @field_validator("submitter", "phone", "community", "title", "ref", "category", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        """Control characters and bidi overrides stripped, whichever way the text came in."""
        return clean_line(value) if isinstance(value, str) else value

    @field_validator("content", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return clean_text(value) if isinstance(value, str) else value


def clean_phone(text: str) -> str | None:
    """The 11-digit mobile number without spaces, dashes or +86; None when it is not one."""
    digits = _PHONE_NOISE.sub("", text)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    return digits if _MOBILE.fullmatch(digits) else None


def category_choices(policy: IdeasPolicy) -> list[tuple[str, str]]:
    """The categories a submitter may choose, (code, Chinese name), in the profile's order."""
    codes = [*policy.categories, *([] if "other" in policy.categories else ["other"])]
    return [(code, policy.category_labels.get(code, code)) for code in codes]


def chosen_category(text: str, *, policy: IdeasPolicy) -> str | None:
    """The category code a submitter chose (by code or by Chinese name); "" when none was
    chosen, None when TEXT names no category of the profile."""
    return choice_of(text, category_choices(policy))


def choice_of(text: str, choices: Sequence[tuple[str, str]]) -> str | None:
    """The code of the (code, name) choice TEXT names; "" for an empty TEXT, None for none."""
    text = text.strip()
    if not text:
        return ""
    for code, label in choices:
        if text in (code, label):
            return code
    return None


def validate_submission(
    submission: Submission, *, policy: IdeasPolicy, communities: set[str]
) -> dict[str, str]:
    """Problems by field name (empty when valid); messages never echo the phone number."""
    problems: dict[str, str] = {}
    title = unicodedata.normalize("NFKC", submission.title).strip()
    content = unicodedata.normalize("NFKC", submission.content).strip()
    if not submission.submitter.strip():
        problems["submitter"] = "提交人不能为空"
    if clean_phone(submission.phone) is None:
        problems["phone"] = "手机号须为 11 位中国大陆手机号（13-19 开头）"
    if submission.community not in communities:
        problems["community"] = f"社区“{submission.community}”不在本区社区名录中"
    if not 1 <= len(title) <= policy.title_max:
        problems["title"] = f"标题须为 1-{policy.title_max} 个字，现为 {len(title)} 个字"
    if not policy.content_min <= len(content) <= policy.content_max:
        problems["content"] = (
            f"内容须为 {policy.content_min}-{policy.content_max} 个字，现为 {len(content)} 个字"
        )
    if chosen_category(submission.category, policy=policy) is None:
        problems["category"] = f"类别“{submission.category}”不是本次征集的类别"
    return problems


def fingerprint(*, phone: str, title: str, content: str) -> str:
    """Same person + same idea (after normalisation) ⇒ same fingerprint: a resubmission."""
    text = f"{phone}\x1f{idea_key(title, content)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Screening(BaseModel):
    """The outcome of screening one idea, with a clerk-readable reason citing R7.3."""

    model_config = ConfigDict(frozen=True)

    status: Literal["screened", "rejected"]
    key: str
    category: str
    reason: str

    @property
    def notice(self) -> str:
        """The reason as the submitter reads it: no verdict prefix, no rule code."""
        return self.reason.removeprefix("不予受理：").removesuffix(f"（{RULE}）")


def categorise(text: str, *, categories: dict[str, list[str]]) -> tuple[str, list[str]]:
    """The category with most keyword hits (profile order breaks ties), and the hits."""
    best, best_hits = "other", list[str]()
    for name, words in categories.items():
        hits = [w for w in words if w in text]
        if len(hits) > len(best_hits):
            best, best_hits = name, hits
    return best, best_hits


def screen_idea(*, title: str, content: str, policy: IdeasPolicy, chosen: str = "") -> Screening:
    """NFKC + key, spam/empty rejection with reasons, then the category: the one the submitter
    CHOSE when it is still a category of the profile, else by the profile's keyword rules."""
    key = idea_key(title, content)
    text = unicodedata.normalize("NFKC", f"{title}\n{content}").lower()
    if len(key) < policy.min_key_chars:
        return Screening(
            status="rejected",
            key=key,
            category="",
            reason=f"不予受理：去除标点和空白后只有 {len(key)} 个有效字符，"
            f"少于 {policy.min_key_chars} 个，视为空白提交（{RULE}）",
        )
    spam = [w for w in policy.spam_keywords if w.lower() in text]
    if spam:
        return Screening(
            status="rejected",
            key=key,
            category="",
            reason=f"不予受理：含广告或违规用语“{'、'.join(spam)}”（{RULE}）",
        )
    if _LINK.search(text):
        return Screening(
            status="rejected",
            key=key,
            category="",
            reason=f"不予受理：含网址链接，疑似广告（{RULE}）",
        )
    top, count = Counter(key).most_common(1)[0]
    if count * 2 > len(key):
        return Screening(
            status="rejected",
            key=key,
            category="",
            reason=f"不予受理：“{top}”占全文一半以上，疑似无意义重复内容（{RULE}）",
        )
    code = chosen_category(chosen, policy=policy) if chosen else None
    if code:
        reason = f"提交人自选类别，归入 {code}（{RULE}）"
        return Screening(status="screened", key=key, category=code, reason=reason)
    category, hits = categorise(text, categories=policy.categories)
    why = f"按关键词“{'、'.join(hits)}”归入 {category}" if hits else "未命中分类关键词，归入 other"
    return Screening(status="screened", key=key, category=category, reason=f"{why}（{RULE}）")


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


def shown(text: str) -> str:
    """Text as it may be shown to anyone but its author: phones and ID numbers masked."""
    return mask_text(unicodedata.normalize("NFKC", text))
