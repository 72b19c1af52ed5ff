"""The intake's group commit: `Batcher` (one thread, batches, answers in order) and
`intake.submit_many` (a batch judged item by item as if each were submitted alone)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from deployments.portal.app import create_app
from deployments.portal.batching import Batcher
from models.db import session_scope
from models.ideas import Idea
from models.profile.loading import load_profile
from models.profile.schema import DistrictProfile
from tasks.common.district import sync_registry
from tasks.ideas import intake, records
from tasks.ideas.campaign import open_campaign
from tasks.ideas.screening import Submission
from tests.models.test_db import pg_db, pg_server, pg_url  # noqa: F401 (fixtures)

YEAR = 2026
NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)


def test_a_pausing_batcher_handles_a_first_item_at_once_and_gathers_the_rest() -> None:
    batches: list[list[int]] = []

    def keep(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(keep, name="t", max_batch=100, pause_seconds=0.5)
    assert batcher.put(1).result(timeout=5) == 1  # alone: handled as it came
    later = [batcher.put(n) for n in range(2, 12)]  # arrive while it pauses
    assert [future.result(timeout=5) for future in later] == list(range(2, 12))
    batcher.flush(timeout=5)
    assert batches == [[1], list(range(2, 12))]


def test_batcher_answers_every_item_once_in_order_from_many_threads() -> None:
    batches: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        batches.append(items)
        return [2 * item for item in items]

    batcher: Batcher[int, int] = Batcher(double, name="test", max_batch=50, idle_seconds=0.2)
    futures: dict[int, Future[int]] = {}
    lock = threading.Lock()

    def produce(start: int) -> None:
        for item in range(start, start + 500):
            future = batcher.put(item)
            with lock:
                futures[item] = future

    producers = [threading.Thread(target=produce, args=(n * 500,)) for n in range(4)]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join()
    assert {item: future.result(timeout=30) for item, future in futures.items()} == {
        item: 2 * item for item in range(2000)
    }
    handled = [item for batch in batches for item in batch]
    assert sorted(handled) == list(range(2000))  # each item handled exactly once
    assert all(len(batch) <= 50 for batch in batches)
    for start in range(0, 2000, 500):  # each producer's items keep their order
        mine = [item for item in handled if start <= item < start + 500]
        assert mine == sorted(mine)


def test_batcher_gathers_what_arrives_while_a_batch_is_handled() -> None:
    inside, release = threading.Event(), threading.Event()
    batches: list[list[str]] = []

    def handle(items: list[str]) -> list[str]:
        inside.set()
        release.wait(timeout=30)
        batches.append(items)
        return items

    batcher: Batcher[str, str] = Batcher(handle, name="test", max_batch=200)
    first = batcher.put("first")
    assert inside.wait(timeout=30)  # the thread is now inside handle(["first"])
    rest = [batcher.put(f"item {n}") for n in range(30)]
    release.set()
    assert first.result(timeout=30) == "first"
    assert [future.result(timeout=30) for future in rest] == [f"item {n}" for n in range(30)]
    assert batches == [["first"], [f"item {n}" for n in range(30)]]  # one commit for 30


def test_a_failed_batch_fails_each_of_its_futures_and_the_batcher_goes_on() -> None:
    calls = 0

    def handle(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database is locked")
        return items

    batcher: Batcher[int, int] = Batcher(handle, name="test", max_batch=10)
    failed = batcher.put(1)
    with pytest.raises(RuntimeError, match="locked"):
        failed.result(timeout=30)
    assert batcher.put(2).result(timeout=30) == 2


def test_a_cancelled_item_is_left_out_and_an_idle_thread_stops_and_restarts() -> None:
    seen: list[list[int]] = []
    inside, gate = threading.Event(), threading.Event()

    def handle(items: list[int]) -> list[int]:
        inside.set()
        gate.wait(timeout=30)
        seen.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(handle, name="idle-test", max_batch=10, idle_seconds=0.1)
    busy = batcher.put(1)
    assert inside.wait(timeout=30)  # the thread is inside handle([1]): 2 and 3 wait for the next
    gone = batcher.put(2)  # its requester went away before its batch started
    assert gone.cancel()
    kept = batcher.put(3)
    gate.set()
    assert busy.result(timeout=30) == 1 and kept.result(timeout=30) == 3
    with pytest.raises(CancelledError):
        gone.result()
    assert seen == [[1], [3]]
    batcher.flush(timeout=30)  # idle: the thread has stopped
    assert not any(t.name == "idle-test" for t in threading.enumerate())
    assert batcher.put(4).result(timeout=30) == 4  # and a new one starts on demand


def test_batcher_refuses_a_handler_that_loses_results() -> None:
    batcher: Batcher[int, int] = Batcher(lambda items: items[:-1], name="test", max_batch=5)
    with pytest.raises(RuntimeError, match="0 results for a batch of 1"):
        batcher.put(1).result(timeout=30)


# --------------------------------------------------------------------------- submit_many


@pytest.fixture
def campaign(registry: DistrictProfile) -> DistrictProfile:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    return registry


def _submission(profile: DistrictProfile, n: int, **overrides: str) -> Submission:
    fields = {
        "submitter": f"居民{n}",
        "phone": f"138{n:08d}",
        "community": profile.streets[0].communities[0],
        "title": f"建议{n}：社区读书会",
        "content": f"建议每月第{n}周在社区活动室举办读书会，邀请居民分享好书，营造学习氛围。",
        **overrides,
    }
    return Submission(**fields)


def _refs() -> list[str]:
    with session_scope() as session:
        return sorted(session.exec(select(Idea.ref)).all())


def test_a_batch_is_judged_item_by_item_as_if_each_came_alone(campaign: DistrictProfile) -> None:
    stored = intake.submit(
        year=YEAR, submission=_submission(campaign, 1, ref="P-1"), source="http", now=NOW
    )
    items: list[tuple[int | None, Submission]] = [
        (YEAR, _submission(campaign, 2)),  # new
        (YEAR, _submission(campaign, 3, phone="123")),  # invalid
        (YEAR, _submission(campaign, 1, phone="+86 138-0000-0001")),  # resubmits a stored one
        (None, _submission(campaign, 2, title=" 建议2：社区读书会 ")),  # resubmits item 0
        (YEAR, _submission(campaign, 4, ref="P-1")),  # a ref already taken
        (YEAR, _submission(campaign, 5, ref="P-5")),  # new, own ref
        (YEAR, _submission(campaign, 6, ref="P-5")),  # the ref item 5 took
        (YEAR, _submission(campaign, 7, ref="2026-000099")),  # looks generated
        (2027, _submission(campaign, 8)),  # no campaign that year
    ]
    outcomes = intake.submit_many(items=items, source="http", now=NOW)

    new, invalid, again, twice, taken, own, clash, generated, closed = outcomes
    assert isinstance(new, records.Ack) and not new.duplicate and new.ref == f"{YEAR}-000002"
    assert isinstance(invalid, records.SubmissionRejected) and set(invalid.problems) == {"phone"}
    assert again == stored.model_copy(update={"duplicate": True})
    assert twice == new.model_copy(update={"duplicate": True})
    assert isinstance(taken, records.SubmissionRejected) and set(taken.problems) == {"ref"}
    assert isinstance(own, records.Ack) and own.ref == "P-5" and not own.duplicate
    assert isinstance(clash, records.SubmissionRejected) and set(clash.problems) == {"ref"}
    assert isinstance(generated, records.SubmissionRejected)
    assert "自动编号" in generated.problems["ref"]
    assert isinstance(closed, records.SubmissionRejected) and set(closed.problems) == {"year"}
    assert _refs() == sorted(["P-1", f"{YEAR}-000002", "P-5"])


def test_a_clash_with_another_writer_stores_each_item_on_its_own(
    campaign: DistrictProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process stores the batch's first idea after the batch checked for duplicates:
    the batch's unique key fails, it is rolled back and redone one by one — the clashing item
    is answered as a resubmission, the other stored."""
    clashing = _submission(campaign, 1)
    original = intake._store_batch
    raced = False

    def racing(
        session: Session, items: Sequence[tuple[int | None, Submission]], **kwargs: Any
    ) -> list[records.Ack | records.SubmissionRejected]:
        nonlocal raced
        if raced:
            return original(session, items, **kwargs)
        raced = True
        intake.submit(year=YEAR, submission=clashing, source="cli", now=NOW)  # the other writer
        raise IntegrityError("INSERT INTO idea", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(intake, "_store_batch", racing)
    outcomes = intake.submit_many(
        items=[(YEAR, clashing), (YEAR, _submission(campaign, 2))], source="http", now=NOW
    )
    assert raced
    first, second = outcomes
    assert isinstance(first, records.Ack) and first.duplicate
    assert isinstance(second, records.Ack) and not second.duplicate
    assert len(_refs()) == 2


# --------------------------------------------------------------------------- the app's announcer


def test_the_app_announces_at_start_what_a_stopped_intake_left_unannounced(
    campaign: DistrictProfile,
) -> None:
    """Stored, acknowledged, then the process stopped before announcing: the next start puts
    those ideas on the queue — and only those (not the enqueued, screened or imported)."""
    left = [
        intake.submit(year=YEAR, submission=_submission(campaign, n), source="http", now=NOW).id
        for n in range(1, 4)
    ]
    enqueued_before = intake.submit(
        year=YEAR, submission=_submission(campaign, 4), source="http", now=NOW
    ).id
    records.mark_enqueued(ids=[enqueued_before], now=NOW)
    screened = intake.submit(
        year=YEAR, submission=_submission(campaign, 5), source="http", now=NOW
    ).id
    records.screen_ids(ids=[screened], now=NOW)
    intake.submit(year=YEAR, submission=_submission(campaign, 6), source="cli", now=NOW)

    def enqueue(ids: list[int], now: datetime) -> None:
        queued.append(ids)
        records.mark_enqueued(ids=ids, now=now)

    queued: list[list[int]] = []
    events: list[dict[str, object]] = []
    with TestClient(create_app(enqueue=enqueue, emit=events.append, clock=lambda: NOW)):
        pass  # start and stop: the stop waits for the announcer
    assert [idea for batch in queued for idea in batch] == left  # each once, in order
    announced = [event["payload"]["ids"] for event in events]  # type: ignore[index]
    assert announced == queued
    assert records.unannounced(source="http") == []


def test_an_unreachable_queue_still_acknowledges_and_leaves_the_idea_for_later(
    campaign: DistrictProfile, caplog: pytest.LogCaptureFixture
) -> None:
    def unreachable(ids: list[int], now: datetime) -> None:
        raise ConnectionError("Prefect API unreachable")

    def no_events(event: dict[str, object]) -> None:
        raise ConnectionError("Prefect API unreachable")

    form = {**_submission(campaign, 1).model_dump(exclude={"ref"}), "year": YEAR}
    with TestClient(create_app(enqueue=unreachable, emit=no_events, clock=lambda: NOW)) as client:
        reply = client.post("/ideas", json=form)
    assert reply.status_code == 201
    # stored, never enqueued: the sweeper's to screen, or the next start's to announce
    (left,) = records.unannounced(source="http")
    assert left.ref == reply.json()["ref"]
    assert "the sweeper will" in caplog.text


@pytest.mark.postgres
def test_two_intake_writers_racing_on_postgresql_store_each_idea_once(
    pg_db: str,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two intake processes on one PostgreSQL database, 100 of their 200 ideas each the same:
    both check for resubmissions before either inserts (held at a barrier), so one batch fails
    its unique key, is redone item by item, and answers the shared ideas as resubmissions of
    the ones the other stored."""
    checked = threading.Barrier(2)
    held: set[int] = set()
    add_all = Session.add_all
    batch_calls = Counter[str]()

    def add_after_both_checked(self: Session, instances: Any) -> None:
        if threading.get_ident() not in held:  # each writer's first batch only
            held.add(threading.get_ident())
            checked.wait(timeout=30)
        batch_calls[threading.current_thread().name] += 1
        add_all(self, instances)

    monkeypatch.setattr(Session, "add_all", add_after_both_checked)
    profile, text = load_profile()
    with session_scope() as session:
        sync_registry(session, profile=profile, text=text, source="bundled")
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    batches = {
        "a": [(YEAR, _submission(profile, n)) for n in range(1, 201)],
        "b": [(YEAR, _submission(profile, n)) for n in range(101, 301)],
    }
    start = threading.Barrier(2)
    outcomes: dict[str, list[records.Ack | records.SubmissionRejected]] = {}

    def write(name: str) -> None:
        start.wait(timeout=30)
        outcomes[name] = intake.submit_many(items=batches[name], source="http", now=NOW)

    writers = [threading.Thread(target=write, args=(name,), name=name) for name in batches]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)

    acks = {
        name: [o for o in found if isinstance(o, records.Ack)] for name, found in outcomes.items()
    }
    assert len(acks["a"]) == 200 and len(acks["b"]) == 200  # nobody refused
    shared_a = {ack.id for ack in acks["a"][100:]}
    shared_b = {ack.id for ack in acks["b"][:100]}
    assert shared_a == shared_b  # both were told the same ideas for the shared forms
    assert sum(ack.duplicate for ack in acks["a"] + acks["b"]) == 100
    assert len(_refs()) == 300 and len(set(_refs())) == 300
    assert sorted(batch_calls.values()) == [1, 1 + 200]  # one writer redid its 200 one by one
