"""What differs between the processes scored on the portal (no database of its own).

Two processes share the portal's scoring: `awards`, where 评委 score the learning-award
nominations, and `ideas`, where 评审 score the golden-idea cluster representatives. A round,
its assignments, drafts and links carry the process; everything that depends on what is
scored — the roster, the rubric, the items and their conflict keys, where a submitted score
is stored, how valid scores are counted — is a method of the process (`nominations.py`,
`ideas.py`); the round, the page, saving, conflicts and progress are written once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from models.profile.contacts import OfficeContact
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from tasks.common.review import Shortage
from tasks.judging.rules import Rubric


class JudgingError(Refusal):
    """A request about scoring that cannot be carried out (no nominations, no judges, …)."""


class Member(BaseModel):
    """A judge as a round knows them: imported judges by 编号, profile-only judges by name."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    street: str
    unit: str
    community: str = ""

    @property
    def conflicts(self) -> frozenset[str]:
        keys = {"street": self.street, "unit": self.unit, "community": self.community}
        return frozenset(f"{kind}:{value}" for kind, value in keys.items() if value)


class ItemFacts(BaseModel):
    """One item as its judge sees it (nothing personal), with its conflict keys."""

    model_config = ConfigDict(frozen=True)

    ref: str
    category: str  # the category's Chinese name
    name: str
    street: str
    community: str
    nominated_by: str = ""
    evidence: list[tuple[str, str]] = []  # (metric label, value)
    text: str = ""
    conflicts: frozenset[str] = frozenset()


class RoundPlan(BaseModel):
    """The balanced assignment with recusal a round is opened on, and its audit snapshot."""

    model_config = ConfigDict(frozen=True)

    pairs: list[tuple[str, str]]  # (ref, judge's code)
    shortages: list[Shortage]
    per_item: int  # k: valid scores every item needs
    seed: int
    configured_limit: int | None  # the profile's load limit, if it sets one
    snapshot: str  # the audit snapshot kind
    payload: dict[str, Any]


class Process(ABC):
    """One kind of scoring on the portal: what is scored, by whom, stored where."""

    key: str  # the `process` column of rounds, assignments and drafts; the links' subject
    role: str  # what a judge is called: 评委 / 评审
    contest: str  # what is scored, in messages: 学习型组织评选 / 金点子评审
    noun: str  # what one item is called: 提名 / 建议
    kept_from: str  # what recusal keeps a judge from, in messages and decisions
    rule: str  # the requirement a decision cites

    def kind(self, kind: str) -> str:
        """A message or decision kind of this process (the awards' kinds are unprefixed)."""
        return kind if self.key == "awards" else f"{self.key}-{kind}"

    def title(self, year: int) -> str:
        return f"{year}年度{self.contest}评分"

    @abstractmethod
    def members(self, session: Session, profile: DistrictProfile) -> dict[str, Member]:
        """Every judge of the process by code."""

    @abstractmethod
    def rubric(self, profile: DistrictProfile) -> Rubric: ...

    @abstractmethod
    def contact(self, profile: DistrictProfile) -> OfficeContact: ...

    @abstractmethod
    def reminder_offsets(self, profile: DistrictProfile) -> list[int]: ...

    @abstractmethod
    def plan(
        self, session: Session, profile: DistrictProfile, year: int, judges: dict[str, Member]
    ) -> RoundPlan:
        """The assignment of the year's items to JUDGES; JudgingError when there is none."""

    @abstractmethod
    def facts(
        self, session: Session, profile: DistrictProfile, year: int, refs: Collection[str]
    ) -> dict[str, ItemFacts]:
        """What a judge sees of each of REFS (a ref no longer scored is missing)."""

    @abstractmethod
    def scores(
        self, session: Session, year: int, judge: str, refs: Collection[str]
    ) -> dict[str, dict[str, float]]:
        """The stored scores of one judge (by name) by ref, criterion by criterion."""

    @abstractmethod
    def store(
        self,
        session: Session,
        profile: DistrictProfile,
        *,
        year: int,
        ref: str,
        judge: str,
        values: dict[str, float],
        now: datetime,
    ) -> None:
        """Insert or update one submitted score, exactly as the import does."""

    @abstractmethod
    def drop(self, session: Session, *, year: int, ref: str, judge: str) -> None:
        """Delete one judge's score of REF (a declared conflict)."""

    @abstractmethod
    def scored(self, session: Session, year: int) -> set[tuple[str, str]]:
        """(ref, judge's name) of every stored score of the year."""

    @abstractmethod
    def categories(self, profile: DistrictProfile) -> dict[str, str]:
        """Category code → Chinese name, in the order progress lists them."""

    @abstractmethod
    def deadline_inputs(self, year: int) -> tuple[dict[str, int], dict[str, str], dict[str, Any]]:
        """Valid scores per item, each item's category, and what counting them read (the
        deadline's audit snapshot, to which the caller adds k and the deadline)."""

    @property
    @abstractmethod
    def deadline_snapshot(self) -> str:
        """The audit snapshot kind of closing a round at its deadline."""

    @abstractmethod
    def item_names(self, session: Session, year: int) -> dict[str, str]:
        """What each item is called in the operator's notice."""
