"""Property tests (hypothesis) of the parsers and the decision rules.

Parsers: whatever the text, the importer and the profile loader fail only with their own error
(ImportRejected, ProfileError) — never a crash — and what they accept round-trips. Decision rules:
calibration is invariant under row order, ranking is a function of the scores and the seed, every
placed teacher is eligible and the quotas, school cap and backbone share hold at the brute-force
optimum, a replacement is the best free eligible teacher, and near-duplicate clusters equal a
naive all-pairs reading of docs/spec.md's rule.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import re
import tempfile
import unicodedata
from collections import deque
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from models.profile.ideas import IdeasPolicy
from models.profile.loading import ProfileError, parse_profile
from models.profile.schema import AwardsPolicy, MeritWeights
from models.secondment import RATINGS
from tasks.common.dedup import cluster_keys
from tasks.common.review import Calibrated, calibrate_totals, rank_with_tiebreak
from tasks.importing.awards import nominations_kind, scores_kind
from tasks.importing.columns import parse_rows
from tasks.importing.ideas import idea_scores_kind, ideas_kind
from tasks.importing.kinds import KINDS
from tasks.importing.reading import ImportRejected, SourceRow, TableRows, read_rows
from tasks.importing.teachers import TEACHERS, validate_teachers
from tasks.secondment.rules import (
    Candidate,
    InfeasibleSecondment,
    SecondmentRules,
    choose_replacement,
    eligibility_reasons,
    screen,
)
from tasks.secondment.solver import solve_placement, total_of
from tests.factories import make_teacher

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOLVER = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cell text that provokes the parsers: digits (also full-width), signs, exponents, separators,
# Chinese yes/no and ratings, control and bidi characters, quotes, markup.
_TRICKY = (
    "0123456789０１２３.,-+eEinfaINFAN 　是否优秀良好合格不合格;；、\x00\x1b\u202e'\"<>[]/\n\t"
)
cells = st.text(alphabet=st.sampled_from(_TRICKY) | st.characters(), max_size=30)


def table(headers: tuple[str, ...], rows: list[list[str]]) -> TableRows:
    width = len(headers)
    return TableRows(
        path=Path("generated.csv"),
        encoding="utf-8",
        header_row=1,
        headers=headers,
        rows=tuple(
            SourceRow(number, tuple((row + [""] * width)[:width]))
            for number, row in enumerate(rows, start=2)
        ),
    )


def kind_headers(name: str) -> tuple[str, ...]:
    return tuple(column.zh for column in KINDS[name].columns)


# ------------------------------------------------------------------------------------ parsers


@FAST
@given(st.sampled_from(sorted(KINDS)), st.lists(st.lists(cells, max_size=16), max_size=6))
def test_any_cells_of_any_kind_parse_or_are_rejected_never_crash(
    name: str, rows: list[list[str]]
) -> None:
    try:
        parsed = parse_rows(table(kind_headers(name), rows), KINDS[name])
    except ImportRejected as exc:
        assert exc.problems and all(p.startswith("第") for p in exc.problems)
        return
    assert len(parsed) <= len(rows)


@FAST
@given(st.lists(st.lists(cells, min_size=13, max_size=15), min_size=1, max_size=5))
def test_any_teacher_rows_validate_or_are_rejected_naming_row_and_column(
    rows: list[list[str]],
) -> None:
    headers = kind_headers("teachers")
    try:
        teachers = validate_teachers(
            table(headers, rows),
            known_schools={"人民路第一小学"},
            known_streets={"嘉兴路街道"},
            current_year=2026,
        )
    except ImportRejected as exc:
        assert all(re.match(r"第\d+行「[^」]+」列：", p) for p in exc.problems)
        return
    for teacher in teachers:  # accepted rows are valid teachers
        assert teacher.school == "人民路第一小学"
        assert 0 <= teacher.years_teaching <= 60


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_as_csv_are_read_or_refused(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.csv"
        path.write_bytes(data)
        try:
            read_rows(path)
        except ImportRejected as exc:
            assert exc.problems


printable = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"),
        blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: unicodedata.normalize("NFKC", s).strip() != "")


@FAST
@given(st.lists(printable, min_size=1, max_size=8, unique=True), st.booleans())
def test_accepted_text_cells_round_trip_through_a_csv_file(names: list[str], bom: bool) -> None:
    # What a clerk typed comes back as the NFKC form, trimmed, in the same rows.
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["工号", "姓名"])
    writer.writerows([f"T{n}", name] for n, name in enumerate(names))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "names.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8-sig" if bom else "utf-8"))
        read = read_rows(path)
    expected = [
        unicodedata.normalize("NFKC", n).strip().strip("\u200b\ufeff").strip() for n in names
    ]
    assert [row.cells[1] for row in read.rows] == [e for e in expected if e]
    assert read.encoding == ("utf-8-sig" if bom else "utf-8")


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(2000, 2100),
            st.sampled_from(["学习型小区", "family", "学习型企业", "leader"]),
            st.integers(0, 10**9),
            st.decimals(0, 10**6, places=2, allow_nan=False),
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda r: (r[0], r[2]),
    )
)
def test_accepted_nomination_rows_round_trip(rows: list[tuple[int, str, int, object]]) -> None:
    kind = nominations_kind(AwardsPolicy())
    headers = ("年度", "类别", "编号", "名称", "街道", "活动场次")
    text_rows = [[str(y), c, f"N{ref}", "名称", "嘉兴路街道", str(m)] for y, c, ref, m in rows]
    parsed = parse_rows(table(headers, text_rows), kind)
    assert [(p.values["year"], p.values["ref"]) for p in parsed] == [
        (y, f"N{ref}") for y, _, ref, _ in rows
    ]
    assert [p.values["activities"] for p in parsed] == [float(str(m)) for *_, m in rows]


def test_every_import_kind_is_covered_by_the_any_cells_property() -> None:
    assert {"teachers", "ideas", "idea-scores", "nominations", "scores"} <= set(KINDS)
    # the registered kinds are the bundled-policy ones the importers build
    assert KINDS["ideas"] == ideas_kind(IdeasPolicy())
    assert KINDS["idea-scores"] == idea_scores_kind(IdeasPolicy())
    assert KINDS["scores"] == scores_kind(AwardsPolicy())
    assert KINDS["teachers"] is TEACHERS


yaml_text = st.text(alphabet=st.sampled_from("ab:-[]{}&*!|>'\"#%@ \n\t,?0123456789"), max_size=80)


@FAST
@given(yaml_text)
def test_any_text_as_a_profile_loads_or_is_refused_with_profile_error(text: str) -> None:
    try:
        parse_profile("district: 区\nstreets: [{name: 甲}]\n" + text, "gen.yaml")
    except ProfileError as exc:
        assert exc.problems and all(p.startswith("gen.yaml") for p in exc.problems)


@FAST
@given(yaml_text)
def test_any_text_alone_as_a_profile_is_refused_with_profile_error(text: str) -> None:
    try:
        parse_profile(text, "gen.yaml")
    except ProfileError as exc:
        assert exc.problems


# ------------------------------------------------------------------------------------ review


score_rows = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3", "r4", "r5"]),
        st.sampled_from(["甲", "乙", "丙"]),
        st.integers(0, 100),
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda r: (r[0], r[1]),
)


@FAST
@given(score_rows, st.randoms(use_true_random=False), st.sampled_from(["zscore", "raw"]))
def test_calibration_does_not_depend_on_the_order_of_rows(
    rows: list[tuple[str, str, int]], rnd: random.Random, method: str
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)

    def run(data: list[tuple[str, str, int]]) -> dict[str, Calibrated]:
        return calibrate_totals(
            refs=[r[0] for r in data],
            reviewers=[r[1] for r in data],
            totals=[float(r[2]) for r in data],
            method=method,  # type: ignore[arg-type]
        )

    assert run(rows) == run(shuffled)


@FAST
@given(score_rows, st.integers(0, 2**31), st.randoms(use_true_random=False))
def test_ranking_is_a_function_of_the_scores_and_the_seed(
    rows: list[tuple[str, str, int]], seed: int, rnd: random.Random
) -> None:
    finals = calibrate_totals(
        refs=[r[0] for r in rows], reviewers=[r[1] for r in rows], totals=[r[2] for r in rows]
    )
    items = list(finals.items())
    rnd.shuffle(items)
    first = rank_with_tiebreak(finals=finals, quota=len(finals), seed=seed, salt="x")
    again = rank_with_tiebreak(finals=dict(items), quota=len(finals), seed=seed, salt="x")
    assert first == again
    assert [r.rank for r in first] == list(range(1, len(first) + 1))
    keys = [(-round(r.final, 9), -round(r.raw_mean, 9)) for r in first]
    assert keys == sorted(keys)


# ------------------------------------------------------------------------------------ secondment


SCHOOLS = ("一小", "二小", "三小")
STREETS = ("甲街道", "乙街道")


@st.composite
def rosters(draw: st.DrawFn) -> list[object]:
    count = draw(st.integers(2, 8))
    roster = []
    for n in range(count):
        roster.append(
            make_teacher(
                staff_id=f"T{n:02d}",
                school=draw(st.sampled_from(SCHOOLS)),
                # mostly eligible, so most instances have a placement to check
                years_teaching=draw(st.integers(3, 35)),
                in_service=draw(st.sampled_from([True, True, True, False])),
                annual_rating=draw(st.sampled_from([*RATINGS[:3], *RATINGS])),
                political_score=draw(st.integers(0, 100)),
                ability_score=draw(st.integers(0, 100)),
                community_work_score=draw(st.integers(0, 100)),
                backbone=draw(st.booleans()),
                last_secondment_year=draw(st.sampled_from([None, None, 2020, 2024])),
                preferred_streets=draw(st.lists(st.sampled_from(STREETS), unique=True)),
                deferred=draw(st.booleans()) if n % 3 == 0 else False,
            )
        )
    return roster


rules_strategy = st.builds(
    SecondmentRules,
    year=st.just(2026),
    quotas=st.fixed_dictionaries({s: st.integers(0, 2) for s in STREETS}).filter(
        lambda quotas: sum(quotas.values()) > 0
    ),
    max_per_school=st.integers(1, 2),
    min_backbone_share=st.sampled_from([0.0, 0.2, 0.5]),
    preference_bonus=st.sampled_from([0.0, 5.0]),
    weights=st.just(MeritWeights()),
)


def brute_force_best(candidates: list[Candidate], rules: SecondmentRules) -> Fraction | None:
    """The best total over every assignment of each candidate to no street or one street."""
    best: Fraction | None = None
    options = (None, *STREETS)
    for choice in itertools.product(options, repeat=len(candidates)):
        pairs = [(c, s) for c, s in zip(candidates, choice, strict=True) if s is not None]
        if not _feasible(pairs, rules):
            continue
        total = total_of(pairs, rules=rules)
        best = total if best is None else max(best, total)
    return best


def _feasible(pairs: list[tuple[Candidate, str]], rules: SecondmentRules) -> bool:
    for street, quota in rules.quotas.items():
        if sum(1 for _, s in pairs if s == street) != quota:
            return False
    for school in SCHOOLS:
        if sum(1 for c, _ in pairs if c.school == school) > rules.max_per_school:
            return False
    return sum(1 for c, _ in pairs if c.backbone) >= rules.backbone_needed


@SOLVER
@given(rosters(), rules_strategy)
def test_placement_is_eligible_feasible_and_as_good_as_brute_force(
    roster: list[object], rules: SecondmentRules
) -> None:
    candidates, ineligible = screen(roster, rules=rules)  # type: ignore[arg-type]
    by_id = {t.staff_id: t for t in roster}  # type: ignore[attr-defined]
    for person in ineligible:  # every ineligible teacher has a reason per failed condition
        assert person.reasons == eligibility_reasons(by_id[person.staff_id], rules=rules)
    best = brute_force_best(candidates, rules)
    try:
        pairs = solve_placement(candidates, rules=rules, time_limit=20).pairs
    except InfeasibleSecondment as exc:
        event("infeasible")
        assert best is None, f"solver refused ({exc}) but {best} is reachable"
        return
    event(f"placed {len(pairs)} of {len(candidates)} eligible")
    assert all(not eligibility_reasons(by_id[c.staff_id], rules=rules) for c, _ in pairs)
    assert _feasible(pairs, rules)
    assert len({c.staff_id for c, _ in pairs}) == len(pairs)  # one street per teacher
    assert total_of(pairs, rules=rules) == best


@SOLVER
@given(rosters(), rules_strategy, st.sampled_from(STREETS))
def test_replacement_is_the_best_free_eligible_teacher(
    roster: list[object], rules: SecondmentRules, street: str
) -> None:
    candidates, _ = screen(roster, rules=rules)  # type: ignore[arg-type]
    try:
        pairs = solve_placement(candidates, rules=rules, time_limit=20).pairs
    except InfeasibleSecondment:
        return
    leaving = next(((c, s) for c, s in pairs if s == street), None)
    if leaving is None:
        return
    from tasks.secondment.rules import Placement

    active = [
        Placement(
            staff_id=c.staff_id,
            name=c.name,
            school=c.school,
            street=s,
            merit=c.merit,
            score=c.merit,
            preferred=False,
            backbone=c.backbone,
            reason="",
        )
        for c, s in pairs
        if c.staff_id != leaving[0].staff_id
    ]
    unavailable = {leaving[0].staff_id}
    try:
        chosen, score = choose_replacement(
            candidates,
            active=active,
            street=street,
            leaving_backbone=leaving[0].backbone,
            unavailable=unavailable,
            rules=rules,
        )
    except InfeasibleSecondment:
        chosen = None
    taken = {p.staff_id for p in active} | unavailable
    backbone_left = sum(p.backbone for p in active)
    need_backbone = leaving[0].backbone and backbone_left < rules.backbone_needed

    def fits(c: Candidate) -> bool:
        same_school = sum(1 for p in active if p.school == c.school)
        return (
            c.staff_id not in taken
            and same_school < rules.max_per_school
            and (c.backbone or not need_backbone)
        )

    def value(c: Candidate) -> int:
        bonus = rules.preference_bonus if street in c.preferred_streets else 0.0
        return round((c.merit + bonus) * 1000)

    free = [c for c in candidates if fits(c)]
    if chosen is None:
        assert not free
        return
    assert fits(chosen)
    assert value(chosen) == max(value(c) for c in free)
    assert chosen.staff_id == min(c.staff_id for c in free if value(c) == value(chosen))
    assert round(score * 1000) == value(chosen)


# ------------------------------------------------------------------------------------ dedup


def naive_clusters(keys: list[str], threshold: Fraction) -> list[list[int]]:
    """The spec's rule read literally: 2-gram sets, Jaccard ≥ t for every pair, then components."""
    grams = [{k[i : i + 2] for i in range(len(k) - 1)} for k in keys]
    edges: dict[int, set[int]] = {i: set() for i in range(len(keys))}
    for i, j in itertools.combinations(range(len(keys)), 2):
        a, b = grams[i], grams[j]
        if a and b and Fraction(len(a & b), len(a | b)) >= threshold:
            edges[i].add(j)
            edges[j].add(i)
    seen: set[int] = set()
    clusters = []
    for start in range(len(keys)):
        if start in seen:
            continue
        component, queue = [], deque([start])
        seen.add(start)
        while queue:
            node = queue.popleft()
            component.append(node)
            for other in edges[node] - seen:
                seen.add(other)
                queue.append(other)
        clusters.append(sorted(component))
    return sorted(clusters)


@FAST
@given(
    st.lists(st.text(alphabet="读书会社区学校活动每月一次", min_size=0, max_size=12), max_size=14),
    st.sampled_from(["0.6", "0.5", "0.8", "1"]),
)
def test_dedup_clusters_equal_a_naive_all_pairs_reading_of_the_rule(
    keys: list[str], threshold: str
) -> None:
    found = cluster_keys(keys, threshold=threshold).clusters
    assert sorted(found) == naive_clusters(keys, Fraction(threshold))
