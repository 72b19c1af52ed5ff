"""The 公示 as the public reads it, and real-name objections filed on the portal (R11.2).

`publicity(year)` is what the public page lists: every nominee under notice per category with
its period (working days) and the office's contact; no score, no objection, nobody's phone.
`file_public_objection` stores an objection with what the portal took with it (the objector's
relation to the nominee, an optional attachment), the event that announces it and the
objector's status link, in one transaction; the event (`district.award.objection.filed`)
then starts the existing ruling path. Who objected is seen by the committee only: the page
never shows it, the status link shows the objector their own objection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import update
from sqlmodel import col, select

from models.awards import CATEGORIES, AwardEntry, AwardObjection, AwardRound
from models.db import session_scope
from models.profile.contacts import OfficeContact
from models.residents import ObjectionFiling, StatusLink
from models.timeutil import utcnow
from tasks.awards.records import AwardsError
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.common.links import new_token, token_hash


class Listed(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    name: str
    street: str
    community: str
    start: date
    end: date
    days: int  # working days of its 公示
    promoted: bool  # a reserve listed after an upheld objection (its own short 公示)


class Publicity(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    status: str  # publicity | final
    groups: list[tuple[str, list[Listed]]]  # (category in Chinese, its nominees)
    contact: OfficeContact

    def entry(self, ref: str) -> Listed | None:
        return next((e for _, entries in self.groups for e in entries if e.ref == ref), None)

    def open_on(self, today: date) -> bool:
        return any(e.start <= today <= e.end for _, entries in self.groups for e in entries)


def publicity(year: int) -> Publicity | None:
    """The year's nominees under notice (or already final); None before the committee's list."""
    with session_scope() as session:
        rnd = session.get(AwardRound, year)
        if rnd is None:
            return None
        rows = session.exec(
            select(AwardEntry)
            .where(AwardEntry.year == year, AwardEntry.status.in_(("listed", "awarded")))  # type: ignore[attr-defined]
            .order_by(col(AwardEntry.category), col(AwardEntry.rank), col(AwardEntry.ref))
        ).all()
        workdays = work_calendar(session)
        contact = active_profile(session).contacts.awards
        groups: dict[str, list[Listed]] = {}
        for entry in rows:
            if entry.publicity_start is None or entry.publicity_end is None:
                continue
            groups.setdefault(entry.category, []).append(
                Listed(
                    ref=entry.ref,
                    name=entry.name,
                    street=entry.street,
                    community=entry.community,
                    start=entry.publicity_start,
                    end=entry.publicity_end,
                    days=workdays.working_days_between(entry.publicity_start, entry.publicity_end),
                    promoted=entry.promoted_from is not None,
                )
            )
    ordered = [(CATEGORIES[c], groups[c]) for c in CATEGORIES if c in groups]
    return Publicity(year=year, status=rnd.status, groups=ordered, contact=contact)


class Filed(BaseModel):
    model_config = ConfigDict(frozen=True)

    objection_id: int
    filing_id: int
    token: str  # the objector's status link ("" when the same form was sent again)
    event: dict[str, Any]
    again: bool


def file_public_objection(
    *,
    year: int,
    ref: str,
    objector: str,
    phone: str,
    relation: str,
    content: str,
    attachment: bytes | None,
    attachment_type: str,
    form_id: str,
    today: date,
    event_for: Callable[[int], dict[str, Any]],
    now: datetime,
) -> Filed:
    """Store a real-name objection from the public page, its event and its status link.

    Refused (AwardsError, nothing written) when REF is not under notice or its 公示 ended
    before TODAY. The same form sent twice (FORM_ID) is one objection.
    """
    with session_scope() as session:
        again = session.exec(
            select(ObjectionFiling).where(ObjectionFiling.form_id == form_id)
        ).first()
        if again is not None:
            assert again.id is not None
            return Filed(
                objection_id=again.objection_id,
                filing_id=again.id,
                token="",
                event=again.event,
                again=True,
            )
        entry = session.exec(
            select(AwardEntry).where(AwardEntry.year == year, AwardEntry.ref == ref)
        ).first()
        if entry is None or entry.status != "listed" or entry.publicity_end is None:
            raise AwardsError("该对象不在公示名单中")
        if entry.publicity_start is not None and today < entry.publicity_start:
            raise AwardsError("该对象的公示尚未开始")
        if today > entry.publicity_end:
            raise AwardsError("该对象的公示期已结束，不再受理异议")
        objection = AwardObjection(
            year=year,
            ref=ref,
            objector=objector,
            phone=phone,
            content=content,
            filed_on=today,
            created_at=now,
        )
        session.add(objection)
        session.flush()
        assert objection.id is not None
        event = event_for(objection.id)
        filing = ObjectionFiling(
            objection_id=objection.id,
            form_id=form_id,
            relation=relation,
            attachment_type=attachment_type if attachment else "",
            attachment=attachment or None,
            event=event,
            filed_at=now,
        )
        session.add(filing)
        session.flush()
        assert filing.id is not None
        token = new_token()
        session.add(
            StatusLink(
                token_hash=token_hash(token),
                kind="objection",
                year=year,
                subject=str(objection.id),
                issued_at=now,
            )
        )
        return Filed(
            objection_id=objection.id, filing_id=filing.id, token=token, event=event, again=False
        )


class ObjectionStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    name: str  # the nominee objected to
    category: str
    filed_on: date
    status: str  # open | upheld | dismissed
    ruling: str
    ruled_on: date | None


def objection_status(token: str) -> ObjectionStatus | None:
    """What the objector's status link shows; None for an unknown link."""
    with session_scope() as session:
        link = session.exec(
            select(StatusLink).where(
                StatusLink.token_hash == token_hash(token), StatusLink.kind == "objection"
            )
        ).first()
        if link is None:
            return None
        objection = session.get(AwardObjection, int(link.subject))
        if objection is None:
            return None
        entry = session.exec(
            select(AwardEntry).where(
                AwardEntry.year == objection.year, AwardEntry.ref == objection.ref
            )
        ).first()
        return ObjectionStatus(
            year=objection.year,
            name=entry.name if entry else objection.ref,
            category=CATEGORIES.get(entry.category, "") if entry else "",
            filed_on=objection.filed_on,
            status=objection.status,
            ruling=objection.ruling,
            ruled_on=objection.ruled_on,
        )


def unannounced_filings(
    *, limit: int = 200, older_than: timedelta = timedelta(0)
) -> list[tuple[int, dict[str, Any]]]:
    """(filing id, event) of objections stored at least OLDER_THAN ago and never announced."""
    cutoff = utcnow() - older_than
    with session_scope() as session:
        rows = session.exec(
            select(ObjectionFiling.id, ObjectionFiling.event, ObjectionFiling.filed_at)
            .where(col(ObjectionFiling.announced_at).is_(None))
            .order_by(col(ObjectionFiling.id))
            .limit(limit)
        ).all()
    return [
        (filing_id, dict(event))
        for filing_id, event, filed_at in rows
        if filing_id is not None and _aware(filed_at) <= cutoff
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def mark_filings_announced(ids: list[int], *, now: datetime | None = None) -> None:
    if not ids:
        return
    with session_scope() as session:
        session.execute(
            update(ObjectionFiling)
            .where(col(ObjectionFiling.id).in_(ids), col(ObjectionFiling.announced_at).is_(None))
            .values(announced_at=now or utcnow())
        )
