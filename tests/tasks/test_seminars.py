"""The research group's seminars (R10.5) and who attended the cadre trainings (R7.1)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from models.attendance import Attendance
from models.audit import Decision
from models.db import session_scope
from models.meetings import CalendarYear, Meeting
from models.outbox import OutboxMessage
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from tasks.calendar import records
from tasks.calendar.attendance import training_attendance
from tasks.calendar.distribution import stage_due
from tasks.calendar.meetings import move_meeting, record_rsvp
from tasks.calendar.placement import EventSpec, PlacedEvent, ScheduleRules, VenueSpec, violations
from tasks.calendar.plan import record_calendar
from tasks.calendar.records import CalendarError
from tasks.calendar.rules import invitation_day
from tasks.calendar.scheduling import solve_schedule
from tasks.calendar.seminars import plan_seminars
from tasks.common.holidays import current_work_calendar
from tasks.importing.attendance import import_attendance_file
from tasks.importing.reading import ImportRejected
from tasks.kpi.report import collect_kpis

QUARTERS = [(1, 3), (4, 6), (7, 9), (10, 12)]


def plan_year(year: int) -> None:
    inputs = records.plan_inputs(CalendarParameters(year=year), year=year)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    assert record_calendar(inputs=inputs, schedule=schedule)


def scheduled(year: int) -> list[Meeting]:
    with session_scope() as session:
        return list(
            session.exec(
                select(Meeting).where(Meeting.year == year, Meeting.status == "scheduled")
            ).all()
        )


def outbox(prefix: str) -> list[OutboxMessage]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage)).all()
    return [m for m in rows if m.kind.startswith(prefix)]


def test_seminars_are_placed_around_the_years_meetings(registry: DistrictProfile) -> None:
    plan_year(2026)
    # the third quarter's seminar would fall on Friday 14 August (15 August is a Saturday);
    # put a training there first
    move_meeting(year=2026, key="cadre_training_3", day=date(2026, 8, 14), reason="测试")

    result = plan_seminars(year=2026)

    assert result.placed and len(result.seminars) == 4
    meetings = scheduled(2026)
    days = [m.day for m in meetings]
    assert len(days) == len(set(days)) == 11  # 3 meetings, 4 trainings, 4 seminars: no clash
    workdays = current_work_calendar()
    with session_scope() as session:
        stored = session.get(CalendarYear, 2026)
        assert stored is not None
        year_rules = ScheduleRules.model_validate({**stored.rules, "workdays": workdays})
    placed = [
        PlacedEvent(
            key=m.key,
            kind=m.kind,
            title=m.title,
            day=m.day,
            venue=m.venue,
            audiences=tuple(m.audiences),
            invitees=m.invitees,
            reason="",
        )
        for m in meetings
    ]
    whole_year = [
        EventSpec(
            key=m.key,
            kind=m.kind,
            title=m.title,
            window_start=date(2026, 1, 1),
            window_end=date(2026, 12, 31),
            preferred=m.day,
            audiences=tuple(m.audiences),
            invitees=m.invitees,
        )
        for m in meetings
    ]
    venues = [VenueSpec(name=v.name, capacity=v.capacity) for v in registry.venues]
    assert violations(placed, whole_year, venues, rules=year_rules) == []
    seminars = sorted((m for m in meetings if m.kind == "research_seminar"), key=lambda m: m.day)
    for seminar, (first, last) in zip(seminars, QUARTERS, strict=True):
        assert first <= seminar.day.month <= last and workdays.is_working_day(seminar.day)
        assert seminar.audiences == ["researchers"] and seminar.start_time.hour == 14
    third = seminars[2]
    # 14 August is taken: the nearest free working day, the earlier one on a tie (13 and 17)
    assert third.day == date(2026, 8, 13) and "R10.5" in third.reason
    with session_scope() as session:
        decisions = session.exec(
            select(Decision).where(Decision.subject.startswith("research_seminar"))
        ).all()
    assert {d.rule for d in decisions} == {"R10.5"} and len(decisions) == 4


def test_invited_like_the_other_meetings_and_placed_once(registry: DistrictProfile) -> None:
    plan_year(2026)
    placed = plan_seminars(year=2026)
    assert outbox("invitation-research_seminar_") == []  # placing sends nothing
    before = len(outbox(""))

    again = plan_seminars(year=2026)

    assert not again.placed and len(again.seminars) == 4
    assert len(outbox("")) == before  # nothing written or sent twice
    workdays = current_work_calendar()
    for seminar in placed.seminars:  # the daily run invites a lead time before, as for any meeting
        stage_due(2026, today=invitation_day(seminar.day, registry.calendar, workdays=workdays))
    invitations = outbox("invitation-research_seminar_")
    assert len(invitations) == 4 and {m.audience for m in invitations} == {"group-researchers"}
    answer = record_rsvp(year=2026, key="research_seminar_2", attendee="赵德明", response="参加")
    assert answer["counts"] == {"accepted": 1}
    seminar = next(m for m in scheduled(2026) if m.key == "research_seminar_2")
    stage_due(2026, today=workdays.add_working_days(seminar.day, -1))
    assert any(m.kind.startswith("reminder-research_seminar_2") for m in outbox("reminder-"))


def test_an_unplanned_year_is_refused(registry: DistrictProfile) -> None:
    with pytest.raises(CalendarError, match="尚未排定"):
        plan_seminars(year=2027)
    assert scheduled(2027) == []


# ------------------------------------------------------------------------------ attendance

HEADER = "会议日期,会议,姓名,参会对象,单位\n"


def test_who_was_invited_answered_and_signed_in(registry: DistrictProfile, tmp_path: Path) -> None:
    plan_year(2026)
    training = next(m for m in scheduled(2026) if m.key == "cadre_training_1")
    for name, answer in (("王芳", "参加"), ("李强", "不参加"), ("赵敏", "参加")):
        record_rsvp(year=2026, key=training.key, attendee=name, response=answer)
    sheet = tmp_path / "签到.csv"
    sheet.write_text(
        HEADER + f"{training.day},,王芳,社区教育辅导员,嘉兴路街道\n"
        # a clerk types full-width brackets: they read as ( ) and still match
        f"{training.day},社区教育干部培训（第一季度）,孙丽,社区教育助理（挂职教师）,\n",
        encoding="utf-8",
    )

    first = import_attendance_file(sheet, year=2026)
    again = import_attendance_file(sheet, year=2026)  # the same list again replaces it

    assert (first.rows, first.replaced, again.replaced) == (2, 0, 2)
    row = next(r for r in training_attendance(2026) if r.key == training.key)
    assert (row.invited, row.answered, row.accepted, row.declined, row.signed_in) == (
        training.invitees,
        3,
        2,
        1,
        2,
    )
    assert row.accepted_absent == ["赵敏"] and row.unannounced == ["孙丽"]
    lines = {line.key: line for line in collect_kpis(year=2026).lines}
    invited = sum(m.invitees for m in scheduled(2026) if m.kind == "cadre_training")
    assert lines["training_invited"].actual == invited
    assert lines["training_answered"].actual == 3 and lines["training_signed_in"].actual == 2
    assert lines["training_signed_in"].target == math.ceil(0.8 * invited)
    assert lines["training_signed_in"].met is False


def test_a_bad_sign_in_sheet_is_refused_whole(registry: DistrictProfile, tmp_path: Path) -> None:
    plan_year(2026)
    training = next(m for m in scheduled(2026) if m.key == "cadre_training_2")
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        HEADER + f"{training.day},,王芳,,\n"
        f"{training.day},,王芳,,\n"  # twice
        f"{training.day},,李强,理论研究组成员,\n"  # an audience not invited
        f"{training.day},工作会议,周敏,,\n"  # no such meeting that day
        "2026-08-09,,吴静,,\n",  # a Sunday without a meeting
        encoding="utf-8",
    )

    with pytest.raises(ImportRejected) as caught:
        import_attendance_file(sheet, year=2026)

    text = "\n".join(caught.value.problems)
    assert "第3行「姓名」列：“王芳”已在第2行签到" in text
    assert "第4行「参会对象」列：" in text and "未邀请“理论研究组成员”" in text
    assert "第5行「会议」列：当天没有名称含“工作会议”的会议" in text
    assert "第6行「会议日期」列：2026年8月9日没有已安排的会议" in text
    with session_scope() as session:
        assert session.exec(select(Attendance)).all() == []
