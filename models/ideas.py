"""Golden-idea campaigns, submissions, cluster edits, reviews, results, follow-up (R7.3)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

PHASES = ("announce", "collecting", "screening", "reviewing", "published", "follow_up", "closed")
IDEA_STATUSES = ("received", "screened", "rejected")


class IdeaCampaign(SQLModel, table=True):
    """One campaign per year, with the start date of each phase."""

    __tablename__ = "idea_campaign"

    year: int = Field(primary_key=True)
    phase: str = "announce"  # one of PHASES
    phases: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))  # phase -> date
    seed: int = 0
    announced: bool = False
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class IdeaBase(SQLModel):
    year: int = Field(index=True)
    ref: str
    submitter: str
    phone: str  # PII: shown masked everywhere but to the submitter
    community: str
    title: str
    content: str = Field(sa_column=Column(Text, nullable=False))
    submitted_at: datetime = Field(sa_type=DateTime(timezone=True))


class Idea(IdeaBase, table=True):
    """A submission, persisted (status `received`) before it is acknowledged."""

    __table_args__ = (
        UniqueConstraint("year", "ref"),
        UniqueConstraint("year", "fingerprint"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of phone + normalised key: the same person sending the same idea again
    fingerprint: str
    source: str = "cli"  # cli | import | http | demo
    status: str = Field(default="received", index=True)  # one of IDEA_STATUSES
    norm_key: str = Field(default="", sa_column=Column(Text, nullable=False))
    category: str = ""
    chosen_category: str = ""  # the category the submitter chose; empty = keyword rules decide
    reason: str = ""  # why rejected / how categorised
    received_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    screened_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    enqueued_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class IdeaClusterEdit(SQLModel, table=True):
    """A clerk's merge (ref joins target's cluster) or unmerge (ref leaves its cluster)."""

    __tablename__ = "idea_cluster_edit"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    action: str  # merge | unmerge
    ref: str
    target: str = ""  # merge: a ref of the cluster joined
    reason: str
    operator: str = ""
    active: bool = True  # False once undone
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class IdeaScore(SQLModel, table=True):
    """One reviewer's criterion scores for one cluster representative."""

    __tablename__ = "idea_score"
    __table_args__ = (UniqueConstraint("year", "ref", "reviewer"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    ref: str
    reviewer: str
    scores: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    total: float


class IdeaResult(SQLModel, table=True):
    """The published outcome of one cluster (its representative), with every member."""

    __tablename__ = "idea_result"
    __table_args__ = (UniqueConstraint("year", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    ref: str  # the representative
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    rank: int | None = None
    tier: str = ""  # 十佳 / 优秀 / "" (not selected)
    final: float | None = None
    raw_mean: float | None = None
    reason: str = ""


class IdeaAction(SQLModel, table=True):
    """An adopted idea followed to done: owner department, due date, progress."""

    __tablename__ = "idea_action"
    __table_args__ = (UniqueConstraint("year", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    ref: str
    department: str
    due: date = Field(sa_type=Date())
    progress: int = Field(default=0, ge=0, le=100)
    status: str = "open"  # open | done
    note: str = ""
    reminders: int = 0
    done_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
