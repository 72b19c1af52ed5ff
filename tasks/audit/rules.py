"""The audit's comparison: recorded decisions against what their rules give again (pure).

For every automated decision of a year: its snapshot must exist, be of the rule version in force
and still have the digest the decision names; the rule, run again on it, must give the same seed
and the same outcome; and everything the rule gives must be on record. Decisions of people are
counted and left alone. Each disagreement is one `Difference`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from tasks.audit.registry import RULES, is_act, is_automated
from tasks.common.decisions import Rederived

What = Literal[
    "unknown_kind",  # neither re-derivable nor an act of a person
    "no_inputs",  # an automated decision without its snapshot
    "rule_version",  # decided by another version of the rule
    "inputs",  # the snapshot no longer has the digest the decision names
    "seed",  # the seed on record is not the one the inputs carry
    "outcome",  # the rule gives another outcome
    "missing",  # the rule no longer gives this decision at all
    "unrecorded",  # the rule gives a decision that is not on record
    "failed",  # the rule could not be run on the snapshot
]


class RecordedDecision(BaseModel):
    process: str
    subject: str
    kind: str
    rule: str
    inputs_digest: str
    seed: int | None
    rule_version: str
    outcome: dict[str, Any] | None


class Snapshot(BaseModel):
    process: str
    digest: str
    kind: str
    rule_version: str
    payload: dict[str, Any]


class Difference(BaseModel):
    process: str
    subject: str
    kind: str
    what: What
    recorded: Any = None
    rederived: Any = None


class AuditResult(BaseModel):
    year: int
    checked: int  # automated decisions re-derived
    acts: int  # decisions of people, not re-derived
    kinds: dict[str, int]  # "process/kind" -> decisions re-derived
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


def _diff(
    d: RecordedDecision, what: What, recorded: Any = None, rederived: Any = None
) -> Difference:
    return Difference(
        process=d.process,
        subject=d.subject,
        kind=d.kind,
        what=what,
        recorded=recorded,
        rederived=rederived,
    )


def _run(snapshot: Snapshot) -> Rederived | str:
    rule = RULES[(snapshot.process, snapshot.kind)]
    try:
        return rule.rederive(snapshot.payload)
    except Exception as exc:  # noqa: BLE001 - any failure of a rule on its inputs is a finding
        return f"{type(exc).__name__}: {exc}"


def compare(
    *, year: int, decisions: Sequence[RecordedDecision], snapshots: Sequence[Snapshot]
) -> AuditResult:
    """Every difference between the year's decisions and their re-derivation."""
    by_key = {(s.process, s.digest): s for s in snapshots}
    differences: list[Difference] = []
    kinds: dict[str, int] = defaultdict(int)
    acts = 0
    groups: dict[tuple[str, str], list[RecordedDecision]] = defaultdict(list)
    for d in decisions:
        if is_act(d.process, d.kind):
            acts += 1
        elif not is_automated(d.process, d.kind):
            differences.append(_diff(d, "unknown_kind"))
        elif (d.process, d.inputs_digest) not in by_key:
            differences.append(_diff(d, "no_inputs", recorded=d.inputs_digest or None))
        else:
            groups[(d.process, d.inputs_digest)].append(d)
    # a later run on other inputs skips what an earlier run already decided: not "unrecorded"
    everywhere = {(d.process, d.subject, d.kind) for d in decisions}
    checked = 0
    for key, members in sorted(groups.items()):
        snapshot = by_key[key]
        rule = RULES.get((snapshot.process, snapshot.kind))
        if rule is None:
            differences += [_diff(d, "unknown_kind") for d in members]
            continue
        stale = [
            d
            for d in members
            if d.rule_version != snapshot.rule_version or snapshot.rule_version != rule.version
        ]
        differences += [
            _diff(d, "rule_version", recorded=d.rule_version, rederived=rule.version) for d in stale
        ]
        members = [d for d in members if d not in stale]
        if not members:
            continue
        result = _run(snapshot)
        if isinstance(result, str):
            differences += [_diff(d, "failed", rederived=result) for d in members]
            continue
        on_record = set()
        for d in members:
            checked += 1
            kinds[f"{d.process}/{d.kind}"] += 1
            on_record.add((d.subject, d.kind))
            if result.digest != d.inputs_digest:
                differences.append(
                    _diff(d, "inputs", recorded=d.inputs_digest, rederived=result.digest)
                )
            if d.seed != result.seed:
                differences.append(_diff(d, "seed", recorded=d.seed, rederived=result.seed))
            again = result.outcomes.get((d.subject, d.kind))
            if again is None:
                differences.append(_diff(d, "missing", recorded=d.outcome))
            elif again != d.outcome:
                differences.append(_diff(d, "outcome", recorded=d.outcome, rederived=again))
        for subject, kind in sorted(set(result.outcomes) - on_record):
            if (snapshot.process, subject, kind) in everywhere:
                continue
            differences.append(
                Difference(
                    process=snapshot.process,
                    subject=subject,
                    kind=kind,
                    what="unrecorded",
                    rederived=result.outcomes[(subject, kind)],
                )
            )
    return AuditResult(
        year=year,
        checked=checked,
        acts=acts,
        kinds=dict(sorted(kinds.items())),
        differences=differences,
    )
