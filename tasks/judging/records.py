"""Database side of scoring on the portal: opening a year's round, a judge's page, their scores.

Each public function is one transaction. `open_round` makes the balanced assignment with
recusal of `tasks/awards/rules.py`, stores it, and gives every judge one personal link in the
message that tells them (a re-run issues nothing). A judge's submitted scores are `award_score`
rows, the very rows `import scores` writes, so the awards run ranks them by the same rule; what
is saved but not submitted is a `ScoreDraft`. Conflicts declared on one item: `conflicts.py`;
progress, reminders and the deadline: `progress.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models.audit import Decision
from models.awards import CATEGORIES, AwardScore, Nomination, NominationBase
from models.db import session_scope
from models.judging import Judge, JudgeAssignment, JudgingRound, ScoreDraft
from models.outbox import OutboxMessage
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.timeutil import utcnow
from tasks.awards.records import judge_roster, resolve_rules
from tasks.awards.rules import RULE, AwardsRules, nomination_keys, plan_judges, screen
from tasks.common import clock, links
from tasks.common.decisions import decision, keep_inputs, payload_digest
from tasks.common.district import active_profile
from tasks.common.privacy import mask_text
from tasks.judging.audit import RULE_VERSION, round_payload
from tasks.judging.rules import Rubric, load_limit
from tasks.notify.render import cn_date
from tasks.notify.staging import stage_rendered
from tasks.responses.records import LinkView, open_link

FLOW = "judging"
PROCESS = "awards"
SUBJECT = "awards"  # what a judge's link is about: the year's learning-award nominations


class JudgingError(Refusal):
    """A request about scoring that cannot be carried out (no nominations, no judges, …)."""


class Member(BaseModel):
    """A judge as a round knows them: imported judges by 编号, profile-only judges by name."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    street: str
    unit: str

    @property
    def conflicts(self) -> frozenset[str]:
        keys = {f"street:{self.street}"} if self.street else set()
        return frozenset(keys | ({f"unit:{self.unit}"} if self.unit else set()))


def members(session: Session, profile: DistrictProfile) -> dict[str, Member]:
    """Every award judge by code: the roster the awards run uses, with 编号 where imported."""
    codes = {j.name: j.code for j in session.exec(select(Judge).where(Judge.role == PROCESS)).all()}
    return {
        (code := codes.get(j.name, j.name)): Member(
            code=code, name=j.name, street=j.street or "", unit=j.unit or ""
        )
        for j in judge_roster(session, profile)
    }


def rubric_of(profile: DistrictProfile) -> Rubric:
    return Rubric.of(profile.awards.criteria, profile.awards.criteria_labels)


def eligible_nominations(session: Session, rules: AwardsRules) -> list[NominationBase]:
    year = rules.year
    rows = session.exec(select(Nomination).where(Nomination.year == year)).all()
    eligible, _ = screen([NominationBase.model_validate(n.model_dump()) for n in rows], rules=rules)
    return eligible


def decide(
    session: Session,
    year: int,
    subject: str,
    kind: str,
    reason: str,
    *,
    recorded: tuple[str, int | None, Mapping[str, Any]] | None = None,
) -> None:
    """A judging decision; `recorded` (inputs digest, seed, outcome) makes it re-derivable."""
    if recorded is None:
        session.add(
            Decision(process=FLOW, year=year, subject=subject, kind=kind, rule=RULE, reason=reason)
        )
        return
    digest, seed, outcome = recorded
    session.add(
        decision(
            process=FLOW,
            year=year,
            subject=subject,
            kind=kind,
            rule=RULE,
            reason=reason,
            inputs_digest=digest,
            rule_version=RULE_VERSION,
            outcome=outcome,
            seed=seed,
        )
    )


def issue_link(
    session: Session, *, year: int, judge: Member, deadline: date, profile: DistrictProfile
) -> str:
    """A new personal link to the judge's scoring page (one request per judge and year)."""
    return links.ask(
        session,
        purpose="judging",
        year=year,
        recipient=judge.code,
        subject=SUBJECT,
        audience=f"judge-{judge.code}",
        deadline=clock.end_of_day(deadline, profile),
        details={"recipient_name": judge.name, "title": f"{year}年度学习型组织评选评分"},
    )


def tell_judge(
    session: Session,
    judge: Member,
    template: str,
    *,
    kind: str,
    year: int,
    deadline: date,
    profile: DistrictProfile,
    **context: Any,
) -> OutboxMessage | None:
    """Stage TEMPLATE to the judge, carrying a new personal link to their scoring page."""
    url = issue_link(session, year=year, judge=judge, deadline=deadline, profile=profile)
    return stage_rendered(
        session,
        template,
        flow=FLOW,
        year=year,
        kind=kind,
        recipient=judge.code,
        audience=f"judge-{judge.code}",
        name=judge.name,
        deadline=deadline,
        link=url,
        contact=profile.contacts.awards,
        **context,
    )


def open_round(
    *, year: int, deadline: date, today: date, now: datetime | None = None
) -> dict[str, Any]:
    """Assign the year's eligible nominations to the judges (k each, balanced, never a judge
    of their own street or unit), store it and tell every judge, with their link.

    Opening a year already open changes nothing and sends nothing.
    """
    if deadline < today:
        raise JudgingError(f"评分截止日期{cn_date(deadline)}早于今天，请重新填写")
    rules = resolve_rules(AwardsParameters(year=year))
    with session_scope() as session:
        existing = session.exec(
            select(JudgingRound).where(JudgingRound.process == PROCESS, JudgingRound.year == year)
        ).first()
        if existing is not None:
            return {"year": year, "opened": False, "deadline": existing.deadline.isoformat()}
        profile = active_profile(session)
        eligible = eligible_nominations(session, rules)
        if not eligible:
            raise JudgingError(f"{year}年度没有符合条件的提名，无法分配评委")
        judges = members(session, profile)
        if not judges:
            raise JudgingError("没有评委：请先导入评委名单")
        plan = plan_judges(eligible, rules=rules)
        code_of = {m.name: m.code for m in judges.values()}
        loads = Counter(name for _, name in plan.pairs)
        limit = load_limit(
            pairs=len(plan.pairs), judges=len(judges), configured=profile.awards.judge_max_load
        )
        limit = max(limit, max(loads.values(), default=0))
        session.add(
            JudgingRound(
                process=PROCESS,
                year=year,
                deadline=deadline,
                per_item=rules.min_judges,
                load_limit=limit,
                seed=rules.seed,
                opened_at=now or utcnow(),
            )
        )
        payload = round_payload(eligible=eligible, rules=rules, codes=code_of)
        digest = payload_digest(payload)
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind="round",
            digest=digest,
            payload=payload,
            rule_version=RULE_VERSION,
        )
        held: dict[str, list[str]] = defaultdict(list)
        for ref, name in plan.pairs:
            code = code_of[name]
            held[code].append(ref)
            session.add(JudgeAssignment(process=PROCESS, year=year, ref=ref, judge=code))
        for s in plan.shortages:
            reason = f"需{s.needed}名评委，回避后仅{s.available}名可评（{RULE}）"
            outcome = {"needed": s.needed, "available": s.available}
            decide(
                session,
                year,
                s.ref,
                "judge_shortage",
                reason,
                recorded=(digest, rules.seed, outcome),
            )
        for code, refs in sorted(held.items()):
            judge = judges[code]
            decide(
                session,
                year,
                judge.name,
                "judge_assigned",
                f"评委{judge.name}分配{len(refs)}项提名：{'、'.join(refs)}，"
                f"均不属本人街道和单位（{RULE}）",
                recorded=(digest, rules.seed, {"judge": code, "refs": refs}),
            )
            tell_judge(
                session,
                judge,
                "judging_assigned",
                kind="assigned",
                year=year,
                deadline=deadline,
                profile=profile,
                count=len(refs),
            )
        return {
            "year": year,
            "opened": True,
            "deadline": deadline.isoformat(),
            "judges": len(held),
            "pairs": len(plan.pairs),
            "load_limit": limit,
            "shortages": [s.ref for s in plan.shortages],
        }


# --------------------------------------------------------------------------- a judge's page


class ItemView(BaseModel):
    """One assigned nomination as its judge sees it: what a judge needs, nothing personal."""

    model_config = ConfigDict(frozen=True)

    ref: str
    category: str
    name: str
    street: str
    community: str
    nominated_by: str
    evidence: list[tuple[str, str]]  # (metric label, value)
    values: dict[str, str]  # what the form shows: the submitted score, else the draft
    submitted: bool
    draft_saved: datetime | None


class JudgePage(BaseModel):
    model_config = ConfigDict(frozen=True)

    view: LinkView
    judge: Member
    rubric: Rubric
    items: list[ItemView]
    conflicts: list[tuple[str, str]]  # (ref, reason) declared by this judge
    deadline: date


def judge_page(token: str, *, now: datetime | None = None) -> JudgePage | None:
    """What the judge behind TOKEN sees; None when the token is no judging link."""
    view = open_link(token, now=now or utcnow())
    if view is None or view.purpose != "judging":
        return None
    with session_scope() as session:
        return page_of(session, view)


def page_of(session: Session, view: LinkView) -> JudgePage:
    profile = active_profile(session)
    judge = members(session, profile).get(view.recipient)
    if judge is None:  # no longer a judge: the link opens nothing
        judge = Member(
            code=view.recipient,
            name=str(view.details.get("recipient_name", "")),
            street="",
            unit="",
        )
    rnd = session.exec(
        select(JudgingRound).where(JudgingRound.process == PROCESS, JudgingRound.year == view.year)
    ).one()
    rows = session.exec(
        select(JudgeAssignment)
        .where(
            JudgeAssignment.process == PROCESS,
            JudgeAssignment.year == view.year,
            JudgeAssignment.judge == judge.code,
        )
        .order_by(col(JudgeAssignment.ref))
    ).all()
    active = [a.ref for a in rows if a.status == "assigned"]
    noms = {
        n.ref: n
        for n in session.exec(
            select(Nomination).where(Nomination.year == view.year, col(Nomination.ref).in_(active))
        ).all()
    }
    scores = judge_scores(session, year=view.year, judge=judge.name, refs=active)
    drafts = judge_drafts(session, year=view.year, judge=judge.code, refs=active)
    labels = profile.awards.metrics
    items = []
    for ref in active:
        n = noms.get(ref)
        if n is None or nomination_keys(NominationBase.model_validate(n.model_dump())) & (
            judge.conflicts
        ):
            continue  # never shown: gone, or (after a re-import) of the judge's street or unit
        score, draft = scores.get(ref), drafts.get(ref)
        values = (
            dict(draft.values)
            if draft is not None
            else {k: f"{v:g}" for k, v in score.criteria.items()}
            if score is not None
            else {}
        )
        items.append(
            ItemView(
                ref=ref,
                category=CATEGORIES.get(n.category, n.category),
                name=mask_text(n.name),
                street=n.street,
                community=n.community,
                nominated_by=mask_text(n.nominated_by),
                evidence=[(label, f"{n.metrics.get(code, 0):g}") for code, label in labels.items()],
                values=values,
                submitted=score is not None and draft is None,
                draft_saved=draft.saved_at if draft is not None else None,
            )
        )
    return JudgePage(
        view=view,
        judge=judge,
        rubric=rubric_of(profile),
        items=items,
        conflicts=[(a.ref, a.reason) for a in rows if a.status == "conflict"],
        deadline=rnd.deadline,
    )


def open_view(token: str, now: datetime) -> LinkView | str:
    view = open_link(token, now=now)
    if view is None or view.purpose != "judging":
        return "unknown"
    return view if view.state == "open" else view.state


def judge_scores(
    session: Session, *, year: int, judge: str, refs: list[str]
) -> dict[str, AwardScore]:
    """The stored scores of one judge (by name, as score rows hold it) for these nominations."""
    return {
        s.ref: s
        for s in session.exec(
            select(AwardScore).where(
                AwardScore.year == year, AwardScore.judge == judge, col(AwardScore.ref).in_(refs)
            )
        ).all()
    }


def judge_drafts(
    session: Session, *, year: int, judge: str, refs: list[str]
) -> dict[str, ScoreDraft]:
    """The saved, unsubmitted scores of one judge (by code) for these nominations."""
    return {
        d.ref: d
        for d in session.exec(
            select(ScoreDraft).where(
                ScoreDraft.process == PROCESS,
                ScoreDraft.year == year,
                ScoreDraft.judge == judge,
                col(ScoreDraft.ref).in_(refs),
            )
        ).all()
    }
