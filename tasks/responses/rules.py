"""What may be answered through a personal link, and when (plain functions, no database).

Purposes and their choices:

- `secondment`: a seconded teacher confirms (按时到岗) or declines with a reason (不能到岗);
  a decline is final — it starts the replacement — so the link is used up by it; a
  confirmation may still be changed to a decline until the deadline;
- `meeting`: an invited audience answers 参加 / 不参加 / 委派他人参加 (with the delegate's
  name); changeable until the deadline, the last answer counts;
- `distribution`: a community office confirms the material reached every household (how many
  households, a note); final, as the calendar's own confirmation is.

A link opens only while its request is open: known, not revoked, not closed (a cancelled
meeting), not used up by a final answer, and before its deadline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tasks.common.links import Purpose
from tasks.common.text import clean_line, clean_text
from tasks.common.workdays import WorkCalendar

CHOICES: dict[str, dict[str, str]] = {
    "secondment": {"confirm": "按时到岗", "decline": "不能到岗"},
    "meeting": {"attend": "参加", "absent": "不参加", "delegate": "委派他人参加"},
    "distribution": {"delivered": "已发放到每一户"},
    "judging": {},  # a judge's link opens their scoring page (deployments/portal/judging.py)
}
FINAL: dict[str, frozenset[str]] = {
    "secondment": frozenset({"decline"}),
    "meeting": frozenset(),
    "distribution": frozenset({"delivered"}),
    "judging": frozenset(),
}
# Distribution offices are chased by the calendar's own reminders (every few working days).
REMINDED: frozenset[str] = frozenset({"secondment", "meeting"})
PURPOSE_NAMES = {
    "secondment": "挂职到岗确认",
    "meeting": "会议回执",
    "distribution": "资料发放确认",
    "judging": "评分",
}
REASON_MAX = 500
NAME_MAX = 50
HOUSEHOLDS_MAX = 1_000_000

LinkState = Literal["open", "unknown", "revoked", "closed", "used", "expired"]


class Answer(BaseModel):
    """One answer, cleaned and checked; only the fields its purpose uses are filled."""

    model_config = ConfigDict(frozen=True)

    choice: str
    reason: str = ""
    delegate: str = ""
    households: int | None = None
    note: str = ""
    by: str = ""

    def fields(self) -> dict[str, object]:
        """What is stored beside the choice (the empty ones left out)."""
        values = self.model_dump(exclude={"choice"})
        return {key: value for key, value in values.items() if value not in ("", None)}


def read_answer(purpose: Purpose, form: Mapping[str, str]) -> Answer | dict[str, str]:
    """The answer a form sends, or the problems by field (Chinese; never quoting the input)."""
    problems: dict[str, str] = {}
    choice = form.get("choice", "")
    if choice not in CHOICES[purpose]:
        labels = "、".join(CHOICES[purpose].values())
        return {"choice": f"请选择：{labels}"}
    reason = clean_text(form.get("reason", ""))
    note = clean_text(form.get("note", ""))
    delegate = clean_line(form.get("delegate", ""))
    by = clean_line(form.get("by", ""))
    if len(reason) > REASON_MAX:
        problems["reason"] = f"原因不能超过{REASON_MAX}个字"
    if len(note) > REASON_MAX:
        problems["note"] = f"备注不能超过{REASON_MAX}个字"
    if len(by) > NAME_MAX:
        problems["by"] = f"姓名不能超过{NAME_MAX}个字"
    if choice == "decline" and not reason:
        problems["reason"] = "请说明不能到岗的原因"
    if choice == "delegate":
        if not delegate:
            problems["delegate"] = "请填写委派参会人员的姓名"
        elif len(delegate) > NAME_MAX:
            problems["delegate"] = f"姓名不能超过{NAME_MAX}个字"
    households: int | None = None
    if purpose == "distribution":
        text = form.get("households", "").strip()
        if not text.isdigit() or not 0 < int(text) <= HOUSEHOLDS_MAX:
            problems["households"] = "请填写发放户数（正整数）"
        else:
            households = int(text)
    if problems:
        return problems
    return Answer(
        choice=choice,
        reason=reason if choice == "decline" else "",
        delegate=delegate if choice == "delegate" else "",
        households=households,
        note=note,
        by=by,
    )


def link_state(
    *,
    revoked: bool,
    closed: bool,
    deadline: datetime,
    now: datetime,
    purpose: str,
    last_choice: str | None,
) -> LinkState:
    """Whether a known link opens its form, and if not why (the refusal page says it)."""
    if revoked:
        return "revoked"
    if closed:
        return "closed"
    if last_choice is not None and last_choice in FINAL[purpose]:
        return "used"
    if now > deadline:
        return "expired"
    return "open"


def reminder_days(
    *, asked_on: date, deadline_day: date, offsets: Sequence[int], calendar: WorkCalendar
) -> list[date]:
    """The working days a non-responder is reminded on: OFFSETS working days before the
    deadline's day, each after the day it was asked (a late question gets fewer), in order."""
    days = {
        calendar.add_working_days(calendar.next_working_day(deadline_day), -offset)
        for offset in offsets
        if offset > 0
    }
    return sorted(day for day in days if asked_on < day <= deadline_day)


def reminder_due(
    *,
    asked_on: date,
    deadline_day: date,
    today: date,
    sent: int,
    offsets: Sequence[int],
    calendar: WorkCalendar,
) -> int | None:
    """The number of the reminder due by TODAY (1, 2, …) when one is due and not yet sent."""
    if not calendar.is_working_day(today) or today > deadline_day:
        return None
    due = [
        day
        for day in reminder_days(
            asked_on=asked_on, deadline_day=deadline_day, offsets=offsets, calendar=calendar
        )
        if day <= today
    ]
    return len(due) if len(due) > sent else None
