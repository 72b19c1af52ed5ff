"""Database side of the golden-idea campaign (R7.3, R7.4).

Each public function is one transaction (`session_scope`), so a retry or a duplicated event
never half-writes anything: intake persists before it acknowledges, screening only touches ideas
still `received` (idempotent), and every decision is written with its outbox messages.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea, IdeaCampaign, IdeaClusterEdit
from models.profile.ideas import IdeasPolicy
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.registry import Community
from models.settings import get_settings
from tasks.common.dedup import cluster_keys
from tasks.common.district import active_profile
from tasks.ideas.screening import (
    RULE,
    Submission,
    clean_phone,
    fingerprint,
    screen_idea,
    shown,
    validate_submission,
)
from tasks.notify.delivery import stage_message, undelivered_message_ids
from tasks.notify.render import render

FLOW = "ideas"
SCREEN_BATCH = 500


class SubmissionRejected(Refusal):
    """A submission that fails validation; `problems` maps field name to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


class Ack(BaseModel):
    """What a resident is told once the submission is safely stored."""

    id: int
    ref: str
    year: int
    status: str
    duplicate: bool = False


def profile_and_policy() -> tuple[DistrictProfile, IdeasPolicy]:
    with session_scope() as session:
        profile = active_profile(session)
    return profile, profile.ideas


def known_communities(session: Session) -> dict[str, str]:
    """Community -> street, from the registry loaded by `init`."""
    return {c.name: c.street for c in session.exec(select(Community)).all()}


# --------------------------------------------------------------------------- campaign (R7.4)


def phase_dates(*, start: date, policy: IdeasPolicy) -> dict[str, str]:
    """Start date of every phase, from the campaign's first day and the profile's durations."""
    screening = start + timedelta(days=policy.collecting_days)
    reviewing = screening + timedelta(days=policy.screening_days)
    published = reviewing + timedelta(days=policy.reviewing_days)
    closed = published + timedelta(days=policy.follow_up_days)
    return {
        "announce": start.isoformat(),
        "collecting": start.isoformat(),
        "screening": screening.isoformat(),
        "reviewing": reviewing.isoformat(),
        "published": published.isoformat(),
        "follow_up": published.isoformat(),
        "closed": closed.isoformat(),
    }


def open_campaign(*, year: int, start: date, seed: int | None = None) -> dict[str, Any]:
    """Create the year's campaign (phase `collecting`) and stage its announcement; idempotent.

    The announcement goes to residents (audience `residents`) and to every community office.
    """
    with session_scope() as session:
        profile = active_profile(session)
        policy = profile.ideas
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            campaign = IdeaCampaign(
                year=year,
                phase="collecting",
                phases=phase_dates(start=start, policy=policy),
                seed=policy.seed if seed is None else seed,
            )
            session.add(campaign)
            session.flush()
        if not campaign.announced:
            phases = campaign.phases
            settings = get_settings()
            # the portal's idea form when the district gave it a public address (LD_PUBLIC_URL);
            # the default local address means nothing to a resident: then on paper or by post
            public = "public_url" in settings.model_fields_set
            common: dict[str, Any] = {
                "year": year,
                "collecting_from": date.fromisoformat(phases["collecting"]),
                "collecting_to": date.fromisoformat(phases["screening"]) - timedelta(days=1),
                "publish_on": date.fromisoformat(phases["published"]),
                "title_max": policy.title_max,
                "content_min": policy.content_min,
                "content_max": policy.content_max,
                "submit_url": f"{settings.public_url}/ideas" if public else None,
                "contact": profile.contacts.centre,
            }
            recipients = [("residents", "residents", "全区居民朋友们")]
            recipients += [
                (f"community-{name}", name, f"{name}")
                for name in sorted(known_communities(session))
            ]
            for audience, recipient, audience_name in recipients:
                title, body = render("ideas_announce", audience_name=audience_name, **common)
                stage_message(
                    session,
                    flow=FLOW,
                    year=year,
                    kind="announce",
                    recipient=recipient,
                    audience=audience,
                    title=title,
                    body=body,
                )
            campaign.announced = True
        return campaign.model_dump(mode="json")


def set_phase(*, year: int, phase: str) -> None:
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, year)
        if campaign is None:
            raise ValueError(f"no golden-idea campaign for {year}; open it first")
        campaign.phase = phase


def _ensure_campaign(session: Session, *, year: int) -> IdeaCampaign:
    campaign = session.get(IdeaCampaign, year)
    if campaign is None:
        raise SubmissionRejected({"year": f"{year}年度金点子征集尚未启动"})
    if campaign.phase not in ("announce", "collecting"):
        closed = f"{year}年度金点子征集已截止（当前阶段 {campaign.phase}）"
        raise SubmissionRejected({"year": closed})
    return campaign


# --------------------------------------------------------------------------- intake


def _new_idea(
    *,
    year: int,
    submission: Submission,
    phone: str,
    submitted_at: datetime,
    source: str,
    now: datetime,
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
    this_year = now.astimezone(ZoneInfo(profile.timezone)).year
    for index, (given_year, submission) in enumerate(items):
        year = given_year or this_year
        problems = validate_submission(submission, policy=profile.ideas, communities=communities)
        if problems:
            outcomes.append(SubmissionRejected(problems))
            continue
        if year not in closed:
            try:
                _ensure_campaign(session, year=year)
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
        _ensure_campaign(session, year=year)
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
            )
            old = existing.get(submission.ref) if submission.ref else None
            if old is not None:
                if old.fingerprint == idea.fingerprint:
                    unchanged += 1
                    if old.status == "received" and old.id is not None:
                        unscreened.append(old.id)
                    continue
                problems.append(
                    f"row {number}, column 编号: {submission.ref} is already used in {year} "
                    f"for another idea"
                )
                continue
            if submission.ref and GENERATED_REF.fullmatch(submission.ref):
                problems.append(
                    f"row {number}, column 编号: {submission.ref} looks like an automatic "
                    f"number (YYYY-NNNNNN), which is reserved; leave it empty or use another"
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
                    f"row {number}, column 内容: the same person already submitted this idea "
                    f"({by_print[idea.fingerprint]})"
                )
                continue
            by_print[idea.fingerprint] = submission.ref or f"row {number}"
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


# --------------------------------------------------------------------------- screening


def screen_ids(*, ids: Sequence[int], now: datetime) -> int:
    """Screen the given ideas that are still `received`; return how many were screened now.

    Idempotent: an idea already screened or rejected is left alone, so a duplicated event, a
    re-enqueued batch or the sweeper racing a slow worker screens each idea once.
    """
    if not ids:
        return 0
    done = 0
    with session_scope() as session:
        profile = active_profile(session)
        policy = profile.ideas
        for start in range(0, len(ids), SCREEN_BATCH):
            chunk = list(ids[start : start + SCREEN_BATCH])
            rows = session.exec(
                select(Idea).where(col(Idea.id).in_(chunk), Idea.status == "received")
            ).all()
            for idea in rows:
                outcome = screen_idea(title=idea.title, content=idea.content, policy=policy)
                idea.status = outcome.status
                idea.norm_key = outcome.key
                idea.category = outcome.category
                idea.reason = outcome.reason
                idea.screened_at = now
                done += 1
                if outcome.status == "rejected":
                    session.add(
                        Decision(
                            process=FLOW,
                            year=idea.year,
                            subject=idea.ref,
                            kind="rejected",
                            rule=RULE,
                            reason=outcome.reason,
                            inputs_digest=idea.fingerprint,
                        )
                    )
                    title, body = render(
                        "ideas_rejected",
                        submitter=idea.submitter,
                        title=shown(idea.title),
                        ref=idea.ref,
                        reason=outcome.notice,
                        contact=profile.contacts.centre,
                    )
                    stage_message(
                        session,
                        flow=FLOW,
                        year=idea.year,
                        kind="rejected",
                        recipient=idea.ref,
                        audience=f"idea-submitter-{idea.ref}",
                        title=title,
                        body=body,
                    )
    return done


def mark_enqueued(*, ids: Sequence[int], now: datetime) -> None:
    """Stamp when a batch went on the task queue (one statement, however large the batch)."""
    if not ids:
        return
    with session_scope() as session:
        session.execute(update(Idea).where(col(Idea.id).in_(list(ids))).values(enqueued_at=now))


def unannounced(*, source: str) -> list[Ack]:
    """Ideas from SOURCE still `received` and never put on the task queue, oldest first.

    What an intake process that stopped between storing and enqueueing left behind.
    """
    with session_scope() as session:
        rows = session.exec(
            select(Idea.id, Idea.ref, Idea.year, Idea.status)
            .where(
                Idea.status == "received",
                col(Idea.enqueued_at).is_(None),
                Idea.source == source,
            )
            .order_by(col(Idea.id))
        ).all()
    return [
        Ack(id=idea_id, ref=ref, year=year, status=status)
        for idea_id, ref, year, status in rows
        if idea_id is not None
    ]


def overdue_ids(*, now: datetime, after: timedelta, year: int | None = None) -> list[int]:
    """Ideas still `received` that arrived (or were last enqueued) longer than AFTER ago."""
    cutoff = now - after
    with session_scope() as session:
        query = select(Idea).where(Idea.status == "received")
        if year is not None:
            query = query.where(Idea.year == year)
        rows = session.exec(query.order_by(col(Idea.id))).all()
        return [
            i.id
            for i in rows
            if i.id is not None and _aware(i.enqueued_at or i.received_at) <= cutoff
        ]


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def received_ids(*, year: int) -> list[int]:
    with session_scope() as session:
        return [
            i
            for i in session.exec(
                select(Idea.id).where(Idea.year == year, Idea.status == "received")
            ).all()
            if i is not None
        ]


# --------------------------------------------------------------------------- clusters


def _edits(session: Session, year: int) -> list[IdeaClusterEdit]:
    return list(
        session.exec(
            select(IdeaClusterEdit)
            .where(IdeaClusterEdit.year == year, col(IdeaClusterEdit.active))
            .order_by(col(IdeaClusterEdit.id))
        ).all()
    )


def apply_edits(clusters: list[list[str]], edits: Iterable[IdeaClusterEdit]) -> list[list[str]]:
    """Replay the clerk's merges (join two clusters) and unmerges (detach one idea) in order."""
    label = {ref: members[0] for members in clusters for ref in members}
    for edit in edits:
        if edit.ref not in label:
            continue
        if edit.action == "unmerge":
            label[edit.ref] = f"\x00{edit.ref}"  # a label nobody else has
        elif edit.action == "merge" and edit.target in label:
            old, new = label[edit.ref], label[edit.target]
            for ref, lab in label.items():
                if lab == old:
                    label[ref] = new
    groups: dict[str, list[str]] = {}
    for ref, lab in label.items():
        groups.setdefault(lab, []).append(ref)
    return sorted((sorted(members) for members in groups.values()), key=lambda m: m[0])


def year_clusters(year: int) -> list[list[str]]:
    """Every screened idea of the year in exactly one cluster (the spec's rule + edits)."""
    with session_scope() as session:
        policy = active_profile(session).ideas
        rows = session.exec(
            select(Idea.ref, Idea.norm_key)
            .where(Idea.year == year, Idea.status == "screened")
            .order_by(col(Idea.ref))
        ).all()
        edits = _edits(session, year)
    refs = [r for r, _ in rows]
    found = cluster_keys([k for _, k in rows], threshold=policy.similarity_threshold)
    auto = [[refs[i] for i in members] for members in found.clusters]
    return apply_edits(auto, edits)


def edit_cluster(
    *, year: int, action: str, ref: str, target: str = "", reason: str, operator: str
) -> int:
    """Log a merge or unmerge (with its reason, as a decision too); return the edit id."""
    if action not in ("merge", "unmerge"):
        raise ValueError(f"unknown cluster action '{action}'; use merge or unmerge")
    if not reason.strip():
        raise ValueError("a merge or unmerge needs a reason")
    with session_scope() as session:
        screened = set(
            session.exec(select(Idea.ref).where(Idea.year == year, Idea.status == "screened")).all()
        )
        for name in (ref, target) if action == "merge" else (ref,):
            if name not in screened:
                raise ValueError(f"no screened idea {name} in {year}")
        edit = IdeaClusterEdit(
            year=year, action=action, ref=ref, target=target, reason=reason, operator=operator
        )
        session.add(edit)
        session.flush()
        assert edit.id is not None
        what = f"并入 {target} 所在组" if action == "merge" else "移出所在组"
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=ref,
                kind=f"{action}-{edit.id}",
                rule=RULE,
                reason=f"{operator or '经办人员'}将 {ref} {what}：{reason}",
            )
        )
        return edit.id


def undo_edit(*, year: int, edit_id: int, reason: str, operator: str) -> None:
    """Undo a merge or unmerge (kept on record, marked inactive, the undo logged)."""
    with session_scope() as session:
        edit = session.get(IdeaClusterEdit, edit_id)
        if edit is None or edit.year != year:
            raise ValueError(f"no cluster edit {edit_id} in {year}")
        if not edit.active:
            return
        edit.active = False
        session.add(
            Decision(
                process=FLOW,
                year=year,
                subject=edit.ref,
                kind=f"undo-{edit.id}",
                rule=RULE,
                reason=f"{operator or '经办人员'}撤销第 {edit.id} 号{edit.action}：{reason}",
            )
        )


def ideas_by_ref(year: int, refs: Iterable[str]) -> dict[str, Idea]:
    wanted = list(refs)
    with session_scope() as session:
        rows = session.exec(select(Idea).where(Idea.year == year, col(Idea.ref).in_(wanted))).all()
        return {i.ref: i for i in rows}


def year_ideas(year: int) -> list[Idea]:
    with session_scope() as session:
        return list(
            session.exec(select(Idea).where(Idea.year == year).order_by(col(Idea.ref))).all()
        )


def screening_table(year: int, *, limit: int = 200) -> list[dict[str, object]]:
    """The office's view of screened/rejected ideas; phones and text masked (PII)."""
    from tasks.common.privacy import mask_phone

    rows = year_ideas(year)[:limit]
    return [
        {
            "编号": i.ref,
            "提交人": i.submitter,
            "手机": mask_phone(i.phone),
            "社区": i.community,
            "标题": shown(i.title),
            "状态": i.status,
            "分类": i.category,
            "说明": i.reason,
        }
        for i in rows
    ]


def digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's ideas not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
