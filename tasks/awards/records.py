"""Database side of the learning awards (R11.2): inputs in; the approved list and its 公示 out.

Each public function of the awards' database side (this module, `objections`, `final_list`) is
one transaction: a decision and the messages it causes are written together, and re-running any
step changes nothing and stages nothing twice.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from models.audit import Decision
from models.awards import (
    CATEGORIES,
    AwardEntry,
    AwardRound,
    AwardScore,
    AwardScoreBase,
    Nomination,
    NominationBase,
)
from models.db import session_scope
from models.judging import Judge
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.refusal import Refusal
from models.results.awards import AwardsResult, ListedNominee
from tasks.awards.audit import list_outcomes, list_payload
from tasks.awards.rules import (
    RULE,
    RULE_VERSION,
    AwardsProposal,
    AwardsRules,
    JudgeInfo,
    NothingToList,
    empty_list_reason,
    inputs_digest,
    result_json,
)
from tasks.common.decisions import DecidingRule, keep_inputs, record_outcomes
from tasks.common.district import active_profile
from tasks.common.holidays import work_calendar
from tasks.notify.delivery import undelivered_message_ids
from tasks.notify.render import render
from tasks.notify.staging import stage_message

FLOW = "awards"
DECIDING = DecidingRule(FLOW, RULE, RULE_VERSION)


class AwardsError(Refusal):
    """A request that cannot be carried out (unknown objection, not in 公示, …)."""


def resolve_rules(params: AwardsParameters) -> AwardsRules:
    """The year's rules: the run's choices on top of the awards policy of the profile."""
    with session_scope() as session:
        profile = active_profile(session)
        judges = judge_roster(session, profile)
    policy = profile.awards
    unknown = sorted(set(policy.quotas) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"award quotas name unknown categories: {', '.join(unknown)}")
    return AwardsRules(
        year=params.year,
        seed=params.year if params.seed is None else params.seed,
        quotas=dict(policy.quotas),
        min_judges=policy.min_judges,
        criteria=dict(policy.criteria),
        judges=tuple(judges),
        streets=tuple(profile.street_names),
        repeat_cooldown_years=policy.repeat_cooldown_years,
        requirements={c: dict(r) for c, r in policy.requirements.items()},
        metric_labels=dict(policy.metrics),
        publicity_days=policy.publicity_days,
        objection_publicity_days=policy.objection_publicity_days,
        method=params.method,
        strike=dict(params.strike),
        add=dict(params.add),
    )


def judge_roster(session: Session, profile: DistrictProfile) -> list[JudgeInfo]:
    """The award judges: the profile's, then the imported ones (`import judges`, role 评委),
    an imported judge replacing a profile judge of the same name."""
    imported = session.exec(
        select(Judge).where(Judge.role == "awards").order_by(col(Judge.code))
    ).all()
    names = {j.name for j in imported}
    roster = [
        JudgeInfo(name=j.name, street=j.street, unit=j.unit)
        for j in profile.awards.judges
        if j.name not in names
    ]
    roster += [
        JudgeInfo(name=j.name, street=j.street or None, unit=j.unit or None) for j in imported
    ]
    return roster


def load_inputs(year: int) -> tuple[list[NominationBase], list[AwardScoreBase]]:
    """The year's nominations and scores as plain records (the snapshot the decision uses)."""
    with session_scope() as session:
        return _year_inputs(session, year)


def offices_of(profile: DistrictProfile) -> list[tuple[str, str]]:
    """(name, audience) of every street and community office."""
    offices = []
    for street in profile.streets:
        offices.append((street.name, f"street-{street.name}"))
        offices.extend((c, f"community-{c}") for c in street.communities)
    return offices


def round_result(year: int) -> AwardsResult | None:
    """The recorded list of a year (what `awards --json` prints), or None."""
    with session_scope() as session:
        rnd = session.get(AwardRound, year)
        if rnd is None:
            return None
        entries = session.exec(
            select(AwardEntry)
            .where(AwardEntry.year == year, col(AwardEntry.status).in_(["listed", "awarded"]))
            .order_by(col(AwardEntry.category), col(AwardEntry.rank), col(AwardEntry.ref))
        ).all()
        categories: dict[str, list[ListedNominee]] = {}
        for c in CATEGORIES:
            for e in entries:
                if e.category == c:
                    categories.setdefault(c, []).append(
                        ListedNominee(
                            ref=e.ref,
                            score=round(e.final, 6),
                            rank=e.rank,
                            name=e.name,
                            publicity_end=e.publicity_end,
                        )
                    )
        stored = {k: v for k, v in rnd.result.items() if k != "workdays"}  # the basis stays inside
        return AwardsResult.model_validate(
            stored | {"year": year, "status": rnd.status, "categories": categories}
        )


def record_approval(
    *, proposal: AwardsProposal, rules: AwardsRules, operator: str, comment: str, start: date
) -> bool:
    """Store the approved list, its reasons and the 公示 notices in one transaction.

    Returns False (and writes nothing) when the year is already approved. A proposal that lists
    nobody is refused (`NothingToList`): an empty 公示 is never stored or sent.
    """
    year = proposal.year
    refusal = empty_list_reason(proposal)
    if refusal is not None:
        raise NothingToList(refusal)
    with session_scope() as session:
        if session.get(AwardRound, year) is not None:
            return False
        profile = active_profile(session)
        workdays = work_calendar(session)
        first = workdays.next_working_day(start)
        end = workdays.period_end(first, rules.publicity_days)
        listed = proposal.listed()
        summary = result_json(
            year=year, listed=listed, flagged=[f.ref for f in proposal.flagged], status="publicity"
        )
        session.add(
            AwardRound(
                year=year,
                approved_by=operator,
                comment=comment,
                seed=proposal.seed,
                inputs_digest=proposal.inputs_digest,
                parameters=rules.model_dump(mode="json"),
                result={
                    "flagged": summary["flagged"],
                    "shortfalls": proposal.shortfalls,
                    "shortages": [s.model_dump() for s in proposal.shortages],
                    "publicity": [first.isoformat(), end.isoformat()],
                    # the calendar the 公示 was counted on, to re-check when a notice comes
                    "workdays": workdays.pinned([year, year + 1]).model_dump(mode="json"),
                },
            )
        )
        session.flush()
        nominations, scores = _year_inputs(session, year)
        if inputs_digest(nominations, scores, rules) != proposal.inputs_digest:
            raise AwardsError(
                f"{year}年度的提名或评分在名单提出后已有变动，请重新生成名单后再审批，"
                "本次未写入任何内容"
            )
        keep_inputs(
            session,
            process=FLOW,
            year=year,
            kind="list",
            digest=proposal.inputs_digest,
            payload=list_payload(nominations, scores, rules),
            rule_version=RULE_VERSION,
        )
        for e in proposal.entries:
            is_listed = e.status == "listed"
            session.add(
                AwardEntry(
                    year=year,
                    ref=e.ref,
                    category=e.category,
                    name=e.name,
                    street=e.street,
                    community=e.community,
                    rank=e.rank,
                    final=e.final,
                    raw_mean=e.raw_mean,
                    n_valid=e.n_valid,
                    draw=e.draw,
                    status=e.status,
                    reason=e.reason,
                    publicity_start=first if is_listed else None,
                    publicity_end=end if is_listed else None,
                )
            )
        reasons: dict[tuple[str, str], str] = {
            (e.ref, e.status): e.reason for e in proposal.entries
        }
        reasons |= {(f.ref, "flagged"): f.reason for f in proposal.flagged}
        reasons |= {(i.ref, "ineligible"): "；".join(i.reasons) for i in proposal.ineligible}
        reasons |= {(f"{r.ref}/{r.reviewer}", "recused"): r.reason for r in proposal.recused}
        reasons |= {
            (s.ref, "judge_shortage"): f"需{s.needed}名评委，回避后仅{s.available}名可评（{RULE}）"
            for s in proposal.shortages
        }
        record_outcomes(
            session,
            DECIDING,
            list_outcomes(proposal),
            reasons,
            year=year,
            inputs_digest=proposal.inputs_digest,
            seed=proposal.seed,
        )
        for ref, why in sorted(rules.strike.items()):
            decide_plain(session, year, ref, "struck", f"评审委员会删除：{why}（{RULE}）")
        groups = [
            (CATEGORIES[c], [e for e in listed if e.category == c])
            for c in CATEGORIES
            if any(e.category == c for e in listed)
        ]
        for office, audience in offices_of(profile):
            title, body = render(
                "awards_publicity",
                year=year,
                office=office,
                start=first,
                end=end,
                days=rules.publicity_days,
                groups=groups,
                contact=profile.contacts.awards,
            )
            stage_message(
                session,
                flow=FLOW,
                year=year,
                kind="publicity",
                recipient=office,
                audience=audience,
                title=title,
                body=body,
            )
    return True


def _year_inputs(session: Session, year: int) -> tuple[list[NominationBase], list[AwardScoreBase]]:
    noms = session.exec(
        select(Nomination).where(Nomination.year == year).order_by(col(Nomination.ref))
    ).all()
    scores = session.exec(
        select(AwardScore).where(AwardScore.year == year).order_by(col(AwardScore.id))
    ).all()
    return (
        [NominationBase.model_validate(n.model_dump()) for n in noms],
        [AwardScoreBase.model_validate(s.model_dump()) for s in scores],
    )


def decide_plain(session: Session, year: int, subject: str, kind: str, reason: str) -> None:
    session.add(
        Decision(process=FLOW, year=year, subject=subject, kind=kind, rule=RULE, reason=reason)
    )


def pending_message_ids(year: int) -> list[int]:
    """Messages of this year's awards not yet delivered everywhere."""
    return undelivered_message_ids(flow=FLOW, year=year)
