"""Answers through personal links: the rules (what may be answered, when a link opens, when a
non-responder is reminded) and the records (reminders once, on working days; the table)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.responses import ResponseAnswer
from tasks.common import links
from tasks.common.workdays import WorkCalendar
from tasks.responses import records, reminders, status
from tasks.responses.rules import Answer, link_state, read_answer, reminder_days, reminder_due

WORKDAYS = WorkCalendar()
YEAR = 2026


def test_each_purpose_takes_its_own_choices_and_fields() -> None:
    assert read_answer("secondment", {"choice": "maybe"}) == {
        "choice": "请选择：按时到岗、不能到岗"
    }
    assert read_answer("secondment", {"choice": "decline", "reason": " \u202e "}) == {
        "reason": "请说明不能到岗的原因"
    }
    assert read_answer("secondment", {"choice": "confirm", "reason": "忽略"}) == Answer(
        choice="confirm"
    )
    assert read_answer("meeting", {"choice": "delegate"}) == {
        "delegate": "请填写委派参会人员的姓名"
    }
    assert read_answer("meeting", {"choice": "delegate", "delegate": "王\n五"}) == Answer(
        choice="delegate", delegate="王 五"
    )
    assert "households" in read_answer("distribution", {"choice": "delivered", "households": "0"})
    assert "note" in read_answer("meeting", {"choice": "attend", "note": "长" * 501})
    assert read_answer("distribution", {"choice": "delivered", "households": "12"}) == Answer(
        choice="delivered", households=12
    )


def test_a_link_opens_only_while_its_request_is_open() -> None:
    deadline = datetime(2026, 3, 6, 16, tzinfo=UTC)
    before, after = datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 7, tzinfo=UTC)

    def state(**kw: object) -> str:
        base: dict[str, object] = {
            "revoked": False,
            "closed": False,
            "deadline": deadline,
            "now": before,
            "purpose": "secondment",
            "last_choice": None,
        }
        return link_state(**{**base, **kw})  # type: ignore[arg-type]

    assert state() == "open"
    assert state(now=after) == "expired"
    assert state(revoked=True) == "revoked"
    assert state(closed=True) == "closed"
    assert state(last_choice="decline") == "used"  # final: it started the replacement
    assert state(last_choice="confirm") == "open"  # may still become a decline
    assert state(purpose="meeting", last_choice="absent") == "open"
    assert state(purpose="distribution", last_choice="delivered") == "used"


def test_reminders_fall_on_working_days_before_the_deadline() -> None:
    # deadline Monday 9 February 2026; 2 working days before: Thursday 5 February
    days = reminder_days(
        asked_on=date(2026, 2, 2), deadline_day=date(2026, 2, 9), offsets=[2], calendar=WORKDAYS
    )
    assert days == [date(2026, 2, 5)]
    # across the 2026 National Day holiday (1-7 October off, 8 October a working day)
    days = reminder_days(
        asked_on=date(2026, 9, 25),
        deadline_day=date(2026, 10, 9),
        offsets=[3, 1],
        calendar=WORKDAYS,
    )
    assert all(WORKDAYS.is_working_day(day) for day in days)
    assert days == [date(2026, 9, 29), date(2026, 10, 8)]
    # asked too late for a reminder
    assert (
        reminder_days(
            asked_on=date(2026, 2, 6), deadline_day=date(2026, 2, 9), offsets=[2], calendar=WORKDAYS
        )
        == []
    )
    due = {
        "asked_on": date(2026, 2, 2),
        "deadline_day": date(2026, 2, 9),
        "offsets": [2],
        "calendar": WORKDAYS,
    }
    assert reminder_due(today=date(2026, 2, 4), sent=0, **due) is None  # type: ignore[arg-type]
    assert reminder_due(today=date(2026, 2, 5), sent=0, **due) == 1  # type: ignore[arg-type]
    assert reminder_due(today=date(2026, 2, 6), sent=0, **due) == 1  # type: ignore[arg-type]
    assert reminder_due(today=date(2026, 2, 6), sent=1, **due) is None  # type: ignore[arg-type]
    assert reminder_due(today=date(2026, 2, 7), sent=0, **due) is None  # type: ignore[arg-type]  # Saturday


def _ask(purpose: links.Purpose, recipient: str, subject: str, deadline: datetime) -> str:
    with session_scope() as session:
        return links.ask(
            session,
            purpose=purpose,
            year=YEAR,
            recipient=recipient,
            subject=subject,
            audience=f"teacher-{recipient}",
            deadline=deadline,
            details={"recipient_name": f"教师{recipient}", "title": "2026年度社区教育助理"},
            now=datetime(2026, 2, 2, 1, tzinfo=UTC),
        ).rsplit("/", 1)[1]


def test_non_responders_are_reminded_once_with_a_new_link(registry: DistrictProfile) -> None:
    deadline = datetime(2026, 2, 9, 15, 59, tzinfo=UTC)  # 9 February, Shanghai
    silent = _ask("secondment", "T00001", "嘉兴路街道", deadline)
    answered = _ask("secondment", "T00002", "嘉兴路街道", deadline)
    stored = records.record_answers(
        [records.Submitted(token=answered, form_id="f" * 22, answer=Answer(choice="confirm"))],
        event_for=lambda view, answer, now: {"event": "test", "resource": {}, "payload": {}},
        now=datetime(2026, 2, 3, tzinfo=UTC),
    )
    assert stored[0].stored
    now = datetime(2026, 2, 5, 1, tzinfo=UTC)
    assert reminders.stage_reminders(today=date(2026, 2, 4), now=now) == []
    (message_id,) = reminders.stage_reminders(today=date(2026, 2, 5), now=now)
    assert reminders.stage_reminders(today=date(2026, 2, 6), now=now) == []  # once
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert message.audience == "teacher-T00001"
        assert "2026年2月9日" in message.body and "教师T00001老师：" in message.body
        token = message.body.split("/r/", 1)[1].split()[0]
        assert token != silent
        all_messages = session.exec(select(OutboxMessage)).all()
        assert len(all_messages) == 1  # the one who answered is not reminded
    reminded = records.open_link(token, now=now)
    first = records.open_link(silent, now=now)
    assert reminded is not None and first is not None
    assert reminded.request_id == first.request_id and reminded.state == "open"
    rows = {row.recipient: row for row in status.status_rows(YEAR, now=now)}
    assert rows["T00001"].status == "waiting" and rows["T00001"].reminders_sent == 1
    assert rows["T00002"].status == "answered" and rows["T00002"].answer == "confirm"
    assert not rows["T00002"].announced


@pytest.mark.parametrize("bits", [256])
def test_tokens_are_random_urlsafe_and_stored_only_as_hashes(
    registry: DistrictProfile, bits: int
) -> None:
    token = _ask("meeting", "street_staff", "work_conference", datetime(2026, 3, 6, tzinfo=UTC))
    assert len(token) >= bits // 6 and set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert "street_staff" not in token and "2026" not in token
    from models.responses import ResponseLink

    with session_scope() as session:
        (link,) = session.exec(select(ResponseLink)).all()
    assert link.token_hash == links.token_hash(token) != token
    assert len({links.new_token() for _ in range(1000)}) == 1000


def test_one_batch_records_a_double_tap_once_and_honours_a_link_used_up_in_it(
    registry: DistrictProfile,
) -> None:
    deadline = datetime(2026, 2, 9, 15, 59, tzinfo=UTC)
    meeting = _ask("meeting", "street_staff", "work_conference", deadline)
    teacher = _ask("secondment", "T00001", "嘉兴路街道", deadline)
    other_teacher = _ask("secondment", "T00002", "嘉兴路街道", deadline)
    attend, decline = Answer(choice="attend"), Answer(choice="decline", reason="家中有事")
    batch = [
        records.Submitted(token=meeting, form_id="a" * 22, answer=attend),
        records.Submitted(token=meeting, form_id="a" * 22, answer=attend),  # the double tap
        records.Submitted(token=teacher, form_id="b" * 22, answer=decline),
        records.Submitted(token=teacher, form_id="c" * 22, answer=Answer(choice="confirm")),
        records.Submitted(token=links.new_token(), form_id="d" * 22, answer=attend),
        records.Submitted(token=other_teacher, form_id="e" * 22, answer=Answer(choice="confirm")),
    ]
    results = records.record_answers(
        batch,
        event_for=lambda view, answer, now: {"event": answer.choice, "resource": {}},
        now=datetime(2026, 2, 3, tzinfo=UTC),
    )
    tap, again, declined, after, forged, confirmed = results
    assert tap.stored and not again.stored and again.duplicate
    assert again.answer_id == tap.answer_id
    assert declined.stored and declined.event is not None and declined.event["event"] == "decline"
    assert after.state == "used" and not after.stored  # a decline uses the link up
    assert forged.state == "unknown" and not forged.stored
    assert confirmed.stored and confirmed.view is not None and confirmed.view.state == "open"
    with session_scope() as session:
        stored = session.exec(select(ResponseAnswer).order_by(ResponseAnswer.id)).all()  # type: ignore[arg-type]
    assert [(a.form_id[0], a.choice) for a in stored] == [
        ("a", "attend"),
        ("b", "decline"),
        ("e", "confirm"),
    ]
    assert [a.id for a in stored] == [tap.answer_id, declined.answer_id, confirmed.answer_id]
    assert all(a.event["id"] and a.announced_at is None for a in stored)  # stamped, to announce
    assert records.unannounced() == [(a.id, a.event) for a in stored]
    # a page's lookup (through the driver) reads the link as the batch's statement read it
    assert records.open_link(teacher, now=datetime(2026, 2, 3, tzinfo=UTC)) == declined.view
    assert records.open_link(links.new_token()) is None
