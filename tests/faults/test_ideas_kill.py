"""Fault injection: the golden-idea review (`ideas review --approve`) is SIGKILLed while it tells
the submitters (results published, most messages not yet sent); the re-run completes.

The campaign runs its steps for real before the kill: ideas taken in (stored `received`),
screened (spam rejected, its submitters' notices staged), reviewers assigned and their scores
recorded. After the re-run nothing is published twice, every submitter of a screened idea has
exactly one outcome message and every rejected one exactly one rejection, everything is
delivered, and the only sends the receiver gets twice are those whose bookkeeping the kill lost.
(A worker killed mid-screening is tests/flows/test_ideas_worker.py; intake across a Prefect
server restart is tests/faults/test_server_restart.py.)
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models.db import session_scope
from models.ideas import IdeaAction, IdeaResult
from models.profile.schema import DistrictProfile
from tasks.ideas import campaign, intake, records, review
from tasks.ideas.screening import Submission
from tasks.samples.ideas import generate_ideas
from tests.faults.harness import (
    child_env,
    cli_command,
    duplicates_and_missing,
    kill_when,
    kinds,
    message_statuses,
    output,
    run,
    running_sink,
    sent,
    start,
    unbooked,
)
from tests.hardening import Ledger

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = 2026
NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)


def take_in_and_review(profile: DistrictProfile, count: int) -> None:
    """Intake, screening and scored review of `count` ideas, every fifth one spam."""
    campaign.open_campaign(year=YEAR, start=date(2026, 9, 1), seed=YEAR)
    communities = [c for s in profile.streets for c in s.communities]
    samples = generate_ideas(
        count=count, communities=communities, year=YEAR, seed=9, duplicate_share=0.3
    )
    ids = []
    for index, s in enumerate(samples):
        content = s.content + ("，有意者加微信详谈" if index % 5 == 0 else "")
        ack = intake.submit(
            year=YEAR,
            submission=Submission(
                submitter=s.submitter,
                phone=s.phone,
                community=s.community,
                title=s.title,
                content=content,
            ),
            source="http",
            now=NOW,
        )
        ids.append(ack.id)
    records.screen_ids(ids=ids, now=NOW)
    setup = review.prepare_review(year=YEAR, seed=YEAR)
    _, policy = records.profile_and_policy()
    review.record_scores(
        year=YEAR, setup=setup, rows=review.generated_scores(setup=setup, seed=YEAR, policy=policy)
    )


def published() -> tuple[list[tuple[str, int | None, str | None]], int]:
    with session_scope() as session:
        results = session.exec(select(IdeaResult)).all()
        actions = session.exec(select(IdeaAction)).all()
        return sorted((r.ref, r.rank, r.tier) for r in results), len(actions)


def statuses() -> dict[str, int]:
    ideas = records.year_ideas(YEAR)
    return {s: sum(1 for i in ideas if i.status == s) for s in ("screened", "rejected", "received")}


def test_ideas_review_killed_while_telling_submitters_then_rerun(
    registry: DistrictProfile, tmp_path: Path, hardening: Ledger
) -> None:
    take_in_and_review(registry, 40)
    before, staged = statuses(), kinds("ideas")
    command = cli_command("ideas", "review", "--year", str(YEAR), "--approve", "--json")
    log = tmp_path / "review.log"
    with running_sink(delay=0.05) as sink:
        env = child_env(sink.config(tmp_path / "apprise.yaml"))
        first = start(command, env, log)
        # the campaign notices and rejections staged earlier go first; wait for 3 outcomes
        kill_when(
            first,
            lambda: sent("ideas") >= sum(staged.values()) + 3,
            what="the first outcome sends",
            log=log,
        )
        at_kill, sends_at_kill, lost = published(), sent("ideas"), unbooked(sink)
        rerun = run(command, env)
        after = published()
        by_kind = kinds("ideas")
        final = message_statuses()
        duplicates, missing = duplicates_and_missing(sink)
    result: dict[str, Any] = output(rerun) or {}
    survived = (
        result.get("status") == "published"
        and after == at_kill
        and by_kind["outcome"] == before["screened"]
        and by_kind["rejected"] == before["rejected"]
        and by_kind - Counter(outcome=before["screened"]) == staged
        and set(final) == {"delivered"}
        and missing == 0
        and duplicates == lost
    )
    hardening.fault(
        "ideas: SIGKILL while telling submitters the results, re-run", survived=survived
    )

    assert before["received"] == 0 and before["rejected"] > 0 and before["screened"] > 20
    assert at_kill[0], "the kill landed before the results were published"
    assert sends_at_kill < sum(final.values()), "the kill landed after delivery finished"
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert result["status"] == "published"
    assert [s["ref"] for s in result["selected"]] == [
        ref for ref, rank, _ in sorted(at_kill[0], key=lambda r: r[1] or 0) if rank is not None
    ]
    assert after == at_kill  # nothing ranked, published or assigned twice
    assert by_kind["outcome"] == before["screened"]  # every screened submitter told once
    assert by_kind["rejected"] == before["rejected"]  # every rejected submitter told once
    assert by_kind - Counter(outcome=before["screened"]) == staged  # and nothing else twice
    assert set(final) == {"delivered"}
    assert missing == 0  # nothing lost
    assert duplicates == lost  # only sends whose bookkeeping the kill lost arrive twice
