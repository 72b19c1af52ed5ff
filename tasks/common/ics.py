"""RFC 5545 calendar files for meetings: invitations, updates, cancellations, the year's calendar.

An invitation is `METHOD:REQUEST`; when a meeting moves the same UID goes out again with a higher
SEQUENCE, so calendar programs update the entry instead of adding a second one; a cancellation
is `METHOD:CANCEL` with `STATUS:CANCELLED` and the next SEQUENCE (RFC 5546 iTIP). DTSTAMP is the
time of the decision, passed in, so the same decision always renders the same bytes.

Attendees are audiences (groups), written as `CUTYPE=GROUP`. Where the profile knows an e-mail
address (the organizer's, an audience's mailing list) it is the `mailto:` cal-address, so a
calendar program can send its reply there; otherwise a URN stands in (RFC 5545 allows any URI as
a cal-address), and the reply goes through the portal instead.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

import icalendar
from pydantic import BaseModel, ConfigDict

from tasks.common import clock

PRODID = "-//learning-district//annual calendar//ZH"
URN = "urn:learning-district"


class IcsAttendee(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    email: str = ""


class IcsEvent(BaseModel):
    """Everything a calendar entry of one meeting shows."""

    model_config = ConfigDict(frozen=True)

    uid: str
    sequence: int
    title: str
    day: date
    start_time: time
    end_time: time
    venue: str
    description: str = ""
    organizer: str
    organizer_email: str = ""
    attendees: tuple[IcsAttendee, ...] = ()
    cancelled: bool = False
    stamp: datetime  # when this version was decided (UTC or aware)
    timezone: str  # the district's (IANA name, from the profile)


def event_uid(*, district: str, year: int, key: str) -> str:
    """A UID that stays the same for one meeting of one year of one district, whatever moves."""
    digest = hashlib.sha256(district.encode("utf-8")).hexdigest()[:8]
    return f"ld-{year}-{key}-{digest}@learning-district"


def _vevent(event: IcsEvent, *, method: str) -> icalendar.Event:
    tz = clock.zone(event.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("dtstart", datetime.combine(event.day, event.start_time, tzinfo=tz))
    vevent.add("dtend", datetime.combine(event.day, event.end_time, tzinfo=tz))
    vevent.add("summary", event.title)
    vevent.add("location", event.venue)
    if event.description:
        vevent.add("description", event.description)
    organizer = icalendar.vCalAddress(
        f"mailto:{event.organizer_email}" if event.organizer_email else f"{URN}:organizer"
    )
    organizer.params["cn"] = icalendar.vText(event.organizer)
    vevent.add("organizer", organizer)
    for attendee in event.attendees:
        address = icalendar.vCalAddress(
            f"mailto:{attendee.email}" if attendee.email else f"{URN}:group:{attendee.key}"
        )
        address.params["cn"] = icalendar.vText(attendee.name)
        address.params["cutype"] = icalendar.vText("GROUP")
        address.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        if method == "REQUEST":
            address.params["partstat"] = icalendar.vText("NEEDS-ACTION")
            address.params["rsvp"] = icalendar.vText("TRUE")
        vevent.add("attendee", address)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    return vevent


def _calendar(method: str, events: Sequence[IcsEvent], name: str | None = None) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(_vevent(event, method=method))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def invitation_ics(event: IcsEvent) -> bytes:
    """The invitation (or update, when SEQUENCE > 0) of one meeting; the cancel if cancelled."""
    return _calendar("CANCEL" if event.cancelled else "REQUEST", [event])


def year_ics(events: Sequence[IcsEvent], *, name: str) -> bytes:
    """Every meeting of a year in one file to subscribe to or import (METHOD:PUBLISH)."""
    return _calendar("PUBLISH", [e for e in events if not e.cancelled], name)


def ics_path(directory: Path, *, year: int, key: str, sequence: int, cancelled: bool) -> Path:
    """Where one version of one meeting's file lives: one file per version, never overwritten."""
    kind = "cancel" if cancelled else "request"
    return directory / str(year) / f"{key}-v{sequence}-{kind}.ics"


def write_file(path: Path, content: bytes) -> Path:
    """Write atomically (a reader never sees half a file); same content twice is a no-op."""
    if path.exists() and path.read_bytes() == content:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


class ParsedEvent(BaseModel):
    method: str
    uid: str
    sequence: int
    status: str
    start: datetime
    end: datetime
    summary: str
    location: str
    organizer: str = ""
    attendees: list[str]


def parse_ics(content: bytes) -> list[ParsedEvent]:
    """Read a calendar file back (tests, and an operator checking a file someone sent)."""
    cal = icalendar.Calendar.from_ical(content)
    method = str(cal.get("method", ""))
    parsed = []
    for vevent in cal.walk("VEVENT"):
        attendees = vevent.get("attendee", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        parsed.append(
            ParsedEvent(
                method=method,
                uid=str(vevent["uid"]),
                sequence=int(vevent.get("sequence", 0)),
                status=str(vevent.get("status", "")),
                start=vevent.decoded("dtstart"),
                end=vevent.decoded("dtend"),
                summary=str(vevent.get("summary", "")),
                location=str(vevent.get("location", "")),
                organizer=str(vevent.get("organizer", "")),
                attendees=[str(a) for a in attendees],
            )
        )
    return parsed
