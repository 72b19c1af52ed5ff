"""The notice entered on a real database: import, precedence, plans on estimated days, re-check."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
import yaml
from sqlmodel import select

from models.audit import Decision
from models.awards import AwardEntry, AwardScore, Nomination
from models.db import session_scope
from models.holidays import HolidayEntry
from models.meetings import Meeting
from models.outbox import OutboxMessage
from models.params.awards import AwardsParameters
from models.params.calendar import CalendarParameters
from models.profile.loading import default_profile_text, parse_profile
from models.profile.schema import DistrictProfile
from tasks.awards import records as awards_records
from tasks.awards.rules import propose
from tasks.calendar import records
from tasks.calendar.distribution import stage_due
from tasks.calendar.meetings import move_meeting
from tasks.calendar.plan import record_calendar
from tasks.calendar.recheck import accept_recheck, recheck
from tasks.calendar.rules import reminder_dates
from tasks.calendar.scheduling import solve_schedule
from tasks.calendar.summary import calendar_result
from tasks.common.district import sync_registry
from tasks.common.holidays import current_work_calendar
from tasks.importing.holidays import import_holidays_file
from tasks.importing.reading import ImportRejected
from tasks.samples.awards import generate_nominations, generate_scores
from tests.holiday_notices import NOTICE_2026, NOTICE_2027, write_csv

FESTIVAL_2027 = {date(2027, 2, 5) + timedelta(days=i) for i in range(7)}  # 除夕 to 初六


def use_profile(text: str) -> DistrictProfile:
    profile = parse_profile(text)
    with session_scope() as session:
        sync_registry(session, profile=profile, text=text, source="test")
    return profile


def winter_profile() -> str:
    """The bundled district with two more meetings in February: one that would like the middle
    of the Spring Festival, one on the Friday after the estimated festival week."""
    data = yaml.safe_load(default_profile_text())
    data["calendar"]["meetings"] += [
        {
            "kind": "spring_briefing",
            "title": "春季工作布置会",
            "window": ["02-01", "02-26"],
            "preferred": "02-08",
            "audiences": ["researchers"],
        },
        {
            "kind": "festival_visit",
            "title": "节后走访座谈会",
            "window": ["02-12", "02-12"],
            "audiences": ["counsellors"],
        },
    ]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def plan(year: int) -> None:
    inputs = records.plan_inputs(CalendarParameters(year=year), year=year)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    assert record_calendar(inputs=inputs, schedule=schedule)


def approve_awards(profile: DistrictProfile, year: int, start: date) -> None:
    noms = generate_nominations(profile, year=year, per_category=7, seed=11)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(profile, noms, seed=11):
            session.add(AwardScore(**s.model_dump()))
    rules = awards_records.resolve_rules(AwardsParameters(year=year))
    nominations, scores = awards_records.load_inputs(year)
    proposal = propose(nominations, scores, rules=rules)
    assert awards_records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=start
    )


def meetings(year: int) -> dict[str, Meeting]:
    with session_scope() as session:
        rows = session.exec(select(Meeting).where(Meeting.year == year)).all()
    return {m.key: m for m in rows}


def publicity_periods(year: int) -> set[tuple[date, date]]:
    with session_scope() as session:
        rows = session.exec(select(AwardEntry).where(AwardEntry.year == year)).all()
    return {
        (e.publicity_start, e.publicity_end)
        for e in rows
        if e.publicity_start is not None and e.publicity_end is not None
    }


def reminders(kind_prefix: str) -> list[OutboxMessage]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage)).all()
    return [m for m in rows if m.kind.startswith(kind_prefix)]


def test_the_2026_notice_imported_gives_the_librarys_365_days(
    registry: DistrictProfile, db: Path
) -> None:
    entered = import_holidays_file(write_csv(db.parent / "2026.csv", NOTICE_2026))
    assert entered.years == {2026: (19, 6)} and entered.warnings == [] and entered.replaced == []

    workdays = current_work_calendar()
    assert workdays.source(2026) == "notice"
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert workdays.is_working_day(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)

    again = import_holidays_file(write_csv(db.parent / "again.csv", NOTICE_2026))
    assert again.replaced == [2026]
    with session_scope() as session:
        stored = session.exec(select(HolidayEntry).where(HolidayEntry.year == 2026)).all()
    assert len(stored) == 3 + 1 + 9 + 2 + 3 + 5 + 1 + 3 + 3 + 7 + 2  # every day once


def test_a_bad_notice_file_is_refused_whole_naming_rows(
    registry: DistrictProfile, db: Path
) -> None:
    rows = [
        *NOTICE_2027,
        ("2027-02-30", "放假", "春节"),
        ("2027-02-17", "上班", "春节"),  # a Wednesday
        ("2027-02-07", "放假", "春节"),  # already inside 2-5..2-13
        ("2027-03-01", "调休", "春节"),
    ]
    path = write_csv(db.parent / "bad.csv", rows)
    with pytest.raises(ImportRejected) as refused:
        import_holidays_file(path)
    text = "\n".join(refused.value.problems)
    first = len(NOTICE_2027) + 2  # the header is row 1
    assert f"第{first}行「日期」列：“2027-02-30”不是日期" in text
    assert f"第{first + 3}行「类型」列：“调休”不是放假或上班" in text
    assert len(refused.value.problems) == 2  # the rest is checked once the cells parse

    rows[-4], rows[-1] = ("2027-03-02", "放假", "春节"), ("2027-03-03", "放假", "春节")
    with pytest.raises(ImportRejected) as refused:
        import_holidays_file(write_csv(path, rows))
    assert refused.value.problems == [
        f"第{first + 1}行「日期」列：2027年2月17日是工作日（星期三），无需调休上班",
        f"第{first + 2}行「日期」列：2027年2月7日已在第2条填写过",
    ]
    with session_scope() as session:
        assert session.exec(select(HolidayEntry)).first() is None  # nothing written
    with pytest.raises(ImportRejected) as refused:
        import_holidays_file(write_csv(path, NOTICE_2027), year=2026)
    assert "不在2026年内" in refused.value.problems[0]


def test_an_import_wins_over_the_profile_and_the_profile_over_the_library(
    registry: DistrictProfile, db: Path
) -> None:
    typo = [r for r in NOTICE_2026 if r[0] != "2026-01-04"]
    data = yaml.safe_load(default_profile_text())
    data["holidays"]["notices"] = {2026: [{"日期": d, "类型": k, "名称": n} for d, k, n in typo]}
    use_profile(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    workdays = current_work_calendar()
    assert workdays.source(2026) == "notice"
    assert not workdays.is_working_day(date(2026, 1, 4))
    (warning,) = workdays.warnings(2026)
    assert "2026年1月4日（星期日）由休息日改为工作日" in warning

    import_holidays_file(write_csv(db.parent / "2026.csv", NOTICE_2026))
    workdays = current_work_calendar()
    assert workdays.is_working_day(date(2026, 1, 4)) and workdays.warnings(2026) == []


def test_a_2027_plan_on_estimated_days_then_the_notice_reports_what_moves(db: Path) -> None:
    profile = use_profile(winter_profile())
    plan(2027)
    approve_awards(profile, 2027, start=date(2027, 2, 3))
    placed = meetings(2027)
    workdays = current_work_calendar()

    # nothing falls in the estimated Spring Festival week: meetings, reminders, 公示 days
    assert placed["spring_briefing"].day == date(2027, 2, 4)  # nearest to 8 Feb, earlier first
    assert placed["festival_visit"].day == date(2027, 2, 12)  # a working day in the estimate
    assert placed["work_conference"].day == date(2027, 2, 24)
    offsets = profile.calendar.reminder_offsets
    for m in placed.values():
        assert m.day not in FESTIVAL_2027
        for _, day in reminder_dates(m.day, offsets, workdays=workdays):
            assert day not in FESTIVAL_2027, (m.key, day)
    ((start, end),) = publicity_periods(2027)
    assert (start, end) == (date(2027, 2, 3), date(2027, 2, 16))
    counted = [d for d in workdays.working_days_in(2027, 2) if start <= d <= end]
    assert len(counted) == 5 and not FESTIVAL_2027 & set(counted)
    result = calendar_result(2027)
    assert result is not None and result["holiday_source"] == "estimated"
    assert all(e["estimated"] for e in result["events"]) and result["recheck"] == []
    assert {"date": "2027-02-08", "name": "春节", "type": "放假", "estimated": True} in result[
        "holidays"
    ]
    assert not recheck(2027).needed

    # the notice comes: 12 Feb is a holiday too, Saturday 20 Feb is worked
    import_holidays_file(write_csv(db.parent / "2027.csv", NOTICE_2027))
    report = recheck(2027)
    assert report.basis == ["推算"] and report.current == "经办人员录入的国务院办公厅通知"
    assert [c.day for c in report.changed_days] == [
        date(2027, 2, 12),
        date(2027, 2, 20),
        date(2027, 4, 25),
        date(2027, 5, 8),
        date(2027, 9, 26),
        date(2027, 10, 9),
    ]
    assert [(d.process, d.label, d.old, d.new, d.on_changed_day) for d in report.dates] == [
        ("calendar", "节后走访座谈会（会议日期）", date(2027, 2, 12), None, True),
        (
            "calendar",
            "社区教育工作会议（提前7个工作日提醒）",
            date(2027, 2, 15),
            date(2027, 2, 16),
            False,
        ),
        ("awards", "表彰名单公示（30项）截止", date(2027, 2, 16), date(2027, 2, 17), False),
    ]
    assert report.dates[0].suggestion == date(2027, 2, 15)
    assert report.lines()[0] == (
        "节后走访座谈会（会议日期）：原定2027年2月12日（星期五）已不是工作日，须改期，"
        "最近的可用工作日为2027年2月15日（星期一）"
    )
    assert report.lines()[1] == (
        "社区教育工作会议（提前7个工作日提醒）：由2027年2月15日（星期一）改为2027年2月16日（星期二）"
    )
    result = calendar_result(2027)
    assert result is not None and result["holiday_source"] == "notice"
    assert result["recheck"] == report.lines() and report.note() in result["notes"]

    # the reminders already follow the notice: T-7 of the work conference goes out on 16 Feb
    stage_due(2027, today=date(2027, 2, 15))
    assert not reminders("reminder-work_conference-T7")
    stage_due(2027, today=date(2027, 2, 16))
    assert reminders("reminder-work_conference-T7")

    # the operator has seen it: recorded, and the plans now stand on the notice
    accepted = accept_recheck(year=2027, operator="李经办")
    assert accepted.dates == report.dates
    assert publicity_periods(2027) == {(date(2027, 2, 3), date(2027, 2, 17))}  # 5 working days
    with session_scope() as session:
        decided = session.exec(select(Decision).where(Decision.subject == "holidays")).all()
    assert sorted(d.process for d in decided) == ["awards", "calendar"]
    assert all("节后走访座谈会" in d.reason and "李经办" in d.reason for d in decided)
    # what is left is the meeting: its invitees must be told, so the operator moves it
    (left,) = recheck(2027).dates
    assert (left.subject, left.new, left.suggestion) == ("festival_visit", None, date(2027, 2, 15))
    move_meeting(year=2027, key="festival_visit", day=date(2027, 2, 15))
    assert not recheck(2027).needed and accept_recheck(year=2027, operator="李经办").dates == []


def test_a_meeting_cannot_be_moved_onto_a_day_the_notice_gives_off(db: Path) -> None:
    use_profile(winter_profile())
    plan(2027)
    import_holidays_file(write_csv(db.parent / "2027.csv", NOTICE_2027))
    with pytest.raises(records.CalendarError, match="不是工作日"):
        move_meeting(year=2027, key="spring_briefing", day=date(2027, 2, 12))
    moved = move_meeting(year=2027, key="festival_visit", day=date(2027, 2, 20))
    assert moved["changed"]  # a Saturday the notice makes a working day
