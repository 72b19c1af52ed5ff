"""The `holidays:` section of the district profile: a notice typed by a clerk, and the estimate."""

from __future__ import annotations

from datetime import date

import pytest

from models.profile.holidays import HolidayEstimate, parse_days
from models.profile.loading import ProfileError, parse_profile

MINIMAL = "district: 示例区\nstreets:\n  - name: 嘉兴路街道\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ProfileError) as refused:
        parse_profile(MINIMAL + text, "district.yaml")
    return refused.value.problems


def test_a_notice_in_chinese_or_english_keys_with_days_or_ranges() -> None:
    profile = parse_profile(
        MINIMAL
        + """\
holidays:
  notices:
    2027:
      - {日期: 2027-02-05至2027-02-13, 类型: 放假, 名称: 春节}
      - {日期: 2027年2月20日, 类型: 上班, 名称: 春节}
      - {date: "2027/4/3 ~ 2027/4/5", type: 放假, name: 清明节}
"""
    )
    lines = profile.holidays.notices[2027]
    assert [e.days for e in lines] == [
        (date(2027, 2, 5), date(2027, 2, 13)),
        (date(2027, 2, 20), date(2027, 2, 20)),
        (date(2027, 4, 3), date(2027, 4, 5)),
    ]
    assert [e.kind for e in lines] == ["off", "on", "off"]
    assert len(lines[0].each_day()) == 9
    assert profile.holidays.estimate == HolidayEstimate()  # the default rule


def test_a_profile_without_the_section_estimates_the_usual_way() -> None:
    estimate = parse_profile(MINIMAL).holidays.estimate
    assert estimate.spring_festival == ("除夕", "初六")
    assert estimate.spring_festival_offsets == (-1, 5)


def test_mistakes_are_named_with_their_line_in_chinese() -> None:
    found = problems(
        """\
holidays:
  notices:
    2027:
      - {日期: 2027-02-05至2027-02-13, 类型: 放假, 名称: 春节}
      - {日期: 2027-02-35, 类型: 放假, 名称: 春节}
      - {日期: 2027-03-01, 类型: 调休, 名称: 春节}
"""
    )
    assert found == [
        "district.yaml 第8行（holidays.notices[2027][1].日期）："
        "“2027-02-35”不是日期，应写作2027-02-05或2027年2月5日",
        "district.yaml 第9行（holidays.notices[2027][2].类型）：“调休”不是放假或上班",
    ]
    found = problems(
        """\
holidays:
  notices:
    2027:
      - {日期: 2027-02-05至2027-02-13, 类型: 放假, 名称: 春节}
      - {日期: 2027-02-17, 类型: 上班, 名称: 春节}
      - {日期: 2027-02-08, 类型: 放假, 名称: 春节}
      - {日期: 2026-10-01, 类型: 放假, 名称: 国庆节}
"""
    )
    assert found == [
        "district.yaml 第8行（holidays.notices.2027[1]）："
        "2027年2月17日是工作日（星期三），无需调休上班",
        "district.yaml 第9行（holidays.notices.2027[2]）：2027年2月8日已在第1条填写过",
        "district.yaml 第10行（holidays.notices.2027[3]）：2026年10月1日不在2027年内",
    ]


def test_the_new_year_days_may_reach_back_into_december() -> None:
    profile = parse_profile(
        MINIMAL
        + """\
holidays:
  notices:
    2019:
      - {日期: 2018-12-30至2019-01-01, 类型: 放假, 名称: 元旦}
      - {日期: 2018-12-29, 类型: 上班, 名称: 元旦}
"""
    )
    assert len(profile.holidays.notices[2019]) == 2


def test_the_estimate_rule_is_checked() -> None:
    found = problems("holidays:\n  estimate:\n    spring_festival: [初三, 除夕]\n")
    assert "春节放假从初三开始，不能在除夕之前结束" in found[0]
    found = problems("holidays:\n  estimate:\n    spring_festival: [腊月廿八, 初六]\n")
    assert "“腊月廿八”不是可用的春节日子" in found[0]
    found = problems('holidays:\n  estimate:\n    national_day: ["10-02", "10-07"]\n')
    assert "国庆节（national_day）假期10-02至10-07应包含10-01，且不超过15天" in found[0]


@pytest.mark.parametrize(
    "text",
    [
        "2027-02-13至2027-02-05",
        "2027-01-01至2027-03-01",
        "二月五日",
        "2027-02-05至",
        "99999999999999999999-01-01",
    ],
)
def test_a_range_that_is_no_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_days(text)
