"""Every process takes "today" and "this year" from the profile's time zone, not the machine's.

The district here is in Pacific/Auckland and the clock stands at 2026-12-31 12:00 UTC: it is
already 1 January 2027 in the district, while it is still 31 December 2026 in UTC and in
Asia/Shanghai (the bundled profile's zone). A process that read any other clock would act on
the wrong day and, here, in the wrong year.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prefect.artifacts import Artifact
from sqlmodel import select

from flows.annual_cycle import kpi_report
from flows.district_network import community_school_rollout, district_registry
from flows.golden_ideas import open_ideas_campaign
from flows.learning_awards import award_objection
from flows.open_playgrounds import playground_notices
from flows.responses import responses_daily
from models.awards import AwardEntry, AwardObjection, AwardScore, Nomination
from models.db import session_scope
from models.ideas import IdeaCampaign
from models.params.awards import AwardsParameters, ObjectionParameters
from models.params.calendar import CalendarParameters
from models.params.network import PlaygroundParameters, RolloutParameters
from models.params.secondment import SecondmentParameters
from models.profile.loading import default_profile_text, parse_profile
from models.profile.schema import DistrictProfile
from models.timeutil import instant_source, utcnow
from tasks.awards import records as awards_records
from tasks.awards.rules import propose
from tasks.calendar.tasks import resolve_day_task
from tasks.common import clock, links
from tasks.common.district import sync_registry
from tasks.common.documents import year_dir
from tasks.ideas import intake
from tasks.ideas.campaign import open_campaign
from tasks.ideas.records import Ack
from tasks.ideas.screening import Submission
from tasks.responses import status as responses_status
from tasks.samples.awards import generate_nominations, generate_scores
from tasks.secondment.records import resolve_rules

INSTANT = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
DISTRICT_DAY = date(2027, 1, 1)


@pytest.fixture
def auckland(db: Path) -> Iterator[DistrictProfile]:
    """The bundled profile moved to Pacific/Auckland, in force, with the clock at INSTANT."""
    text = default_profile_text()
    assert "timezone: Asia/Shanghai" in text
    text = text.replace("timezone: Asia/Shanghai", "timezone: Pacific/Auckland")
    profile = parse_profile(text, "auckland")
    with session_scope() as session:
        sync_registry(session, profile=profile, text=text, source="auckland")
    with instant_source(lambda: INSTANT):
        yield profile


def test_the_instant_is_a_different_day_elsewhere() -> None:
    # the premise of every test below: the three clocks disagree on the date and the year
    assert INSTANT.date() == date(2026, 12, 31)
    assert INSTANT.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2026, 12, 31)
    assert INSTANT.astimezone(ZoneInfo("Pacific/Auckland")).date() == DISTRICT_DAY


def test_the_clock_reads_the_profile_in_force(auckland: DistrictProfile) -> None:
    assert utcnow() == INSTANT
    assert clock.today() == DISTRICT_DAY
    assert clock.this_year() == 2027
    assert clock.district_now().utcoffset() == ZoneInfo("Pacific/Auckland").utcoffset(INSTANT)
    # a stored instant is dated in the district; a naive one (SQLite) is read as UTC
    assert clock.local_date(INSTANT.replace(tzinfo=None)) == DISTRICT_DAY
    # a deadline "by 1 January" lasts until the district's midnight
    assert clock.end_of_day(DISTRICT_DAY) == datetime(2027, 1, 1, 10, 59, 59, 999999, tzinfo=UTC)
    # a profile passed in wins over the one in force
    bundled = auckland.model_copy(update={"timezone": "Asia/Shanghai"})
    assert clock.today(bundled) == date(2026, 12, 31)


def test_a_profile_with_an_unknown_time_zone_is_refused() -> None:
    text = default_profile_text().replace("timezone: Asia/Shanghai", "timezone: Asia/Atlantis")
    with pytest.raises(ValueError, match="Asia/Atlantis"):
        parse_profile(text, "atlantis")


def test_secondment_and_calendar_take_the_district_year(auckland: DistrictProfile) -> None:
    assert resolve_rules(SecondmentParameters()).year == 2027
    assert resolve_day_task.fn(CalendarParameters()) == (2027, DISTRICT_DAY)


def test_an_idea_without_a_year_goes_to_the_district_year(auckland: DistrictProfile) -> None:
    open_campaign(year=2027, start=DISTRICT_DAY)
    community = auckland.streets[0].communities[0]
    submission = Submission(
        submitter="王芳",
        phone="13800000000",
        community=community,
        title="社区图书角延长开放时间",
        content="建议社区图书角在周末延长开放到晚上八点，方便上班的居民借阅图书和参加读书活动。",
    )
    (ack,) = intake.submit_many(items=[(None, submission)], source="portal", now=utcnow())
    assert isinstance(ack, Ack), ack
    assert ack.year == 2027


def test_responses_date_requests_in_the_district(auckland: DistrictProfile) -> None:
    with session_scope() as session:
        links.ask(
            session,
            purpose="meeting",
            year=2027,
            recipient="street_staff",
            subject="work_conference",
            audience="group-street_staff",
            deadline=clock.end_of_day(date(2027, 1, 8)),
            details={"title": "社区教育工作会议"},
        )
    (row,) = responses_status.status_rows(2027)
    assert row.asked_on == DISTRICT_DAY
    assert row.deadline == date(2027, 1, 8)
    assert row.status == "waiting"


@pytest.mark.usefixtures("prefect_harness")
def test_flows_act_on_the_district_day(auckland: DistrictProfile) -> None:
    # ideas: the campaign opens in the district's year, collecting from its today
    asyncio.run(open_ideas_campaign())
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, 2027)
    assert campaign is not None and campaign.phases["collecting"] == DISTRICT_DAY.isoformat()

    # responses: the daily check runs for the district's day and year
    daily = asyncio.run(responses_daily())
    assert (daily["today"], daily["year"]) == (DISTRICT_DAY.isoformat(), 2027)
    assert Artifact.get("responses-2027") is not None

    # playgrounds and network: the yearly checks and notices take the district's day
    assert asyncio.run(playground_notices(PlaygroundParameters()))["today"] == "2027-01-01"
    asyncio.run(community_school_rollout(RolloutParameters()))
    assert Artifact.get("community-school-rollout-2027") is not None
    asyncio.run(district_registry())
    assert (year_dir(2027) / "network-2027.md").exists()

    # kpi: the report of the district's year
    asyncio.run(kpi_report())
    assert (year_dir(2027) / "kpi-2027.md").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_an_award_objection_is_filed_on_the_district_day(auckland: DistrictProfile) -> None:
    noms = generate_nominations(auckland, year=2026, per_category=7, seed=3)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(auckland, noms, seed=3):
            session.add(AwardScore(**s.model_dump()))
    rules = awards_records.resolve_rules(AwardsParameters(year=2026))
    proposal = propose(*awards_records.load_inputs(2026), rules=rules)
    awards_records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=DISTRICT_DAY
    )
    with session_scope() as session:
        entry = session.exec(
            select(AwardEntry).where(AwardEntry.year == 2026, AwardEntry.status == "listed")
        ).first()
    assert entry is not None
    objection_form = ObjectionParameters(
        year=2026, ref=entry.ref, objector="李明", content="材料与事实不符"
    )
    outcome = asyncio.run(award_objection(objection_form))
    assert outcome["status"] == "open"
    with session_scope() as session:
        (objection,) = session.exec(select(AwardObjection)).all()
    assert objection.filed_on == DISTRICT_DAY
