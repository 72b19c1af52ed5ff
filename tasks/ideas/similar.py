"""Similar ideas while a resident writes, and "我也支持这条" (R7.3).

`CampaignIndexes` keeps one `SimilarIndex` per campaign year in the portal's memory. It is
filled from the database the first time a year is asked for, every idea the portal stores is
added at once (`add`), and before a lookup it catches up with what other ways in stored (the
command line, an import) and drops what screening rejected since — at most once a second per
year (`refresh_seconds`). What a lookup shows of an idea is read back from the database and
masked (`screening.shown`): a phone or ID number in an idea is never shown to another resident.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlmodel import col, func, select

from models.db import session_scope
from models.ideas import Idea
from models.residents import IdeaSupport
from tasks.common.dedup import idea_key
from tasks.common.district import active_profile
from tasks.common.similar import SimilarIndex
from tasks.ideas.screening import fingerprint, shown

SHOWN_MAX = 5
EXCERPT = 120  # characters of an idea's text shown beside its title


class SimilarIdea(BaseModel):
    """An idea already submitted that a new one would join, as other residents may see it."""

    model_config = ConfigDict(frozen=True)

    ref: str
    title: str  # masked
    text: str  # masked, at most EXCERPT characters
    similarity: float
    supporters: int


class _Year:
    def __init__(self, index: SimilarIndex) -> None:
        self.index = index
        self.last_id = 0
        self.checked_at = 0.0
        self.since: datetime | None = None  # rejections after this are not dropped yet


class CampaignIndexes:
    """The similar-ideas index of every campaign year the portal was asked about."""

    def __init__(
        self, *, refresh_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()
        self._pending: list[tuple[int, int, str]] = []  # (year, idea id, key) not indexed yet

    def _year(self, year: int) -> _Year:
        with self._lock:
            found = self._years.get(year)
            if found is None:
                with session_scope() as session:
                    threshold = active_profile(session).ideas.similarity_threshold
                found = self._years[year] = _Year(SimilarIndex(threshold=threshold))
            return found

    def add(self, *, year: int, idea_id: int, title: str, content: str) -> None:
        """An idea just stored (by this process): found by the next lookup.

        Only queued here: it is called from the intake's writer thread, which must never wait
        for the index (a lookup indexes what is queued, in its own thread).
        """
        with self._lock:
            self._pending.append((year, idea_id, idea_key(title, content)))

    def refresh(self, year: int, *, force: bool = False) -> SimilarIndex:
        """The year's index, caught up with the database (at most once per refresh_seconds)."""
        entry = self._year(year)
        with self._lock:
            pending, self._pending = self._pending, []
        for other_year, idea_id, key in pending:
            self._year(other_year).index.add(idea_id, key)
        now = self._clock()
        if not force and now - entry.checked_at < self.refresh_seconds:
            return entry.index
        with self._lock:  # one catch-up at a time
            with session_scope() as session:
                rows = session.exec(
                    select(Idea.id, Idea.title, Idea.content)
                    .where(Idea.year == year, col(Idea.id) > entry.last_id)
                    .where(Idea.status != "rejected")
                    .order_by(col(Idea.id))
                ).all()
                dropped = select(Idea.id).where(Idea.year == year, Idea.status == "rejected")
                if entry.since is not None:
                    dropped = dropped.where(col(Idea.screened_at) >= entry.since)
                rejected = session.exec(dropped).all()
                newest = session.exec(
                    select(func.max(Idea.screened_at)).where(Idea.year == year)
                ).one()
            loaded = [(i, idea_key(title, content)) for i, title, content in rows if i is not None]
            if len(loaded) > 1000:  # a campaign loaded for the first time: one rebuild
                entry.index.add_many(loaded)
            else:
                for stored_id, key in loaded:
                    entry.index.add(stored_id, key)
            entry.last_id = max([entry.last_id, *(i for i, _ in loaded)])
            for rejected_id in rejected:
                if rejected_id is not None:
                    entry.index.remove(rejected_id)
            if newest is not None:
                entry.since = newest
            entry.checked_at = now
        return entry.index

    def similar(
        self, *, year: int, title: str, content: str, limit: int = SHOWN_MAX
    ) -> tuple[int, list[SimilarIdea]]:
        """How many stored ideas a new one (title, content) would join, and the LIMIT most
        similar of them as residents may see them."""
        matches = self.refresh(year).lookup(idea_key(title, content))
        top = matches[:limit]
        if not top:
            return len(matches), []
        ids = [m.item for m in top]
        with session_scope() as session:
            rows = {
                row.id: row for row in session.exec(select(Idea).where(col(Idea.id).in_(ids))).all()
            }
            counts = dict(
                session.exec(
                    select(IdeaSupport.ref, func.count())
                    .where(
                        IdeaSupport.year == year,
                        col(IdeaSupport.ref).in_([r.ref for r in rows.values()]),
                    )
                    .group_by(col(IdeaSupport.ref))
                ).all()
            )
        shown_ideas = []
        for match in top:
            row = rows.get(match.item)
            if row is None:
                continue
            text = shown(row.content)
            shown_ideas.append(
                SimilarIdea(
                    ref=row.ref,
                    title=shown(row.title),
                    text=text if len(text) <= EXCERPT else text[:EXCERPT] + "…",
                    similarity=round(float(match.similarity), 2),
                    supporters=int(counts.get(row.ref, 0)),
                )
            )
        return len(matches), shown_ideas


def already_submitted(*, year: int, phone: str, title: str, content: str) -> bool:
    """Whether this person stored this very idea already (a resubmission, not a new one)."""
    print_ = fingerprint(phone=phone, title=title, content=content)
    with session_scope() as session:
        found = session.exec(
            select(Idea.id).where(Idea.year == year, Idea.fingerprint == print_)
        ).first()
    return found is not None


def phone_print(phone: str) -> str:
    return hashlib.sha256(f"support\x1f{phone}".encode()).hexdigest()


def record_support(
    *, year: int, ref: str, supporter: str, phone: str, community: str, now: datetime
) -> bool:
    """Record SUPPORTER as backing idea REF; False when that person already supports it.

    The idea must be of YEAR and not rejected; the caller has validated the name, the phone
    (cleaned) and the community.
    """
    with session_scope() as session:
        idea = session.exec(select(Idea).where(Idea.year == year, Idea.ref == ref)).first()
        if idea is None or idea.status == "rejected":
            raise LookupError(f"no idea {ref} of {year} to support")
        fingerprint = phone_print(phone)
        existing = session.exec(
            select(IdeaSupport.id).where(
                IdeaSupport.year == year,
                IdeaSupport.ref == ref,
                IdeaSupport.fingerprint == fingerprint,
            )
        ).first()
        if existing is not None:
            return False
        session.add(
            IdeaSupport(
                year=year,
                ref=ref,
                supporter=supporter,
                phone=phone,
                community=community,
                fingerprint=fingerprint,
                created_at=now,
            )
        )
    return True


def support_counts(year: int) -> dict[str, int]:
    """Supporters per idea ref of YEAR."""
    with session_scope() as session:
        rows = session.exec(
            select(IdeaSupport.ref, func.count())
            .where(IdeaSupport.year == year)
            .group_by(col(IdeaSupport.ref))
        ).all()
    return {ref: int(count) for ref, count in rows}
