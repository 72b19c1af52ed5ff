"""The district's network (R2-R6, R8.3): bases and their venues, the teams, community schools.

A clerk registers them from files (import kinds `bases`, `team`, `community_schools`). The
seconded teachers (R10.2) and the volunteers and lecturers (R10.3, R10.4) have registers of
their own; the registry report counts all five teams from the three. The yearly rollout check
(R8.3) opens one task per street that the profile's plan makes due and no school covers yet.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

BASE_KINDS = {
    "party_school": "社区党员教育基地",
    "community_management_school": "社区成人教育基地",
    "elderly_university": "社区老年人教育基地",
    "children_centre": "社区少儿教育基地",
}
"""The four bases of R5 (R9), by the education each one carries."""

TEAMS = {
    "manager": "社区教育管理者队伍",
    "counsellor": "社区教育辅导员队伍",
    "researcher": "社区教育理论研究队伍",
}
"""The teams registered from the `team` file (R6, R10.1, R10.5); the assistants, volunteers and
lecturers come from the secondment and the `volunteers` register."""

LEVELS = {"district": "区", "street": "街道", "community": "社区"}
"""The three levels of R4 and R10.1."""


class BaseVenueBase(SQLModel):
    base: str = Field(index=True)  # the base's name, e.g. 区老年大学
    kind: str  # one of BASE_KINDS
    street: str
    venue: str  # a room or hall of the base
    capacity: int


class BaseVenue(BaseVenueBase, table=True):
    """One venue of one base; the bases are the distinct `base` names (import kind `bases`)."""

    __tablename__ = "base_venue"
    __table_args__ = (UniqueConstraint("base", "venue"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class TeamMemberBase(SQLModel):
    year: int = Field(index=True)
    person_id: str  # the district's own number for the person, unique in a year
    name: str
    team: str  # one of TEAMS
    level: str  # one of LEVELS
    street: str = ""  # empty at district level
    community: str = ""  # only at community level
    unit: str = ""  # the department, school or office the person comes from
    dedicated: bool = False  # 专职 (R10.1 dedicated staff) or 兼职
    background: str = ""  # e.g. 部门抽调 / 专家 for the research group


class TeamMember(TeamMemberBase, table=True):
    """One person's place in one team for one year."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("year", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CommunitySchoolBase(SQLModel):
    street: str = Field(unique=True)  # one street community school per street (R8.3)
    name: str
    host_school: str  # the primary school that hosts it
    opened_on: date
    standard_on: date | None = None  # the day it reached the district's standard


class CommunitySchool(CommunitySchoolBase, table=True):
    __tablename__ = "community_school"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RolloutTask(SQLModel, table=True):
    """R8.3: a street's task to open its community school, opened by the yearly check."""

    __tablename__ = "rollout_task"

    id: int | None = Field(default=None, primary_key=True)
    street: str = Field(unique=True)
    plan_year: int  # the year the profile's plan names for the street
    opened_on: date  # the day the check opened the task
    due_on: date  # when the school should be open
    status: str = "open"  # open | done
    done_on: date | None = None
    reminders: int = 0  # overdue reminders sent
    last_reminded_on: date | None = None
