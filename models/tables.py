"""Import every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from models.audit import Decision
from models.outbox import Delivery, DeliveryAttempt, OutboxMessage
from models.registry import Community, School, StoredProfile, Street
from models.secondment import Assignment, SecondmentRound, Teacher

__all__ = [
    "Assignment",
    "Community",
    "Decision",
    "Delivery",
    "DeliveryAttempt",
    "OutboxMessage",
    "School",
    "SecondmentRound",
    "StoredProfile",
    "Street",
    "Teacher",
]
