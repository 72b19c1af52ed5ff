"""Recording automated decisions so that they can be re-derived (see `tasks/audit`).

A rule that decides keeps three things beside its reason: the inputs it read (a snapshot, once
per run, keyed by their digest), the version of the rule, and the outcome in a plain JSON form.
The audit reads them back, computes the digest of the snapshot again, runs the same rule on it
with the recorded seed and compares.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.audit import Decision, DecisionInputs


def canonical(value: Any) -> Any:
    """`value` as JSON reads it back (tuples as lists, dates as text), to compare like with like;
    key order is kept (a rule that sums a mapping sums it in that order)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def payload_digest(payload: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a snapshot (16 hex digits, as every digest here)."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def keep_inputs(
    session: Session,
    *,
    process: str,
    year: int,
    kind: str,
    digest: str,
    payload: Mapping[str, Any],
    rule_version: str,
) -> None:
    """Store the snapshot a run decided on (once: a second run on the same inputs adds nothing)."""
    if session.get(DecisionInputs, (process, digest)) is not None:
        return
    session.add(
        DecisionInputs(
            process=process,
            digest=digest,
            year=year,
            kind=kind,
            rule_version=rule_version,
            payload=canonical(dict(payload)),
        )
    )
    session.flush()


def decision(
    *,
    process: str,
    year: int,
    subject: str,
    kind: str,
    rule: str,
    reason: str,
    inputs_digest: str,
    rule_version: str,
    outcome: Mapping[str, Any],
    seed: int | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """An automated decision with what the audit needs to re-derive it."""
    extra: dict[str, Any] = {} if decided_at is None else {"decided_at": decided_at}
    return Decision(
        process=process,
        year=year,
        subject=subject,
        kind=kind,
        rule=rule,
        reason=reason,
        inputs_digest=inputs_digest,
        seed=seed,
        rule_version=rule_version,
        outcome=canonical(dict(outcome)),
        **extra,
    )


Outcomes = dict[tuple[str, str], dict[str, Any]]


@dataclass(frozen=True)
class DecidingRule:
    """A rule that decides: the process it belongs to, the clause it applies, its version."""

    process: str
    clause: str
    version: str


def record_outcomes(
    session: Session,
    rule: DecidingRule,
    outcomes: Mapping[tuple[str, str], Mapping[str, Any]],
    reasons: Mapping[tuple[str, str], str],
    *,
    year: int,
    inputs_digest: str,
    seed: int | None = None,
) -> None:
    """One re-derivable decision for each (subject, kind) of OUTCOMES, with its reason."""
    for (subject, kind), outcome in outcomes.items():
        session.add(
            decision(
                process=rule.process,
                year=year,
                subject=subject,
                kind=kind,
                rule=rule.clause,
                reason=reasons[(subject, kind)],
                inputs_digest=inputs_digest,
                rule_version=rule.version,
                outcome=outcome,
                seed=seed,
            )
        )


class Rederived:
    """What a rule gives again on a recorded snapshot: the snapshot's digest as the rule computes
    it, the seed it used, and the outcome of every decision it makes, by (subject, kind)."""

    __slots__ = ("digest", "outcomes", "seed")

    def __init__(self, *, digest: str, outcomes: Outcomes, seed: int | None = None) -> None:
        self.digest = digest
        self.seed = seed
        self.outcomes = {key: canonical(value) for key, value in outcomes.items()}
