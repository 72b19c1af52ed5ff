"""Import every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from models.attendance import Attendance
from models.audit import Decision
from models.awards import AwardEntry, AwardObjection, AwardRound, AwardScore, Nomination
from models.holidays import HolidayEntry
from models.ideas import Idea, IdeaAction, IdeaCampaign, IdeaClusterEdit, IdeaResult, IdeaScore
from models.judging import Judge, JudgeAssignment, JudgingRound, ScoreDraft
from models.meetings import CalendarYear, Distribution, Meeting, Rsvp
from models.network import BaseVenue, CommunitySchool, RolloutTask, TeamMember
from models.outbox import Delivery, DeliveryAttempt, DeliveryTarget, OutboxMessage
from models.playgrounds import PlaygroundHours
from models.registry import Community, School, StoredProfile, Street
from models.residents import IdeaSupport, ObjectionFiling, StatusLink
from models.responses import ResponseAnswer, ResponseLink, ResponseRequest
from models.secondment import Assignment, SecondmentRound, Teacher
from models.units import Pledge
from models.volunteers import Volunteer

__all__ = [
    "IdeaSupport",
    "ObjectionFiling",
    "StatusLink",
    "Idea",
    "Judge",
    "JudgeAssignment",
    "JudgingRound",
    "ScoreDraft",
    "IdeaAction",
    "IdeaCampaign",
    "IdeaClusterEdit",
    "IdeaResult",
    "IdeaScore",
    "AwardEntry",
    "AwardObjection",
    "AwardRound",
    "AwardScore",
    "Nomination",
    "Assignment",
    "Attendance",
    "BaseVenue",
    "CalendarYear",
    "Community",
    "CommunitySchool",
    "Decision",
    "Distribution",
    "HolidayEntry",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryTarget",
    "Meeting",
    "OutboxMessage",
    "PlaygroundHours",
    "Pledge",
    "RolloutTask",
    "ResponseAnswer",
    "ResponseLink",
    "ResponseRequest",
    "Rsvp",
    "School",
    "SecondmentRound",
    "StoredProfile",
    "Street",
    "Teacher",
    "TeamMember",
    "Volunteer",
]
