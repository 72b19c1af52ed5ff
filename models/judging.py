"""Judges and reviewers who score on the portal: who they are, what they score, their drafts.

A judge is imported once (`import judges`) with their unit and street, the conflicts every
assignment keeps them from. A judging round opens a year's scoring: the balanced assignment
with recusal gives each judge their items, each judge gets one personal link (a
`ResponseRequest` of purpose `judging`), and the round has a deadline. A judge's submitted
scores are the very rows `import scores` writes (`award_score`); what is typed but not yet
submitted is a draft here. A conflict a judge declares on one item ends that assignment and
gives the item to the next judge free of conflicts and below the load limit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.timeutil import utcnow

ROLES: dict[str, str] = {"awards": "评委", "ideas": "评审"}


class JudgeBase(SQLModel):
    code: str = Field(unique=True)  # 编号
    name: str  # 姓名; the name score rows carry
    unit: str = ""  # 单位
    street: str = ""  # 街道
    role: str = "awards"  # a key of ROLES
    phone: str = ""  # 手机 (personal data: shown masked, never in a log)


class Judge(JudgeBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class JudgingRound(SQLModel, table=True):
    """A year's scoring on the portal: its deadline, k, the load limit, the operator's choice."""

    __tablename__ = "judging_round"
    __table_args__ = (UniqueConstraint("process", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    process: str = "awards"
    year: int = Field(index=True)
    deadline: date = Field(sa_type=Date())  # scores taken until the end of this day
    per_item: int  # k: valid scores every item needs
    load_limit: int  # the most items one judge may hold after reassignments
    seed: int = 0
    opened_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    status: str = "open"  # open | due (deadline passed, operator asked) | proceeded
    flagged: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class JudgeItem(SQLModel):
    """One item of a process's year and one judge: the key of an assignment and of a draft."""

    id: int | None = Field(default=None, primary_key=True)
    process: str = "awards"
    year: int = Field(index=True)
    ref: str
    judge: str  # the judge's code


class JudgeAssignment(JudgeItem, table=True):
    """One item given to one judge; a declared conflict ends it (status `conflict`)."""

    __tablename__ = "judge_assignment"
    __table_args__ = (UniqueConstraint("process", "year", "ref", "judge"),)

    status: str = "assigned"  # assigned | conflict
    source: str = "plan"  # plan | reassigned (the ref it came from is in `reason`)
    reason: str = ""  # a declared conflict's reason, or why it was reassigned here
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    changed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ScoreDraft(JudgeItem, table=True):
    """What a judge typed for one item and saved without submitting (cell text by criterion)."""

    __tablename__ = "score_draft"
    __table_args__ = (UniqueConstraint("process", "year", "ref", "judge"),)

    values: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    saved_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
