"""The calendar's database side on a real SQLite file: plan, notices, moves, RSVP, distribution."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlmodel import select

from models.audit import Decision
from models.db import session_scope
from models.meetings import CalendarYear, Distribution, Meeting
from models.outbox import OutboxMessage
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from tasks.calendar import records
from tasks.calendar.distribution import confirm_distribution, stage_due
from tasks.calendar.files import write_year_files
from tasks.calendar.meetings import cancel_meeting, move_meeting, record_rsvp
from tasks.calendar.plan import record_calendar
from tasks.calendar.records import CalendarError
from tasks.calendar.rules import invitation_day, plan_notice_day, reminder_dates, reply_day
from tasks.calendar.scheduling import solve_schedule
from tasks.calendar.summary import calendar_result, coverage, notice_days
from tasks.common.ics import ics_path, parse_ics
from tasks.common.workdays import WorkCalendar
from tests.messages import lint_message

WORKDAYS = WorkCalendar()  # nothing entered: the library, or the estimate beyond it


def plan(year: int, operator: str = "", comment: str = "", **params: object) -> bool:
    inputs = records.plan_inputs(CalendarParameters(year=year, **params), year=year)  # type: ignore[arg-type]
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    return record_calendar(inputs=inputs, schedule=schedule, operator=operator, comment=comment)


def messages(kind_prefix: str = "") -> list[OutboxMessage]:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
    return [m for m in rows if m.kind.startswith(kind_prefix)]


def meeting(year: int, key: str) -> Meeting:
    with session_scope() as session:
        row = session.exec(select(Meeting).where(Meeting.year == year, Meeting.key == key)).one()
    return row


def test_signing_off_stores_the_year_and_sends_nothing(registry: DistrictProfile, db: Path) -> None:
    assert plan(2026, operator="主任", comment="同意")
    communities = sum(len(s.communities) for s in registry.streets)
    with session_scope() as session:
        meetings = session.exec(select(Meeting)).all()
        rows = session.exec(select(Distribution)).all()
        placed = session.exec(select(Decision).where(Decision.kind == "placed")).all()
        signed = session.exec(select(Decision).where(Decision.kind == "signed_off")).one()
    assert len(meetings) == 7 and len(placed) == 7 and len(rows) == communities
    assert all(WORKDAYS.is_working_day(m.day) for m in meetings)
    assert "主任批准2026年" in signed.reason and "同意" in signed.reason
    assert messages() == []  # planning is not sending

    # each meeting has its .ics file under the data dir; it parses and carries the UID
    write_year_files(2026)
    conference = meeting(2026, "work_conference")
    path = ics_path(
        records.calendar_dir(), year=2026, key="work_conference", sequence=0, cancelled=False
    )
    assert path.resolve().is_relative_to(db.resolve()) and path.exists()
    (parsed,) = parse_ics(path.read_bytes())
    assert parsed.uid == conference.uid and parsed.method == "REQUEST"
    # what the invitee's calendar shows: who is invited and whom to call, not why this date
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    description = str(event["DESCRIPTION"])
    assert description.startswith("参会对象：") and registry.contacts.centre.name in description
    assert conference.reason and conference.reason not in description
    assert lint_message("", description) == []

    # signing off the same year again writes nothing
    assert not plan(2026)
    assert messages() == []


def test_every_notice_goes_out_on_its_own_date(registry: DistrictProfile, db: Path) -> None:
    plan(2026)
    policy = registry.calendar
    offices = len(registry.streets) + sum(len(s.communities) for s in registry.streets)
    notice_on = plan_notice_day(2026, policy, workdays=WORKDAYS)
    assert notice_on < date(2026, 1, 1)

    # a year ahead, and the day before the plan notice: nothing at all
    assert stage_due(2026, today=date(2025, 1, 6)).total == 0
    assert stage_due(2026, today=notice_on - timedelta(days=1)).total == 0
    # the plan notice on its day, to every office, once
    report = stage_due(2026, today=notice_on)
    assert report.plan_notices == offices and report.invitations == 0
    assert stage_due(2026, today=notice_on).total == 0

    # each invitation from its lead day on (not before), to every invited audience, once
    conference = meeting(2026, "work_conference")
    invite_on = invitation_day(conference.day, policy, workdays=WORKDAYS)
    assert WORKDAYS.working_days_between(invite_on, conference.day) == 11  # 10 before, and it
    before = stage_due(2026, today=invite_on - timedelta(days=1))
    assert not messages("invitation-work_conference")
    on_day = stage_due(2026, today=invite_on)
    invitations = messages("invitation-work_conference")
    assert len(invitations) == len(conference.audiences) and on_day.invitations >= len(invitations)
    assert before.invitations + on_day.invitations == len(messages("invitation-"))
    body = invitations[0].body
    reply_by = reply_day(conference.day, policy, workdays=WORKDAYS)
    assert f"请于{reply_by.year}年{reply_by.month}月{reply_by.day}日前回复" in body
    assert "日历文件" not in body and str(db) not in body  # the file is never named
    assert stage_due(2026, today=invite_on).invitations == 0

    # a run on each day something falls due (the days the demo walks): by the end of the year
    # every meeting has had its invitation, each audience once, none before its lead day
    days = notice_days(2026)
    assert days[0] == notice_on and invite_on in days and date(2026, 9, 1) in days
    for day in days:
        stage_due(2026, today=day)
    with session_scope() as session:
        scheduled = session.exec(select(Meeting).where(Meeting.year == 2026)).all()
    sent = messages("invitation-")
    assert len(sent) == sum(len(m.audiences) for m in scheduled)  # one per meeting and audience
    assert {m.kind.rsplit("-v", 1)[0] for m in sent} == {f"invitation-{m.key}" for m in scheduled}
    assert len(messages("annual-plan")) == offices


def test_a_move_before_the_invitation_tells_nobody_yet(registry: DistrictProfile) -> None:
    plan(2026)
    symposium = meeting(2026, "theory_symposium")
    stage_due(2026, today=date(2026, 1, 5))
    moved = move_meeting(year=2026, key="theory_symposium", day=date(2026, 5, 27))
    assert moved["changed"] and not messages("invitation-theory_symposium")
    # on its (new) day the invitation goes out as a plain notice of the new date
    new_invite = invitation_day(date(2026, 5, 27), registry.calendar, workdays=WORKDAYS)
    stage_due(2026, today=new_invite)
    sent = messages("invitation-theory_symposium")
    assert len(sent) == len(symposium.audiences)
    assert all(m.kind.endswith("-v1") and "会议通知" in m.title for m in sent)
    assert all("2026年5月27日" in m.title and "调整" not in m.body for m in sent)
    # a cancellation before any invitation sends nothing either
    cancel_meeting(year=2026, key="cadre_training_4", reason="合并")
    assert not messages("cancel-")


def test_due_notices_reminders_and_distribution_follow_ups(registry: DistrictProfile) -> None:
    plan(2026)
    communities = [c for s in registry.streets for c in s.communities]
    offices = len(registry.streets) + len(communities)

    # 31 Aug 2026 (Mon): the kick-off notice for 1 Sept goes to every office
    report = stage_due(2026, today=date(2026, 8, 31))
    assert report.key_day_notices == offices and report.distribution_requests == 0
    # 1 Sept: the campaign asks every community office to confirm
    report = stage_due(2026, today=date(2026, 9, 1))
    assert report.distribution_requests == len(communities)
    # the same day again sends nothing new
    assert stage_due(2026, today=date(2026, 9, 1)).total == 0

    confirmed = communities[:5]
    for c in confirmed:
        confirm_distribution(year=2026, community=c, confirmed_by="主任", today=date(2026, 9, 3))
    again = confirm_distribution(year=2026, community=confirmed[0], today=date(2026, 9, 4))
    assert again["changed"] is False

    # 5 working days after 1 Sept is 8 Sept: the others are reminded, the confirmed are not
    assert stage_due(2026, today=date(2026, 9, 7)).distribution_reminders == 0
    report = stage_due(2026, today=date(2026, 9, 8))
    assert report.distribution_reminders == len(communities) - len(confirmed)
    reminded = {m.audience for m in messages("distribution-reminder-1")}
    assert reminded == {f"community-{c}" for c in communities[5:]}
    # the second and last reminder after 10 working days; never a third
    assert stage_due(2026, today=date(2026, 9, 15)).distribution_reminders == len(reminded)
    assert stage_due(2026, today=date(2026, 12, 31)).distribution_reminders == 0

    table = {row["街道"]: row for row in coverage(2026)}
    first = registry.streets[0]
    assert table[first.name]["已确认"] == min(len(first.communities), 5)
    assert sum(row["已确认"] for row in table.values()) == 5
    assert sum(row["居委数"] for row in table.values()) == len(communities)


def test_reminders_on_working_days_and_they_follow_a_move(
    registry: DistrictProfile, db: Path
) -> None:
    plan(2026)
    symposium = meeting(2026, "theory_symposium")
    (_, t7), (_, t1) = reminder_dates(symposium.day, [7, 1], workdays=WORKDAYS)
    assert WORKDAYS.is_working_day(t7) and WORKDAYS.is_working_day(t1)

    report = stage_due(2026, today=t7)
    assert report.reminders == len(symposium.audiences)

    # move a week later: same UID, SEQUENCE 1, update invitations, new reminder dates
    target = date(2026, 5, 27)
    moved = move_meeting(year=2026, key="theory_symposium", day=target, reason="冲突")
    assert moved["changed"] and moved["sequence"] == 1 and moved["uid"] == symposium.uid
    updates = messages("invitation-theory_symposium-v1")
    assert len(updates) == len(symposium.audiences)
    assert "会议变更" in updates[0].title
    path = ics_path(
        records.calendar_dir(), year=2026, key="theory_symposium", sequence=1, cancelled=False
    )
    (parsed,) = parse_ics(path.read_bytes())
    assert parsed.uid == symposium.uid and parsed.sequence == 1 and parsed.start.date() == target

    (_, new_t7), _ = reminder_dates(target, [7, 1], workdays=WORKDAYS)
    assert new_t7 > t7 and WORKDAYS.is_working_day(new_t7)
    assert stage_due(2026, today=t7).reminders == 0  # the old date is no longer due
    assert stage_due(2026, today=new_t7).reminders == len(symposium.audiences)
    result = calendar_result(2026)
    assert result is not None
    event = next(e for e in result["events"] if e["key"] == "theory_symposium")
    assert event["reminders"] == [
        d.isoformat() for _, d in reminder_dates(target, [7, 1], workdays=WORKDAYS)
    ]

    # moving to where it is changes nothing
    assert not move_meeting(year=2026, key="theory_symposium", day=target)["changed"]


def test_moves_that_break_the_plan_are_refused(registry: DistrictProfile) -> None:
    plan(2026)
    conference = meeting(2026, "work_conference")
    with pytest.raises(CalendarError, match="不是工作日（国庆节）"):
        move_meeting(year=2026, key="work_conference", day=date(2026, 10, 1))
    with pytest.raises(CalendarError, match="宣传活动周"):
        move_meeting(year=2026, key="work_conference", day=date(2026, 9, 8))
    other = meeting(2026, "experience_exchange")
    with pytest.raises(CalendarError, match="多个会议"):
        move_meeting(year=2026, key="work_conference", day=other.day)
    with pytest.raises(CalendarError, match="容纳不下"):
        move_meeting(year=2026, key="work_conference", venue="区老年大学会议室")
    with pytest.raises(CalendarError, match="2026年没有“nope”这项会议"):
        move_meeting(year=2026, key="nope", day=date(2026, 3, 3))
    assert meeting(2026, "work_conference").sequence == conference.sequence == 0


def test_cancel_sends_method_cancel_once_and_stops_reminders(registry: DistrictProfile) -> None:
    plan(2026)
    training = meeting(2026, "cadre_training_2")
    invite_on = invitation_day(training.day, registry.calendar, workdays=WORKDAYS)
    stage_due(2026, today=invite_on)  # its invitees were invited: they are told
    outcome = cancel_meeting(year=2026, key="cadre_training_2", reason="合并")
    assert outcome["changed"] and outcome["sequence"] == 1
    cancels = messages("cancel-cadre_training_2")
    assert len(cancels) == len(training.audiences)
    path = ics_path(
        records.calendar_dir(), year=2026, key="cadre_training_2", sequence=1, cancelled=True
    )
    (parsed,) = parse_ics(path.read_bytes())
    assert parsed.method == "CANCEL" and parsed.uid == training.uid and parsed.sequence == 1
    assert not cancel_meeting(year=2026, key="cadre_training_2")["changed"]
    assert len(messages("cancel-")) == len(cancels)
    (_, t7), _ = reminder_dates(training.day, [7, 1], workdays=WORKDAYS)
    assert stage_due(2026, today=t7).reminders == 0
    result = calendar_result(2026)
    assert result is not None
    assert "cadre_training_2" not in {e["key"] for e in result["events"]}
    assert [e["key"] for e in result["cancelled"]] == ["cadre_training_2"]
    with pytest.raises(CalendarError, match="已取消"):
        record_rsvp(year=2026, key="cadre_training_2", attendee="甲", response="参加")


def test_rsvp_is_recorded_and_replaced(registry: DistrictProfile) -> None:
    plan(2026)
    record_rsvp(
        year=2026, key="work_conference", attendee="张三", response="参加", audience="street_staff"
    )
    record_rsvp(year=2026, key="work_conference", attendee="李四", response="declined")
    last = record_rsvp(year=2026, key="work_conference", attendee="张三", response="待定")
    assert last["counts"] == {"tentative": 1, "declined": 1}
    with pytest.raises(CalendarError, match="应为参加、不参加或待定"):
        record_rsvp(year=2026, key="work_conference", attendee="王五", response="也许吧")
    with pytest.raises(CalendarError, match="未邀请"):
        record_rsvp(
            year=2026,
            key="work_conference",
            attendee="王五",
            response="参加",
            audience="researchers",
        )
    result = calendar_result(2026)
    assert result is not None
    event = next(e for e in result["events"] if e["key"] == "work_conference")
    assert event["rsvp"] == {"tentative": 1, "declined": 1}


def test_clone_last_year_onto_next_years_working_days(registry: DistrictProfile) -> None:
    plan(2025)
    move_meeting(year=2025, key="theory_symposium", day=date(2025, 5, 27))
    assert plan(2026, clone_from=2025)
    with session_scope() as session:
        old = {m.key: m for m in session.exec(select(Meeting).where(Meeting.year == 2025))}
        new = {m.key: m for m in session.exec(select(Meeting).where(Meeting.year == 2026))}
        stored = session.get(CalendarYear, 2026)
    assert stored is not None and stored.cloned_from == 2025
    assert set(new) == set(old)
    for key, m in new.items():
        assert WORKDAYS.is_working_day(m.day) and m.day.year == 2026
        assert m.cloned_from == old[key].uid and m.uid != old[key].uid
        assert abs((m.day - old[key].day).days - 364) <= 21
    # the moved symposium (Tue 27 May 2025) lands on Tue 26 May 2026
    assert new["theory_symposium"].day == date(2026, 5, 26)
    with pytest.raises(CalendarError, match="2024年没有可沿用的会议"):
        records.plan_inputs(CalendarParameters(year=2027, clone_from=2024), year=2027)


def test_result_has_the_spec_shape(registry: DistrictProfile) -> None:
    plan(2027)
    result = calendar_result(2027)
    assert result is not None
    assert result["publicity_day"] == "2027-09-10"
    assert result["activity_week"] == ["2027-09-06", "2027-09-12"]
    assert all({"kind", "date", "venue"} <= set(e) for e in result["events"])
    assert any("2027" in note and "春节" in note for note in result["notes"])
    json.dumps(result, ensure_ascii=False)  # plain JSON
    assert calendar_result(2030) is None
