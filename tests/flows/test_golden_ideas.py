"""The golden-idea flows against the Prefect test server: intake → sweeper, review → sign-off."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from deployments.portal.app import create_app
from deployments.portal.ideas import queue_screening
from deployments.runtime.operator import find_paused_run, sign_off
from flows.golden_ideas import follow_up_ideas, review_ideas, sweep_ideas
from models.db import session_scope
from models.ideas import Idea, IdeaAction, IdeaResult
from models.outbox import OutboxMessage
from models.params.ideas import IdeasSignOff, ReviewParameters
from models.profile.schema import DistrictProfile
from tasks.ideas import intake, records, review
from tasks.ideas.actions import update_action
from tasks.ideas.campaign import open_campaign
from tasks.ideas.screening import Submission
from tasks.samples.ideas import generate_ideas

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = 2026
NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
def campaign(registry: DistrictProfile) -> DistrictProfile:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    return registry


def communities(profile: DistrictProfile) -> list[str]:
    return [c for s in profile.streets for c in s.communities]


def statuses() -> dict[str, int]:
    with session_scope() as session:
        out: dict[str, int] = {}
        for idea in session.exec(select(Idea)).all():
            out[idea.status] = out.get(idea.status, 0) + 1
        return out


def test_http_intake_loses_nothing_when_the_queue_does(campaign: DistrictProfile) -> None:
    """The task queue lives in the API's memory: a worker that never runs (killed, or a restarted
    server that forgot the queue) leaves ideas `received`; the sweeper screens them, once."""
    client = TestClient(create_app(enqueue=queue_screening, clock=lambda: NOW))
    samples = generate_ideas(count=12, communities=communities(campaign), year=YEAR, seed=5)
    acks = []
    for s in samples:
        reply = client.post(
            "/ideas",
            json={
                "submitter": s.submitter,
                "phone": s.phone,
                "community": s.community,
                "title": s.title,
                "content": s.content,
                "year": YEAR,
            },
        )
        assert reply.status_code == 201, reply.text
        acks.append(reply.json())
    again = client.post("/ideas", json={**_form(samples[0]), "year": YEAR})
    assert again.status_code == 200 and again.json()["ref"] == acks[0]["ref"]
    bad = client.post("/ideas", json={**_form(samples[0]), "phone": "123", "community": "无"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"phone", "community"}

    # no task worker serves the queue: everything is stored, nothing screened yet
    assert statuses() == {"received": 12}
    assert asyncio.run(sweep_ideas(after_minutes=10, now=NOW + timedelta(minutes=5))) == 0
    done = asyncio.run(sweep_ideas(after_minutes=10, now=NOW + timedelta(minutes=30)))
    assert done == 12 and statuses().get("received", 0) == 0
    # a duplicated event / second sweep / late worker screens nothing twice
    assert asyncio.run(sweep_ideas(after_minutes=10, now=NOW + timedelta(hours=1))) == 0
    assert records.screen_ids(ids=[a["id"] for a in acks], now=NOW) == 0


def _form(s: Any) -> dict[str, str]:
    return {
        "submitter": s.submitter,
        "phone": s.phone,
        "community": s.community,
        "title": s.title,
        "content": s.content,
    }


def _seed_ideas(profile: DistrictProfile, count: int) -> list[Any]:
    samples = generate_ideas(
        count=count, communities=communities(profile), year=YEAR, seed=9, duplicate_share=0.3
    )
    ids = []
    for s in samples:
        ack = intake.submit(
            year=YEAR,
            submission=Submission(**_form(s), ref=s.ref),
            source="demo",
            now=NOW,
            submitted_at=s.submitted_at,
        )
        ids.append(ack.id)
    records.screen_ids(ids=ids, now=NOW)
    return samples


def test_review_pauses_for_the_operator_then_publishes_to_every_submitter(
    campaign: DistrictProfile,
) -> None:
    samples = _seed_ideas(campaign, 60)
    params = ReviewParameters(year=YEAR, generate_scores=True, today=date(2026, 10, 20))
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(review_ideas(params))
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    run_id = find_paused_run(
        f"ideas-review-{YEAR}", timeout=120, stop=lambda: not thread.is_alive()
    )
    assert run_id is not None, box
    with session_scope() as session:
        assert session.exec(select(IdeaResult)).all() == []  # nothing published before sign-off
    sign_off(run_id, IdeasSignOff, decision="approve", operator="测试经办人", comment="同意")
    thread.join(timeout=120)
    assert "error" not in box, box.get("error")
    result = box["result"]
    assert result.status == "published"
    tiers = [s.tier for s in result.selected]
    assert tiers[:10] == ["十佳"] * 10 and set(tiers[10:]) == {"优秀"}

    # review constraints: ≥ 2 reviewers per representative, nobody from the idea's community
    setup = review.prepare_review(year=YEAR, seed=2026)
    reviewers = {r.name: r for r in campaign.ideas.reviewers}
    ideas = {i.ref: i for i in records.year_ideas(YEAR)}
    per_item: dict[str, int] = {}
    for ref, name in setup.plan.pairs:
        per_item[ref] = per_item.get(ref, 0) + 1
        members = next(m for m in setup.clusters if m[0] == ref)
        assert reviewers[name].community not in {ideas[m].community for m in members}
    assert set(per_item) == set(setup.representatives)
    assert min(per_item.values()) >= 2
    loads: dict[str, int] = {}
    for _, name in setup.plan.pairs:
        loads[name] = loads.get(name, 0) + 1
    assert len(loads) == len(reviewers)

    # every submitter (cluster members included) is told, and no phone number leaks
    with session_scope() as session:
        outcome = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "outcome")).all()
        actions = session.exec(select(IdeaAction)).all()
    screened = [r for r, i in ideas.items() if i.status == "screened"]
    assert {m.key.rsplit(":", 1)[1] for m in outcome} == set(screened)
    phones = {s.phone for s in samples}
    assert not any(p in m.body or p in m.title for m in outcome for p in phones)
    assert len(actions) == len(result.selected)

    # re-running a published year changes nothing
    again = asyncio.run(review_ideas(params))
    assert again.selected == result.selected

    # follow-through: overdue reminder to the owner, then done → submitters told
    staged = asyncio.run(follow_up_ideas(year=YEAR, today=date(2027, 6, 1)))
    assert staged >= 1
    first = result.selected[0]
    assert update_action(year=YEAR, ref=first.ref, progress=100, note="已开班", now=NOW)
    with session_scope() as session:
        done = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "done")).all()
    assert {m.key.rsplit(":", 1)[1] for m in done} == set(first.members)
