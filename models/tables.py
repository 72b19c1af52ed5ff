"""Import every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from models.audit import Decision
from models.awards import AwardEntry, AwardObjection, AwardRound, AwardScore, Nomination
from models.holidays import HolidayEntry
from models.ideas import Idea, IdeaAction, IdeaCampaign, IdeaClusterEdit, IdeaResult, IdeaScore
from models.meetings import CalendarYear, Distribution, Meeting, Rsvp
from models.outbox import Delivery, DeliveryAttempt, DeliveryTarget, OutboxMessage
from models.registry import Community, School, StoredProfile, Street
from models.secondment import Assignment, SecondmentRound, Teacher
from models.volunteers import Volunteer

__all__ = [
    "Idea",
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
    "CalendarYear",
    "Community",
    "Decision",
    "Distribution",
    "HolidayEntry",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryTarget",
    "Meeting",
    "OutboxMessage",
    "Rsvp",
    "School",
    "SecondmentRound",
    "StoredProfile",
    "Street",
    "Teacher",
    "Volunteer",
]
