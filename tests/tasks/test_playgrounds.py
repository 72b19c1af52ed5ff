"""Open playgrounds (R8.2): the hours import, closure notices on holidays, the weekly schedule."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models.db import session_scope
from models.outbox import OutboxMessage
from models.playgrounds import PlaygroundHours
from models.profile.loading import default_profile_text, parse_profile
from models.profile.schema import DistrictProfile
from tasks.common.district import sync_registry
from tasks.common.holidays import current_work_calendar
from tasks.importing.playgrounds import import_playgrounds_file
from tasks.importing.reading import ImportRejected
from tasks.playgrounds.records import publish_week, stage_closure_notices, week_plan, year_closures

HEADER = "学校,季节,早间开放,晚间开放,开放设施\n"
HOURS = (
    "人民路第一小学,夏季,06:00-07:30,18:00-20:30,操场、篮球场\n"
    "人民路第一小学,冬季,06:30-07:30,17:30-19:30,操场、篮球场\n"
    "区实验小学,夏季,06:00-07:30,18:30-20:30,操场\n"
    "区实验小学,冬季,06:30-07:30,17:30-19:00,操场\n"
)
JIAXING = ["嘉兴一居委", "嘉兴二居委", "嘉兴三居委", "香烟桥居委"]


def register_hours(tmp_path: Path, rows: str = HOURS) -> None:
    path = tmp_path / "playgrounds.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    import_playgrounds_file(path)


def outbox(kind_prefix: str) -> list[OutboxMessage]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.flow == "playgrounds")).all()
    return [m for m in rows if m.kind.startswith(kind_prefix)]


def holiday_days(name: str, year: int) -> list[date]:
    workdays = current_work_calendar()
    day, found = date(year, 1, 1), []
    while day.year == year:
        if workdays.holiday_name(day) == name:
            found.append(day)
        day += timedelta(days=1)
    return found


def test_a_bad_file_is_refused_whole(registry: DistrictProfile, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "人民路第一小学,夏季,06:00-07:30,18:00-20:30,\n"  # no winter row for it
        "嘉兴中学,夏季,06:00-07:30,18:00-20:30,\n"  # not a primary school
        "区实验小学,夏季,04:00-05:30,18:00-23:00,\n"  # too early, too late
        "区实验小学,冬季,6点,17:30-19:00,\n",  # not a time span
        encoding="utf-8",
    )

    with pytest.raises(ImportRejected) as caught:
        import_playgrounds_file(path)

    text = "\n".join(caught.value.problems)
    assert "第3行「学校」列：“嘉兴中学”不是小学" in text
    assert "第4行「早间开放」列：早间应在05:00至09:00之间" in text
    assert "第4行「晚间开放」列：晚间应在16:00至22:00之间" in text
    assert "第5行「早间开放」列：“6点”不是时间段，应写作06:00-07:30" in text
    with session_scope() as session:
        assert session.exec(select(PlaygroundHours)).all() == []  # nothing written


def test_import_again_replaces_the_schools_hours(registry: DistrictProfile, tmp_path: Path) -> None:
    register_hours(tmp_path)
    register_hours(
        tmp_path,
        "人民路第一小学,夏季,05:30-07:30,18:00-21:00,操场\n"
        "人民路第一小学,冬季,06:30-07:30,17:30-19:30,操场\n",
    )

    with session_scope() as session:
        rows = {(h.school, h.season): h for h in session.exec(select(PlaygroundHours))}
    assert len(rows) == 4  # 区实验小学 kept
    assert rows["人民路第一小学", "夏季"].morning_open.hour == 5


def test_national_day_notice_goes_out_the_working_day_before(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    register_hours(tmp_path)
    days = holiday_days("国庆节", 2026)  # from the working-day calendar in force
    first, last = days[0], days[-1]
    notice_on = current_work_calendar().previous_working_day(first, include=False)

    early = stage_closure_notices(notice_on - timedelta(days=1))
    due = stage_closure_notices(notice_on)
    again = stage_closure_notices(notice_on)

    assert [c.reason for c in early if c.first == first] == []
    (closure,) = [c for c in due if c.first == first and c.street == "嘉兴路街道"]
    assert closure.reason == "国庆节假期" and closure.last == last
    assert closure.reopens == last + timedelta(days=1) and closure.schools == ("人民路第一小学",)
    assert again == []  # nothing twice
    notices = [m for m in outbox("closure-") if f"{first.month}月{first.day}日" in m.title]
    reached = sorted(m.audience for m in notices if "人民路第一小学" in m.body)
    assert reached == sorted(f"community-{c}" for c in JIAXING)  # its street's communities
    body = next(m.body for m in notices if m.audience == "community-嘉兴一居委")
    assert "因国庆节假期" in body and "人民路第一小学" in body and "区实验小学" not in body
    assert f"{last.month}月{last.day + 1}日起恢复开放" in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}|R\d", body)


def test_holidays_the_profile_does_not_name_keep_them_open(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    register_hours(tmp_path)

    found = year_closures(2026)

    reasons = {c.reason for c in found}
    assert {"春节假期", "国庆节假期", "期末考试", "高考考点封闭"} <= reasons
    assert not any("劳动节" in r or "中秋" in r for r in reasons)
    exam = [c for c in found if c.reason == "高考考点封闭"]
    assert [(c.street, c.schools) for c in exam] == [("海伦路街道", ("区实验小学",))]
    # 7 June 2026 is a Sunday: the notice goes out on Friday 5 June
    assert exam[0].notice_on == date(2026, 6, 5)


def test_an_estimated_holiday_says_so(db: Path, tmp_path: Path) -> None:
    text = default_profile_text()
    with session_scope() as session:
        sync_registry(session, profile=parse_profile(text), text=text, source="test")
    register_hours(tmp_path)
    festival = holiday_days("春节", 2030)  # no notice, no library data: the lunar estimate

    staged = stage_closure_notices(
        current_work_calendar().previous_working_day(festival[0], include=False)
    )

    assert staged and staged[0].estimated
    body = next(m.body for m in outbox("closure-") if m.audience == "community-嘉兴一居委")
    assert "按推算，以国务院办公厅通知为准" in body


def test_the_week_switches_season_and_goes_to_the_street(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    register_hours(tmp_path)
    monday = date(2026, 4, 27)  # winter until 30 April, summer from 1 May

    shown = week_plan(monday)
    published = publish_week(monday)
    publish_week(monday)

    assert shown == published
    jiaxing = next(s for s in shown.streets if s.street == "嘉兴路街道")
    lines = jiaxing.schools[0]["lines"]
    assert lines == [
        "2026年4月27日至4月30日早上6:30至7:30，晚上17:30至19:30",
        "2026年5月1日至5月3日早上6:00至7:30，晚上18:00至20:30",
    ]
    weeks = outbox("week-2026-04-27")
    assert {m.audience for m in weeks} == {f"community-{c}" for c in JIAXING} | {
        "community-海伦一居委",
        "community-海伦二居委",
        "community-海伦三居委",
        "community-宝山路居委",
    }  # the two streets with open schools, each community once
    body = next(m.body for m in weeks if m.audience == "community-嘉兴二居委")
    assert "人民路第一小学（操场、篮球场）" in body and "区实验小学" not in body
