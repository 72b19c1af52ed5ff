"""Intake: a submission, a batch from the portal or an imported file, stored before its receipt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.db import session_scope
from models.ideas import Idea
from tasks.common import clock
from tasks.common.district import active_profile
from tasks.ideas.campaign import ensure_campaign
from tasks.ideas.records import Ack, SubmissionRejected, known_communities
from tasks.ideas.screening import (
    Submission,
    chosen_category,
    clean_phone,
    fingerprint,
    validate_submission,
)


def _new_idea(
    *,
    year: int,
    submission: Submission,
    phone: str,
    submitted_at: datetime,
    source: str,
    now: datetime,
    chosen: str = "",
) -> Idea:
    return Idea(
        year=year,
        ref=submission.ref or f"tmp-{uuid4().hex}",
        submitter=submission.submitter.strip(),
        phone=phone,
        community=submission.community,
        title=submission.title.strip(),
        content=submission.content.strip(),
        submitted_at=submitted_at,
        fingerprint=fingerprint(phone=phone, title=submission.title, content=submission.content),
        source=source,
        received_at=now,
        chosen_category=chosen,
    )


def _generated_ref(year: int, idea_id: int) -> str:
    return f"{year}-{idea_id:06d}"


# a ref a submitter chooses must not look generated: it would take the number of a later idea,
# whose insert would then fail on (year, ref) again and again
GENERATED_REF = re.compile(r"\d{4}-\d{6,}")


def submit(
    *,
    year: int,
    submission: Submission,
    source: str,
    now: datetime,
    submitted_at: datetime | None = None,
) -> Ack:
    """Validate and persist one submission (status `received`); the caller acknowledges after.

    The same person sending the same idea again gets the first submission's acknowledgement
    (`duplicate=True`), so a form retried after a lost answer never creates a second idea.
    """
    outcome = submit_many(
        items=[(year, submission)], source=source, now=now, submitted_at=submitted_at
    )[0]
    if isinstance(outcome, SubmissionRejected):
        raise outcome
    return outcome


def submit_many(
    *,
    items: Sequence[tuple[int | None, Submission]],
    source: str,
    now: datetime,
    submitted_at: datetime | None = None,
) -> list[Ack | SubmissionRejected]:
    """Validate and persist (year, submission) pairs with ONE commit; outcomes in ITEMS' order.

    A year of None is the year of NOW in the district's time zone.

    The intake's group commit: many requests share a transaction, a few statements and one
    fsync. Each item is judged as if submitted alone, in order: invalid ones are rejected with
    every problem by field and write nothing; a resubmission — of an idea already stored or of
    an earlier item of the batch — gets the first one's acknowledgement (`duplicate=True`). If
    another writer stored a clashing idea meanwhile (a unique key fails), the batch is rolled
    back and each item is stored on its own. If the commit fails the exception propagates:
    nothing is stored and nobody may be acknowledged.
    """
    try:
        with session_scope() as session:
            return _store_batch(session, items, source=source, now=now, submitted_at=submitted_at)
    except IntegrityError:
        if len(items) == 1:
            return [SubmissionRejected({"ref": "编号或内容与同时提交的建议重复，请重试"})]
        return [
            submit_many(items=[item], source=source, now=now, submitted_at=submitted_at)[0]
            for item in items
        ]


def _store_batch(
    session: Session,
    items: Sequence[tuple[int | None, Submission]],
    *,
    source: str,
    now: datetime,
    submitted_at: datetime | None,
) -> list[Ack | SubmissionRejected]:
    profile = active_profile(session)
    communities = set(known_communities(session))
    closed: dict[int, SubmissionRejected | None] = {}  # year -> why it takes no submissions
    outcomes: list[Ack | SubmissionRejected | int] = []  # int: duplicate of that item
    valid: list[tuple[int, Idea]] = []
    this_year = clock.local_date(now, profile).year
    for index, (given_year, submission) in enumerate(items):
        year = given_year or this_year
        problems = validate_submission(submission, policy=profile.ideas, communities=communities)
        if problems:
            outcomes.append(SubmissionRejected(problems))
            continue
        if year not in closed:
            try:
                ensure_campaign(session, year=year)
                closed[year] = None
            except SubmissionRejected as exc:
                closed[year] = exc
        if (why := closed[year]) is not None:
            outcomes.append(why)
            continue
        phone = clean_phone(submission.phone)
        assert phone is not None  # validated
        idea = _new_idea(
            year=year,
            submission=submission,
            phone=phone,
            submitted_at=submitted_at or now,
            source=source,
            now=now,
            chosen=chosen_category(submission.category, policy=profile.ideas) or "",
        )
        outcomes.append(index)  # decided below
        valid.append((index, idea))

    # what is stored already: one query for the batch's fingerprints, one for its own refs
    prints = {idea.fingerprint for _, idea in valid}
    stored = {
        (row.year, row.fingerprint): Ack(
            id=row.id, ref=row.ref, year=row.year, status=row.status, duplicate=True
        )
        for row in session.exec(select(Idea).where(col(Idea.fingerprint).in_(prints))).all()
        if row.id is not None
    }
    own_refs = {items[index][1].ref for index, _ in valid if items[index][1].ref}
    taken = {
        (year, ref)
        for year, ref in session.exec(
            select(Idea.year, Idea.ref).where(col(Idea.ref).in_(own_refs))
        ).all()
    }
    first: dict[tuple[int, str], int] = {}  # (year, fingerprint) -> the batch item storing it
    new: list[tuple[int, Idea]] = []
    for index, idea in valid:
        key = (idea.year, idea.fingerprint)
        ref = items[index][1].ref
        if key in stored:
            outcomes[index] = stored[key]
        elif key in first:
            outcomes[index] = first[key]
        elif ref and GENERATED_REF.fullmatch(ref):
            rule = "编号不能采用系统自动编号的格式（年度-六位数字），请留空由系统编号"
            outcomes[index] = SubmissionRejected({"ref": rule})
        elif ref and (idea.year, ref) in taken:
            outcomes[index] = SubmissionRejected({"ref": f"编号 {ref} 已被其他建议使用"})
        else:
            first[key] = index
            if ref:
                taken.add((idea.year, ref))
            new.append((index, idea))
    session.add_all(idea for _, idea in new)
    session.flush()  # IntegrityError: another writer stored the same ref or idea meanwhile
    for index, idea in new:
        assert idea.id is not None
        if not items[index][1].ref:
            idea.ref = _generated_ref(idea.year, idea.id)
    session.flush()
    acks = {
        index: Ack(id=idea.id, ref=idea.ref, year=idea.year, status=idea.status)
        for index, idea in new
        if idea.id is not None
    }
    done: list[Ack | SubmissionRejected] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, int):
            ack = acks[outcome]
            done.append(ack if outcome == index else ack.model_copy(update={"duplicate": True}))
        else:
            done.append(outcome)
    return done


class ImportedIdeas(BaseModel):
    """What an ideas import wrote."""

    ids: list[int]  # to screen: the new ideas, and earlier-imported ones still unscreened
    inserted: int
    unchanged: int


def store_imported(
    *, year: int, rows: Sequence[dict[str, Any]], now: datetime, path: Path
) -> ImportedIdeas:
    """Insert validated import rows in one transaction; re-importing a file changes nothing.

    A row whose ref exists with the same content is unchanged; a ref reused for other content,
    or the same person's same idea under another ref, rejects the whole file.
    """
    from tasks.importing.reading import ImportRejected

    with session_scope() as session:
        ensure_campaign(session, year=year)
        existing = {i.ref: i for i in session.exec(select(Idea).where(Idea.year == year)).all()}
        by_print = {i.fingerprint: i.ref for i in existing.values()}
        problems: list[str] = []
        new: list[Idea] = []
        unchanged = 0
        # stored by an earlier import of this file that stopped before screening them
        unscreened: list[int] = []
        for row in rows:
            number = row["_row"]
            submission = Submission(
                submitter=row["submitter"],
                phone=row["phone"],
                community=row["community"],
                title=row["title"],
                content=row["content"],
                ref=row.get("ref") or "",
            )
            idea = _new_idea(
                year=year,
                submission=submission,
                phone=row["phone"],
                submitted_at=row.get("submitted_at") or now,
                source="import",
                now=now,
                chosen=row.get("category") or "",
            )
            old = existing.get(submission.ref) if submission.ref else None
            if old is not None:
                if old.fingerprint == idea.fingerprint:
                    unchanged += 1
                    if old.status == "received" and old.id is not None:
                        unscreened.append(old.id)
                    continue
                problems.append(
                    f"第{number}行「编号」列：{submission.ref}在{year}年度已被其他建议使用"
                )
                continue
            if submission.ref and GENERATED_REF.fullmatch(submission.ref):
                problems.append(
                    f"第{number}行「编号」列：{submission.ref}与系统自动编号的格式相同，"
                    "请留空或另取编号"
                )
                continue
            if idea.fingerprint in by_print:
                if not submission.ref and by_print[idea.fingerprint] in existing:
                    unchanged += 1  # the same file imported again without refs
                    same = existing[by_print[idea.fingerprint]]
                    if same.status == "received" and same.id is not None:
                        unscreened.append(same.id)
                    continue
                problems.append(
                    f"第{number}行「内容」列：同一人已提交过这条建议"
                    f"（{by_print[idea.fingerprint]}）"
                )
                continue
            by_print[idea.fingerprint] = submission.ref or f"第{number}行"
            new.append(idea)
        if problems:
            raise ImportRejected(path, problems)
        session.add_all(new)
        session.flush()
        for idea in new:
            assert idea.id is not None
            if idea.ref.startswith("tmp-"):
                idea.ref = _generated_ref(year, idea.id)
        session.flush()
        return ImportedIdeas(
            ids=[i.id for i in new if i.id is not None] + unscreened,
            inserted=len(new),
            unchanged=unchanged,
        )
