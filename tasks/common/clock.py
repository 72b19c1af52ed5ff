"""The district's clock: "now", "today" and "this year" in the time zone of the profile in force.

Instants come from `models.timeutil.utcnow` (timestamps are stored in UTC); the district's date
is that instant seen in the profile's time zone. Callers that hold the profile pass it; without
one the clock reads the profile in force. No other module reads the system clock or names a
time zone (`tests/test_architecture.py` checks it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from models.profile.schema import DistrictProfile
from models.timeutil import utcnow
from tasks.common.district import profile_in_force


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """A time zone by its IANA name (as a profile names it)."""
    return ZoneInfo(name)


def district_zone(profile: DistrictProfile | None = None) -> ZoneInfo:
    """The time zone of PROFILE (default: the profile in force)."""
    return zone((profile or profile_in_force()).timezone)


def district_now(profile: DistrictProfile | None = None) -> datetime:
    """This instant on the district's wall clock."""
    return utcnow().astimezone(district_zone(profile))


def today(profile: DistrictProfile | None = None) -> date:
    """The district's date today."""
    return district_now(profile).date()


def this_year(profile: DistrictProfile | None = None) -> int:
    """The district's current year."""
    return today(profile).year


def local_date(moment: datetime, profile: DistrictProfile | None = None) -> date:
    """The district's date of a stored instant (a naive one, as SQLite returns it, is UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(district_zone(profile)).date()


def end_of_day(day: date, profile: DistrictProfile | None = None) -> datetime:
    """The last moment of DAY in the district, in UTC: a deadline "by 6 March" includes the whole
    day (in UTC because SQLite keeps no offset: a stored local time would read back as UTC)."""
    start = datetime.combine(day + timedelta(days=1), time(0), tzinfo=district_zone(profile))
    return (start - timedelta(microseconds=1)).astimezone(UTC)
