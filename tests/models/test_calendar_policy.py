"""The `calendar:` section of the district profile: defaults, cross-references, bad values."""

from __future__ import annotations

from datetime import date

import pytest

from models.profile.calendar import CalendarPolicy, month_day_of
from models.profile.loading import ProfileError, parse_profile

MINIMAL = """\
district: 示例区
streets:
  - name: 嘉兴路街道
    pilot: true
    communities: [嘉兴一居委]
venues:
  - {name: 报告厅, capacity: 300}
"""


def test_a_profile_without_the_section_gets_the_policy_defaults() -> None:
    profile = parse_profile(MINIMAL)
    policy = profile.calendar
    assert [m.kind for m in policy.meetings] == [
        "work_conference",
        "theory_symposium",
        "experience_exchange",
    ]
    assert policy.trainings is not None and policy.trainings.frequency == "quarterly"
    assert policy.reminder_offsets == [7, 1] and policy.avoid_activity_week


def test_unknown_audience_and_venue_are_named_with_their_line() -> None:
    text = (
        MINIMAL
        + """\
calendar:
  meetings:
    - kind: work_conference
      title: 工作会议
      window: ["01-01", "03-31"]
      audiences: [nobody]
      venues: [不存在的会场]
"""
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "district.yaml")
    problems = "\n".join(caught.value.problems)
    assert "参会对象“nobody”不在参会对象名单" in problems and "district.yaml 第14行" in problems
    assert "场地“不存在的会场”不在场地名单" in problems


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            '  meetings:\n    - {kind: a, title: t, window: ["13-01", "12-31"], audiences: [x]}\n',
            "不是有效的日期（月-日",
        ),
        (
            '  meetings:\n    - {kind: a, title: t, window: ["03-01", "01-31"], audiences: [x]}\n',
            "的结束早于开始",
        ),
        ("  reminder_offsets: [0]\n", "reminder_offsets"),
        ("  distribution: {confirm_within: 0}\n", "confirm_within"),
        ("  colour: red\n", r"（calendar\.colour）：不是区情配置中的项"),
        ("  invitation_lead_days: 5\n", "先发邀请，后发提醒"),
        ("  reply_before_days: 10\n", "应少于邀请提前天数"),
    ],
)
def test_bad_values_are_refused(section: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(MINIMAL + "calendar:\n" + section)


def test_month_days() -> None:
    assert month_day_of("02-29", 2024) == date(2024, 2, 29)
    assert month_day_of("02-29", 2026) == date(2026, 2, 28)
    assert CalendarPolicy().audience_sizes["street_staff"] == 40
