"""Which decision kinds the audit re-derives, with which rule, and which are acts of people.

Every kind a process records is in exactly one of the two tables below; `tests/tasks/
test_audit.py` fails when a recorded kind is in neither. An automated kind names the snapshot
kind whose re-derivation gives it; an act of a person (a sign-off, a ruling, a decline, a
clerk's merge) is listed as such and not re-derived: nothing but the person decides it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tasks.awards import audit as awards
from tasks.awards.rules import RULE_VERSION as AWARDS_VERSION
from tasks.calendar import audit as calendar
from tasks.common.decisions import Rederived
from tasks.ideas import audit as ideas
from tasks.judging import audit as judging
from tasks.network import audit as network
from tasks.secondment import audit as secondment
from tasks.secondment.rules import RULE_VERSION as SECONDMENT_VERSION


@dataclass(frozen=True)
class Rule:
    """A re-derivation: the snapshot kind it reads, the rule version, what it gives."""

    rederive: Callable[[dict[str, Any]], Rederived]
    version: str
    kinds: frozenset[str]  # the decision kinds this snapshot gives


RULES: dict[tuple[str, str], Rule] = {
    ("secondment", "placement"): Rule(
        secondment.rederive_placement,
        SECONDMENT_VERSION,
        frozenset({"placement", "selected", "ineligible"}),
    ),
    ("secondment", "replacement"): Rule(
        secondment.rederive_replacement, SECONDMENT_VERSION, frozenset({"replacement"})
    ),
    ("awards", "list"): Rule(
        awards.rederive_list,
        AWARDS_VERSION,
        frozenset({"listed", "reserve", "flagged", "ineligible", "recused", "judge_shortage"}),
    ),
    ("awards", "promotion"): Rule(
        awards.rederive_promotion, AWARDS_VERSION, frozenset({"promoted", "no_reserve"})
    ),
    ("calendar", "schedule"): Rule(
        calendar.rederive_schedule, calendar.RULE_VERSION, frozenset({"placed"})
    ),
    ("ideas", "screening"): Rule(
        ideas.rederive_screening, ideas.RULE_VERSION, frozenset({"rejected"})
    ),
    ("ideas", "ranking"): Rule(ideas.rederive_ranking, ideas.RULE_VERSION, frozenset({"result"})),
    ("judging", "round"): Rule(
        judging.rederive_round,
        judging.RULE_VERSION,
        frozenset({"judge_assigned", "judge_shortage"}),
    ),
    ("judging", "reassignment"): Rule(
        judging.rederive_reassignment,
        judging.RULE_VERSION,
        frozenset({"reassigned", "judge_shortage_"}),
    ),
    ("judging", "deadline"): Rule(
        judging.rederive_deadline, judging.RULE_VERSION, frozenset({"scores_short_"})
    ),
    ("judging", "ideas_round"): Rule(
        judging.rederive_ideas_round,
        judging.RULE_VERSION,
        frozenset({"judge_assigned", "judge_shortage"}),
    ),
    ("judging", "ideas_deadline"): Rule(
        judging.rederive_ideas_deadline, judging.RULE_VERSION, frozenset({"scores_short_"})
    ),
    ("network", "rollout"): Rule(
        network.rederive_rollout, network.RULE_VERSION, frozenset(network.DECISION_KINDS.values())
    ),
}

# Decisions people make: recorded with their reason, never re-derived. A trailing "-" or "_" is a
# prefix, here and in a rule's kinds (kinds numbered per edit, version or judge: "moved-v2",
# "merge-17", "recheck-20261203…", "judge_shortage_PW03").
ACTS: dict[str, tuple[str, ...]] = {
    "secondment": ("rejected", "declined"),
    # the committee strikes, rules on objections and, after the 公示, confirms the final list
    # the year's plan is signed off or sent back; a meeting is moved or cancelled by a clerk
    "calendar": ("signed_off", "rejected", "moved-", "cancelled", "recheck-"),
    "awards": ("struck", "upheld", "dismissed", "withdrawn", "awarded", "recheck-"),
    # a clerk merges, detaches or undoes; the office publishes; a department reports it done
    "ideas": ("merge-", "unmerge-", "undo-", "published", "done"),
    # a judge declares a conflict; the office extends the deadline or proceeds without scores
    "judging": ("conflict_declared", "deadline_extended", "proceeded"),
}


def _named(kind: str, names: Iterable[str]) -> bool:
    """`kind` is one of NAMES, or starts with one of them that ends in "-" or "_" (a prefix)."""
    return any(kind == n or (n.endswith(("-", "_")) and kind.startswith(n)) for n in names)


def is_automated(process: str, kind: str) -> bool:
    """True for a decision kind of PROCESS that some rule re-derives."""
    return _named(kind, automated_kinds(process))


def automated_kinds(process: str) -> frozenset[str]:
    """The decision kinds of a process that some rule re-derives."""
    kinds: set[str] = set()
    for (owner, _), rule in RULES.items():
        if owner == process:
            kinds |= rule.kinds
    return frozenset(kinds)


def is_act(process: str, kind: str) -> bool:
    """True for a decision a person made (see ACTS)."""
    return _named(kind, ACTS.get(process, ()))
