"""A meeting invitation by e-mail, to a local SMTP server: the .ics rides along as an attachment
(METHOD:REQUEST, the meeting's UID and SEQUENCE) with mailto: addresses where the profile has
them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import col, select

from models.db import session_scope
from models.meetings import Meeting
from models.outbox import OutboxMessage
from models.params.calendar import CalendarParameters
from models.profile.loading import parse_profile
from models.profile.schema import DistrictProfile
from tasks.calendar import distribution, meetings, plan, records
from tasks.calendar.rules import invitation_day
from tasks.calendar.scheduling import solve_schedule
from tasks.common.district import sync_registry
from tasks.common.ics import parse_ics
from tasks.common.workdays import WorkCalendar
from tasks.notify.adapter import AppriseNotifier
from tasks.notify.delivery import deliver_pending
from tests.tasks.test_notify import SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.close()


def with_addresses(profile: DistrictProfile) -> DistrictProfile:
    """The bundled profile with the organizer's address and one audience's mailing list."""
    document = profile.model_dump(mode="json")
    document["calendar"]["organizer_email"] = "shequjiaoyu@example.gov.cn"
    for audience in document["calendar"]["audiences"]:
        if audience["key"] == "researchers":
            audience["email"] = "yanjiuzu@example.gov.cn"
    text = yaml.safe_dump(document, allow_unicode=True)
    changed = parse_profile(text, "test")
    with session_scope() as session:
        sync_registry(session, profile=changed, text=text, source="test")
    return changed


def test_invitation_update_is_mailed_with_its_ics_attached(
    registry: DistrictProfile, tmp_path: Path, smtp: SmtpSink
) -> None:
    with_addresses(registry)
    inputs = records.plan_inputs(CalendarParameters(year=2026), year=2026)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    assert plan.record_calendar(inputs=inputs, schedule=schedule)
    with session_scope() as session:
        day = session.exec(select(Meeting).where(col(Meeting.key) == "theory_symposium")).one().day
    # The invitation goes out on its lead day; the move after it sends the update (SEQUENCE 1).
    distribution.stage_due(
        2026, today=invitation_day(day, registry.calendar, workdays=WorkCalendar())
    )
    moved = meetings.move_meeting(
        year=2026, key="theory_symposium", day=date(2026, 5, 27), reason="会场冲突"
    )
    assert moved["sequence"] == 1
    config = tmp_path / "apprise.yml"
    config.write_text(
        f"""\
version: 1
urls:
  - mailto://127.0.0.1:{smtp.port}:
      from: shequjiaoyu@example.gov.cn
      to: yanjiuzu@example.gov.cn
      tag: group-researchers
  - ldoutbox://everyone-else:
      tag: local-outbox, fallback
""",
        encoding="utf-8",
    )
    with session_scope() as session:
        update = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.kind == "invitation-theory_symposium-v1",
                OutboxMessage.audience == "group-researchers",
            )
        ).one()
        symposium = session.exec(
            select(Meeting).where(col(Meeting.key) == "theory_symposium")
        ).one()
    assert update.id is not None

    report = deliver_pending(notifier=AppriseNotifier(config), message_ids=[update.id])

    assert report.messages_delivered == 1
    (mail,) = smtp.messages
    assert mail.is_multipart()
    (part,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "theory_symposium-v1.ics"
    (event,) = parse_ics(part.get_payload(decode=True))
    assert (event.method, event.uid, event.sequence) == ("REQUEST", symposium.uid, 1)
    assert event.start.date() == date(2026, 5, 27)
    assert event.organizer == "mailto:shequjiaoyu@example.gov.cn"
    # The researchers' list is known; the other invitees keep their group address.
    assert "mailto:yanjiuzu@example.gov.cn" in event.attendees
    assert "urn:learning-district:group:district_leaders" in event.attendees
    assert smtp.subjects() == [update.title]
