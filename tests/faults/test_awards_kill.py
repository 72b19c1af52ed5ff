"""Fault injection: the learning awards' process is SIGKILLed twice, each time while it sends —
`awards --approve` during the 公示 notices (list and decisions already recorded), then
`awards-finalise` during the winners' notices (list already final) — and each is re-run.

No entry or decision is recorded twice, no notice is created twice, every notice is delivered,
and the only sends the receiver gets twice are those whose bookkeeping a kill lost
(at-least-once delivery, docs/faults.md).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from models.audit import Decision
from models.awards import AwardEntry, AwardRound, AwardScore, Nomination
from models.db import session_scope
from models.profile.schema import DistrictProfile
from tasks.samples.awards import generate_nominations, generate_scores
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


def store_sample(profile: DistrictProfile) -> None:
    noms = generate_nominations(profile, year=YEAR, per_category=4, seed=4)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(profile, noms, seed=4):
            session.add(AwardScore(**s.model_dump()))


def entries() -> list[tuple[str, str, int | None, str]]:
    with session_scope() as session:
        rows = session.exec(select(AwardEntry)).all()
        return sorted((e.ref, e.category, e.rank, e.status) for e in rows)


def decisions() -> Counter[str]:
    with session_scope() as session:
        return Counter(
            session.exec(select(Decision.kind).where(Decision.process == "awards")).all()
        )


def offices(profile: DistrictProfile) -> int:
    return sum(1 + len(street.communities) for street in profile.streets)


def test_awards_killed_while_sending_twice_then_rerun(
    registry: DistrictProfile, tmp_path: Path, hardening: Ledger
) -> None:
    store_sample(registry)
    approve = cli_command(
        "awards", "--year", str(YEAR), "--approve", "--json", "--start", "2026-12-01"
    )
    finalise = cli_command("awards-finalise", "--year", str(YEAR), "--today", "2026-12-31")
    with running_sink(delay=0.15) as sink:
        env = child_env(sink.config(tmp_path / "apprise.yaml"))

        first = start(approve, env, tmp_path / "approve.log")
        kill_when(first, lambda: sent("awards") >= 2, what="2 sends", log=tmp_path / "approve.log")
        listed, decided, lost = entries(), decisions(), unbooked(sink)
        first_lost = lost
        publicity_sends = sent("awards")
        approved = run(approve, env)
        relisted, redecided = entries(), decisions()

        resent = unbooked(sink)  # sends received twice so far (each booked once)
        second = start(finalise, env, tmp_path / "finalise.log")
        kill_when(
            second,
            lambda: sent("awards") >= offices(registry) + 2,
            what="2 winner sends",
            log=tmp_path / "finalise.log",
        )
        lost += unbooked(sink) - resent
        with session_scope() as session:
            final_round = session.get(AwardRound, YEAR)
            status_at_kill = final_round.status if final_round else ""
        finalised = run(finalise, env)

        awarded = [e for e in entries() if e[3] == "awarded"]
        by_kind = kinds("awards")
        statuses = message_statuses()
        duplicates, missing = duplicates_and_missing(sink)
    listed_refs = {e[0] for e in listed if e[3] == "listed"}
    result, outcome = output(approved) or {}, output(finalised) or {}
    survived = (
        result.get("status") == "publicity"
        and outcome.get("status") == "final"
        and {e[0] for e in awarded} == listed_refs
        and (relisted, redecided) == (listed, decided)
        and resent == first_lost
        and decisions() == decided + Counter(awarded=len(awarded))
        and by_kind["publicity"] == offices(registry)
        and by_kind["winner"] == len(awarded)
        and set(statuses) == {"delivered"}
        and missing == 0
        and duplicates == lost
    )
    hardening.fault(
        "awards: SIGKILL while sending 公示 and winner notices, re-run", survived=survived
    )

    assert len(listed) > 0 and decided["listed"] > 0
    assert approved.returncode == 0, approved.stderr[-3000:]
    assert finalised.returncode == 0, finalised.stderr[-3000:]
    assert result["year"] == YEAR and result["status"] == "publicity"
    assert (relisted, redecided) == (listed, decided)  # the re-run recorded nothing again
    assert resent == first_lost  # the re-run sent again exactly what the kill left unbooked
    assert publicity_sends < offices(registry), "the first kill landed after delivery finished"
    assert status_at_kill == "final"  # the second kill came after the list was made final
    assert outcome["year"] == YEAR and outcome["status"] == "final"
    assert decisions() == decided + Counter(awarded=len(awarded))  # nothing decided twice
    assert {e[0] for e in awarded} == listed_refs  # every listed nominee awarded, once
    assert by_kind["publicity"] == offices(registry)  # one notice per office
    assert by_kind["winner"] == len(awarded)  # one per winner
    assert set(statuses) == {"delivered"}
    assert missing == 0  # nothing lost
    assert duplicates == lost  # only sends whose bookkeeping a kill lost arrive twice
