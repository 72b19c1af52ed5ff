"""The KPI lines of the rest of the policy: network, bases, teams, community schools, playgrounds,
units, seminars, trainings attended, material distribution and the publicity month.

Each line counts a rule with a measurable target (docs/policy.md): where the policy fixes the
target (four bases, five teams, every street, every primary school, every community) it is
derived; where it does not, it comes from the profile's `kpi:` section.
"""

from __future__ import annotations

import math
from datetime import date

from sqlmodel import Session, col, select

from models.attendance import Attendance
from models.meetings import Distribution, Meeting, Rsvp
from models.network import BASE_KINDS, BaseVenue, CommunitySchool
from models.outbox import OutboxMessage
from models.playgrounds import PlaygroundHours
from models.profile.playgrounds import is_primary
from models.profile.schema import DistrictProfile
from models.registry import School
from models.units import Pledge
from tasks.calendar.rules import training_periods
from tasks.kpi.lines import KpiLine
from tasks.network.records import people
from tasks.network.rules import dedicated_streets, team_counts

KEY_DAYS = ("kickoff", "activity_week", "publicity_day")


def community_school_streets(session: Session, *, year: int) -> set[str]:
    """Streets with a community school open by the end of `year` (R8.3): the register, or the
    profile's pilot schools while nothing is registered."""
    registered = session.exec(select(CommunitySchool)).all()
    if registered:
        return {s.street for s in registered if s.opened_on <= date(year, 12, 31)}
    return set(session.exec(select(School.street).where(col(School.pilot).is_(True))).all())


def community_school_target(profile: DistrictProfile, year: int) -> int | None:
    plan = profile.network.community_schools
    if plan.plan:
        return plan.due_by(year)
    return profile.kpi.community_school_streets.get(year)


def _standard_lines(session: Session, profile: DistrictProfile, year: int) -> list[KpiLine]:
    end = date(year, 12, 31)
    within = profile.network.community_schools.standard_within_years
    schools = session.exec(select(CommunitySchool)).all()
    due = sum(1 for s in schools if s.opened_on.year + within <= year)
    return [
        KpiLine(
            key="community_schools_standard",
            label="达到标准化要求的街道社区学校",
            rule="R8.3",
            actual=sum(1 for s in schools if s.standard_on is not None and s.standard_on <= end),
            target=due or None,
            yearly=False,
        )
    ]


def _network_lines(session: Session, profile: DistrictProfile, year: int) -> list[KpiLine]:
    members = people(session, year=year)
    teams = team_counts(members)
    kinds = set(session.exec(select(BaseVenue.kind)).all())
    return [
        KpiLine(
            key="bases",
            label="已建成的社区教育基地（类）",
            rule="R5",
            actual=len(kinds & set(BASE_KINDS)),
            target=len(BASE_KINDS),
            yearly=False,
        ),
        KpiLine(
            key="teams",
            label="已组建的社区教育队伍（支）",
            rule="R6",
            actual=teams.teams_formed,
            target=5,
        ),
        KpiLine(
            key="dedicated_streets",
            label="配有专职社区教育管理人员的街道",
            rule="R10.1",
            actual=len(dedicated_streets(members, profile.street_names)),
            target=len(profile.streets),
        ),
        KpiLine(
            key="managers", label="社区教育管理者", rule="R6", actual=teams.managers, target=None
        ),
        KpiLine(
            key="counsellors",
            label="社区教育辅导员（不含挂职助理）",
            rule="R6",
            actual=teams.counsellors,
            target=None,
        ),
        KpiLine(
            key="research_members",
            label="理论研究组成员",
            rule="R10.5",
            actual=teams.researchers,
            target=profile.kpi.research_members,
        ),
    ]


def _seminar_lines(session: Session, profile: DistrictProfile, year: int) -> list[KpiLine]:
    series = profile.calendar.seminars
    held = session.exec(
        select(Meeting.id).where(
            Meeting.year == year, Meeting.kind == "research_seminar", Meeting.status == "scheduled"
        )
    ).all()
    return [
        KpiLine(
            key="seminars",
            label="理论研究组专题研讨",
            rule="R10.5",
            actual=len(held),
            target=len(training_periods(series.frequency, year)) if series else None,
        )
    ]


def _training_lines(session: Session, profile: DistrictProfile, year: int) -> list[KpiLine]:
    trainings = session.exec(
        select(Meeting).where(
            Meeting.year == year, Meeting.kind == "cadre_training", Meeting.status == "scheduled"
        )
    ).all()
    ids = [m.id for m in trainings]
    invited = sum(m.invitees for m in trainings)
    answered = len(session.exec(select(Rsvp.id).where(col(Rsvp.meeting_id).in_(ids))).all())
    signed = len(
        session.exec(select(Attendance.id).where(col(Attendance.meeting_id).in_(ids))).all()
    )
    rate = profile.kpi.training_attendance_rate
    return [
        KpiLine(
            key="training_invited",
            label="干部培训邀请人次",
            rule="R7.1",
            actual=invited,
            target=None,
        ),
        KpiLine(
            key="training_answered",
            label="干部培训回执人次",
            rule="R7.1",
            actual=answered,
            target=None,
        ),
        KpiLine(
            key="training_signed_in",
            label="干部培训签到人次",
            rule="R7.1",
            actual=signed,
            target=math.ceil(rate * invited) if rate is not None and invited else None,
        ),
    ]


def _publicity_lines(session: Session, profile: DistrictProfile, year: int) -> list[KpiLine]:
    rows = session.exec(select(Distribution).where(Distribution.year == year)).all()
    kinds = set(
        session.exec(
            select(OutboxMessage.kind).where(
                OutboxMessage.flow == "calendar",
                OutboxMessage.year == year,
                col(OutboxMessage.kind).in_([f"key-day-{k}" for k in KEY_DAYS]),
            )
        ).all()
    )
    return [
        KpiLine(
            key="publicity_key_days",
            label="宣传月节点通知（启动、活动周、宣传日）",
            rule="R7.4",
            actual=len(kinds),
            target=len(KEY_DAYS),
        ),
        KpiLine(
            key="material_distributed",
            label="确认宣传资料发放到户的社区",
            rule="R7.2",
            actual=sum(1 for r in rows if r.confirmed_on is not None),
            target=sum(len(s.communities) for s in profile.streets),
        ),
    ]


def _playground_lines(session: Session, profile: DistrictProfile) -> list[KpiLine]:
    primary = {s.name for s in profile.schools if is_primary(s.name)}
    open_schools = set(session.exec(select(PlaygroundHours.school)).all()) & primary
    return [
        KpiLine(
            key="open_playgrounds",
            label="早晚向居民开放操场的小学",
            rule="R8.2",
            actual=len(open_schools),
            target=len(primary),
            yearly=False,
        )
    ]


def _unit_lines(session: Session, profile: DistrictProfile, year: int) -> list[KpiLine]:
    confirmed = session.exec(
        select(Pledge).where(Pledge.year == year, Pledge.status == "confirmed")
    ).all()
    return [
        KpiLine(
            key="contributing_units",
            label="支持承诺已落实的社区单位",
            rule="R7.6",
            actual=len({p.unit_code for p in confirmed}),
            target=profile.kpi.contributing_units,
        ),
        KpiLine(
            key="unit_ideas",
            label="社区单位出谋（条）",
            rule="R7.6",
            actual=sum(p.kind == "idea" for p in confirmed),
            target=None,
        ),
        KpiLine(
            key="unit_money",
            label="社区单位出资（元）",
            rule="R7.6",
            actual=sum(p.amount for p in confirmed),
            target=None,
        ),
        KpiLine(
            key="unit_hours",
            label="社区单位志愿服务（小时）",
            rule="R7.6",
            actual=sum(p.hours for p in confirmed),
            target=None,
        ),
        KpiLine(
            key="unit_venues",
            label="社区单位出借场地（处）",
            rule="R7.6",
            actual=sum(1 for p in confirmed if p.venue),
            target=None,
        ),
    ]


def policy_lines(session: Session, *, profile: DistrictProfile, year: int) -> list[KpiLine]:
    """Every line of this module, in the order of the policy's rules."""
    return [
        *_network_lines(session, profile, year),
        *_training_lines(session, profile, year),
        *_publicity_lines(session, profile, year),
        *_unit_lines(session, profile, year),
        *_playground_lines(session, profile),
        *_standard_lines(session, profile, year),
        *_seminar_lines(session, profile, year),
    ]


def policy_per_street(
    session: Session, *, profile: DistrictProfile, year: int
) -> dict[str, dict[str, int]]:
    """Extra columns of the per-street table: managers, open playgrounds, contributing units."""
    members = people(session, year=year)
    open_schools = set(session.exec(select(PlaygroundHours.school)).all())
    units = session.exec(
        select(Pledge).where(Pledge.year == year, Pledge.status == "confirmed")
    ).all()
    return {
        street.name: {
            "管理者": team_counts(members, street=street.name).managers,
            "开放操场": sum(
                1 for s in profile.schools if s.street == street.name and s.name in open_schools
            ),
            "共建单位": len({p.unit_code for p in units if p.street == street.name}),
        }
        for street in profile.streets
    }
