"""The audit re-derives every automated decision from its recorded inputs and seed.

A small year of every process is decided on a real database; the audit agrees with all of it.
Then one thing at a time is changed behind the records' back (a stored outcome, an input row of
the snapshot, a seed) and the audit must name the decision concerned.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from models.audit import Decision, DecisionInputs
from models.awards import AwardEntry, AwardScore, Nomination
from models.db import session_scope
from models.ideas import Idea
from models.params.awards import AwardsParameters
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from tasks.audit.records import audit_year
from tasks.audit.registry import ACTS, RULES, is_act, is_automated
from tasks.audit.reports import KINDS, PROCESSES, describe
from tasks.audit.rules import AuditResult
from tasks.awards import objections
from tasks.awards import records as awards_records
from tasks.awards.rules import propose
from tasks.calendar import plan
from tasks.calendar import records as calendar_records
from tasks.calendar.meetings import move_meeting
from tasks.calendar.scheduling import solve_schedule
from tasks.calendar.seminars import plan_seminars
from tasks.ideas import intake, review
from tasks.ideas import records as ideas_records
from tasks.ideas.actions import update_action
from tasks.ideas.campaign import open_campaign
from tasks.ideas.clusters import edit_cluster, year_clusters
from tasks.ideas.screening import Submission
from tasks.network.records import rollout_check
from tasks.samples.awards import generate_nominations, generate_scores
from tasks.samples.ideas import generate_ideas
from tasks.secondment.records import load_roster, record_approval
from tasks.secondment.replacement import decline_and_replace
from tasks.secondment.rules import SecondmentRules
from tasks.secondment.solver import select_candidates
from tests.factories import seed_roster

YEAR = 2026


def decide_secondment(profile: DistrictProfile) -> None:
    seed_roster(profile, count=90, seed=31)
    rules = SecondmentRules(year=YEAR, quotas=profile.secondment_quotas())
    proposal = select_candidates(load_roster(), rules=rules)
    assert record_approval(proposal=proposal, rules=rules, operator="李经办", comment="")
    decline_and_replace(year=YEAR, staff_id=proposal.placements[0].staff_id, reason="身体原因")


def decide_awards(profile: DistrictProfile) -> None:
    noms = generate_nominations(profile, year=YEAR, per_category=7, seed=13)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(profile, noms, seed=13):
            session.add(AwardScore(**s.model_dump()))
    rules = awards_records.resolve_rules(AwardsParameters(year=YEAR))
    proposal = propose(*awards_records.load_inputs(YEAR), rules=rules)
    assert awards_records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=date(YEAR, 9, 28)
    )
    listed = [e for e in proposal.entries if e.status == "listed"]
    with_reserve = next(
        e
        for e in listed
        if any(r.status == "reserve" and r.category == e.category for r in proposal.entries)
    )
    objection = objections.file_objection(
        year=YEAR,
        ref=with_reserve.ref,
        objector="李秀英",
        content="已迁出",
        today=date(YEAR, 9, 29),
    )
    objections.rule_objection(
        objection_id=objection["id"],
        decision="uphold",
        ruling="经核实已迁出",
        operator="评审委员会",
        today=date(YEAR, 9, 29),
    )


def decide_calendar() -> None:
    inputs = calendar_records.plan_inputs(CalendarParameters(year=YEAR), year=YEAR)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    assert plan.record_calendar(inputs=inputs, schedule=schedule, operator="李经办")
    assert plan_seminars(year=YEAR).placed
    moved = schedule.events[0]
    move_meeting(
        year=YEAR,
        key=moved.key,
        day=date.fromordinal(moved.day.toordinal() + 7),
        reason="会场检修",
        operator="李经办",
    )


IDEAS_NOW = datetime(YEAR, 9, 5, 2, 0, tzinfo=UTC)
JUNK = (
    ("课程推荐", "欢迎访问 www.example.com 了解课程报名详情，名额有限先到先得"),
    ("兼职", "加微信领取兼职日结机会，每天在家就能赚钱，名额有限"),
)

CHOSEN = ("health", "", "")  # the category chosen by the submitter of every third idea


def decide_ideas(profile: DistrictProfile) -> None:
    """An ideas year without the flow: intake, screening (two rejections), a clerk's merge, the
    review with generated scores, publication and one action done."""
    open_campaign(year=YEAR, start=date(YEAR, 9, 1))
    communities = [c for s in profile.streets for c in s.communities]
    samples = generate_ideas(
        count=40, communities=communities, year=YEAR, seed=9, duplicate_share=0.3
    )
    codes = list(profile.ideas.categories)
    # every third resident chose a category, and so did the first junk's sender
    forms = [
        (s.submitter, s.phone, s.community, s.title, s.content, CHOSEN[k % 3])
        for k, s in enumerate(samples)
    ]
    forms += [
        (f"居民{k}", f"1390000000{k}", communities[k], title, content, CHOSEN[k])
        for k, (title, content) in enumerate(JUNK)
    ]
    assert set(CHOSEN) - {""} <= set(codes)
    ids = []
    for submitter, phone, community, title, content, category in forms:
        submission = Submission(
            submitter=submitter,
            phone=phone,
            community=community,
            title=title,
            content=content,
            category=category,
        )
        ids.append(intake.submit(year=YEAR, submission=submission, source="demo", now=IDEAS_NOW).id)
    ideas_records.screen_ids(ids=ids, now=IDEAS_NOW)
    clusters = year_clusters(YEAR)
    edit_cluster(
        year=YEAR,
        action="merge",
        ref=clusters[1][0],
        target=clusters[0][0],
        reason="同一建议",
        operator="李经办",
    )
    setup = review.prepare_review(year=YEAR, seed=2026)
    review.record_generated_scores(setup=setup, seed=2026)
    proposal = review.propose_ranking(setup=setup)
    assert review.publish(
        setup=setup, proposal=proposal, operator="李经办", today=date(YEAR, 10, 20)
    )
    first = proposal.ranked[0].ref
    assert update_action(year=YEAR, ref=first, progress=100, note="已开班", now=IDEAS_NOW)


@pytest.fixture
def decided_year(registry: DistrictProfile) -> Iterator[DistrictProfile]:
    decide_secondment(registry)
    decide_awards(registry)
    decide_calendar()
    decide_ideas(registry)
    assert rollout_check(year=YEAR, today=date(YEAR, 1, 15)).actions  # pilots: tasks opened
    rollout_check(year=YEAR, today=date(YEAR, 10, 12))  # not opened by 1 September: reminded
    yield registry


def edit_decision(process: str, kind: str, change: Callable[[Decision], None]) -> Decision:
    """Change the first decision of this kind behind the records' back; return it as it was."""
    with session_scope() as session:
        row = session.exec(
            select(Decision)
            .where(Decision.process == process, Decision.kind == kind, Decision.year == YEAR)
            .order_by(col(Decision.id))
        ).first()
        assert row is not None, f"no {process}/{kind} decision recorded"
        before = Decision.model_validate(row.model_dump())
        change(row)
        session.add(row)
        return before


def edit_inputs(process: str, kind: str, change: Callable[[dict[str, Any]], None]) -> None:
    with session_scope() as session:
        row = session.exec(
            select(DecisionInputs).where(
                DecisionInputs.process == process, DecisionInputs.kind == kind
            )
        ).first()
        assert row is not None, f"no {process}/{kind} inputs recorded"
        payload = copy.deepcopy(row.payload)
        change(payload)
        row.payload = payload
        session.add(row)


def named(result: AuditResult, process: str, subject: str, kind: str) -> list[str]:
    return [
        d.what
        for d in result.differences
        if (d.process, d.subject, d.kind) == (process, subject, kind)
    ]


def test_a_decided_year_passes_the_audit(decided_year: DistrictProfile) -> None:
    result = audit_year(YEAR)

    assert result.differences == []
    assert result.checked > 15
    assert {
        "secondment/placement",
        "secondment/selected",
        "secondment/replacement",
        "awards/listed",
        "awards/reserve",
        "awards/recused",
        "awards/promoted",
        "calendar/placed",
        "network/rollout-opened",
        "network/rollout-overdue",
    } <= set(result.kinds)
    assert result.acts >= 1  # the decline: a person's decision, not re-derived


def test_a_changed_outcome_is_named(decided_year: DistrictProfile) -> None:
    def elsewhere(d: Decision) -> None:
        d.outcome = {**(d.outcome or {}), "street": "江湾镇街道"}

    before = edit_decision("secondment", "selected", elsewhere)

    result = audit_year(YEAR)

    assert named(result, "secondment", before.subject, "selected") == ["outcome"]
    line = describe(result.differences[0])
    assert before.subject in line and "江湾镇街道" in line and "复核为" in line


def test_a_changed_input_row_is_named(decided_year: DistrictProfile) -> None:
    def better(payload: dict[str, Any]) -> None:
        payload["roster"] = [
            {**row, "political_score": 100.0, "ability_score": 100.0} if k == 0 else row
            for k, row in enumerate(payload["roster"])
        ]

    edit_inputs("secondment", "placement", better)

    result = audit_year(YEAR)

    placement = [d for d in result.differences if d.kind == "placement"]
    assert [d.what for d in placement][:1] == ["inputs"]
    assert all(d.what != "inputs" for d in result.differences if d.kind == "replacement")


def test_a_changed_seed_is_named(decided_year: DistrictProfile) -> None:
    before = edit_decision("secondment", "selected", lambda d: setattr(d, "seed", 7))

    result = audit_year(YEAR)

    assert named(result, "secondment", before.subject, "selected") == ["seed"]


def test_every_recorded_kind_has_a_rederivation_or_is_an_act(
    decided_year: DistrictProfile,
) -> None:
    with session_scope() as session:
        kinds = {(d.process, d.kind) for d in session.exec(select(Decision)).all()}
    assert kinds
    uncovered = sorted(k for k in kinds if not is_act(*k) and not is_automated(*k))
    assert uncovered == []
    for (process, _), rule in RULES.items():
        assert not any(is_act(process, kind) for kind in rule.kinds)
    # every finding can be said in words: a Chinese name for each process and decision kind
    assert {p for p, _ in RULES} <= set(PROCESSES) and set(ACTS) <= set(PROCESSES)
    assert all(kind in KINDS for rule in RULES.values() for kind in rule.kinds)


def test_a_changed_draw_and_a_changed_score_row_are_named(decided_year: DistrictProfile) -> None:
    before = edit_decision(
        "awards", "listed", lambda d: setattr(d, "outcome", {**(d.outcome or {}), "draw": 99})
    )

    def lower(payload: dict[str, Any]) -> None:
        first = payload["scores"][0]
        payload["scores"][0] = {
            **first,
            "criteria": {k: max(0.0, v - 20) for k, v in first["criteria"].items()},
        }

    edit_inputs("awards", "list", lower)

    result = audit_year(YEAR)

    assert "outcome" in named(result, "awards", before.subject, "listed")
    inputs = {d.subject for d in result.differences if d.what == "inputs"}
    with session_scope() as session:
        listed = session.exec(select(AwardEntry).where(AwardEntry.year == YEAR)).all()
    assert {e.ref for e in listed} <= inputs  # every decision of the list names the change


def test_a_changed_outcome_of_every_kind_is_named(decided_year: DistrictProfile) -> None:
    with session_scope() as session:
        rows = session.exec(select(Decision).order_by(col(Decision.id))).all()
        first: dict[tuple[str, str], Decision] = {}
        for row in rows:
            if not is_act(row.process, row.kind):
                first.setdefault((row.process, row.kind), row)
        for row in first.values():
            row.outcome = {**(row.outcome or {}), "tampered": True}
            session.add(row)
        tampered = {(d.process, d.subject, d.kind) for d in first.values()}
    assert {k for _, k in first} >= {"placed", "listed", "selected", "replacement", "promoted"}

    result = audit_year(YEAR)

    found = {(d.process, d.subject, d.kind) for d in result.differences if d.what == "outcome"}
    assert found == tampered


@pytest.fixture
def ideas_year(registry: DistrictProfile) -> Iterator[DistrictProfile]:
    decide_ideas(registry)
    yield registry


def test_an_ideas_year_passes_the_audit(ideas_year: DistrictProfile) -> None:
    result = audit_year(YEAR)

    assert result.differences == []
    assert result.kinds["ideas/rejected"] == len(JUNK)
    assert result.kinds["ideas/result"] >= 20
    assert result.acts >= 3  # the clerk's merge, the publication, the action done


def test_chosen_categories_are_kept_and_recorded_in_the_screening_inputs(
    ideas_year: DistrictProfile,
) -> None:
    with session_scope() as session:
        ideas = session.exec(select(Idea).where(Idea.year == YEAR)).all()
        inputs = session.exec(
            select(DecisionInputs).where(
                DecisionInputs.process == "ideas", DecisionInputs.kind == "screening"
            )
        ).all()
    chosen = [i for i in ideas if i.chosen_category]
    assert len(chosen) >= 10
    kept = [i for i in chosen if i.status == "screened"]
    assert kept and all(i.category == "health" and "提交人自选" in i.reason for i in kept)
    by_keywords = [i for i in ideas if not i.chosen_category and i.status == "screened"]
    assert {i.category for i in by_keywords} - {"health"}  # the keyword rules decided these
    assert sorted(row.payload.get("chosen", "") for row in inputs) == ["", "health"]

    (row,) = [row for row in inputs if row.payload.get("chosen")]
    with session_scope() as session:  # the chosen category removed from its recorded inputs
        stored = session.get(DecisionInputs, (row.process, row.digest))
        assert stored is not None
        stored.payload = {k: v for k, v in row.payload.items() if k != "chosen"}
        session.add(stored)
    result = audit_year(YEAR)
    assert named(result, "ideas", row.payload["ref"], "rejected") == ["inputs"]


def test_a_changed_rejection_and_a_changed_result_are_named(ideas_year: DistrictProfile) -> None:
    def tamper(d: Decision) -> None:
        d.outcome = {**(d.outcome or {}), "tampered": True}

    rejected = edit_decision("ideas", "rejected", tamper)
    ranked = edit_decision("ideas", "result", tamper)

    result = audit_year(YEAR)

    assert named(result, "ideas", rejected.subject, "rejected") == ["outcome"]
    assert named(result, "ideas", ranked.subject, "result") == ["outcome"]
    assert len(result.differences) == 2


def test_a_changed_idea_text_or_score_is_named(ideas_year: DistrictProfile) -> None:
    def clean(payload: dict[str, Any]) -> None:
        payload["content"] = "建议在社区学校开设老年人智能手机使用课程，每周两次"

    def lower(payload: dict[str, Any]) -> None:
        ref, reviewer, total = payload["scores"][0]
        payload["scores"][0] = [ref, reviewer, max(0.0, total - 40)]

    edit_inputs("ideas", "screening", clean)
    edit_inputs("ideas", "ranking", lower)

    result = audit_year(YEAR)

    whats = {(d.kind, d.what) for d in result.differences}
    assert ("rejected", "inputs") in whats
    assert ("result", "inputs") in whats
    with session_scope() as session:
        results = session.exec(select(Decision).where(Decision.kind == "result")).all()
    inputs = {d.subject for d in result.differences if d.what == "inputs" and d.kind == "result"}
    assert inputs == {d.subject for d in results}  # every result names the changed score
