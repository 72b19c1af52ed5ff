"""RFC 5545 files: they parse, keep their UID when the meeting moves, and cancel cleanly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

from tasks.common.ics import (
    IcsAttendee,
    IcsEvent,
    event_uid,
    ics_path,
    invitation_ics,
    parse_ics,
    write_file,
    year_ics,
)


def make_event(**overrides: object) -> IcsEvent:
    values: dict[str, object] = {
        "uid": event_uid(district="示例区", year=2026, key="work_conference"),
        "sequence": 0,
        "title": "社区教育工作会议",
        "day": date(2026, 2, 24),
        "start_time": time(9, 0),
        "end_time": time(11, 30),
        "venue": "区社区管理学校多功能厅",
        "description": "安排依据",
        "organizer": "区社区教育指导中心",
        "attendees": (IcsAttendee(key="street_staff", name="街道干部"),),
        "stamp": datetime(2026, 1, 5, 1, 0, tzinfo=UTC),
        "timezone": "Asia/Shanghai",
    }
    values.update(overrides)
    return IcsEvent.model_validate(values)


def test_invitation_parses_with_timezone_and_attendees() -> None:
    (parsed,) = parse_ics(invitation_ics(make_event()))
    assert parsed.method == "REQUEST" and parsed.sequence == 0 and parsed.status == "CONFIRMED"
    assert parsed.start.isoformat() == "2026-02-24T09:00:00+08:00"
    assert parsed.end.isoformat() == "2026-02-24T11:30:00+08:00"
    assert parsed.summary == "社区教育工作会议" and parsed.location == "区社区管理学校多功能厅"
    assert parsed.attendees == ["urn:learning-district:group:street_staff"]
    assert "BEGIN:VTIMEZONE" in invitation_ics(make_event()).decode()


def test_a_moved_meeting_keeps_its_uid_with_a_higher_sequence() -> None:
    first = parse_ics(invitation_ics(make_event()))[0]
    moved = parse_ics(invitation_ics(make_event(day=date(2026, 3, 3), sequence=1)))[0]
    assert moved.uid == first.uid and moved.sequence == 1
    assert moved.start.date() == date(2026, 3, 3)


def test_cancellation_is_method_cancel() -> None:
    (parsed,) = parse_ics(invitation_ics(make_event(sequence=2, cancelled=True)))
    assert parsed.method == "CANCEL" and parsed.status == "CANCELLED" and parsed.sequence == 2


def test_uid_is_stable_and_distinct() -> None:
    a = event_uid(district="示例区", year=2026, key="work_conference")
    assert a == event_uid(district="示例区", year=2026, key="work_conference")
    assert a != event_uid(district="示例区", year=2027, key="work_conference")
    assert a != event_uid(district="另一区", year=2026, key="work_conference")
    assert a.isascii()


def test_same_decision_same_bytes_and_year_file(tmp_path: Path) -> None:
    assert invitation_ics(make_event()) == invitation_ics(make_event())
    path = ics_path(tmp_path, year=2026, key="work_conference", sequence=1, cancelled=False)
    assert path.name == "work_conference-v1-request.ics"
    write_file(path, invitation_ics(make_event()))
    mtime = path.stat().st_mtime_ns
    write_file(path, invitation_ics(make_event()))  # same content: untouched
    assert path.stat().st_mtime_ns == mtime
    assert not list(tmp_path.rglob("*.partial"))

    other = make_event(uid="other@learning-district", cancelled=True)
    whole = parse_ics(year_ics([make_event(), other], name="2026"))
    assert [e.uid for e in whole] == [make_event().uid]
    assert whole[0].method == "PUBLISH"
