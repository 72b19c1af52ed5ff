"""The bad-input corpus through the real entry points: rejected whole, the place named, nothing
written — or, where the data is actually fine, accepted correctly.

Each case records its outcome in the hardening ledger before asserting it, so the summary table
shows failures too. Import cases share one migrated district database (a rejected file must leave
it exactly as it was, which is what is checked); the CLI cases drive the same code through
`typer.testing.CliRunner`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from apprise import NotifyFormat
from apprise.conversion import convert_between
from prefect.exceptions import ParameterTypeError
from pydantic import BaseModel, ValidationError
from sqlalchemy import func
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

import models.tables  # noqa: F401  (every table in SQLModel.metadata, for the row counts)
from deployments.cli.app import IMPORTERS, app
from models.db import migrate, session_scope
from models.params.awards import AwardsParameters
from models.params.calendar import CalendarParameters, RsvpParameters
from models.params.cycle import AnnualCycleParameters
from models.params.ideas import ReviewParameters
from models.params.secondment import SecondmentParameters
from models.profile.contacts import OfficeContact
from models.profile.loading import ProfileError, load_profile
from models.registry import StoredProfile
from models.settings import get_settings
from tasks.common.district import sync_registry
from tasks.ideas.campaign import open_campaign
from tasks.importing.reading import ImportRejected
from tasks.notify.render import render
from tests.badinput.corpus import (
    IMPORT_CASES as CORE_CASES,
)
from tests.badinput.corpus import (
    MINIMAL,
    NOMINATION_HEADERS,
    PROFILE_CASES,
    SCRIPT,
    TEACHER_HEADERS,
    YEAR,
    ImportCase,
    ProfileCase,
    nomination,
    teacher,
    write_csv,
)
from tests.badinput.policy_corpus import policy_cases
from tests.hardening import Ledger

IMPORT_CASES = CORE_CASES + policy_cases()


def flat(text: str) -> str:
    """Console text without its wrapping and box drawing (rich wraps at the terminal width)."""
    return " ".join(text.replace("│", " ").split())


def row_counts() -> dict[str, int]:
    """Rows of every table: a rejected input must leave all of them as they were."""
    with session_scope() as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
        }


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One district database for the module: bundled profile, the 2026 idea campaign open, one
    nomination (BASE-1) to score."""
    folder = tmp_path_factory.mktemp("badinput")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LD_DATA_DIR", str(folder / "data"))
        patch.setenv("LD_DATABASE_URL", f"sqlite:///{folder / 'district.db'}")
        patch.delenv("LD_APPRISE_CONFIG", raising=False)
        patch.delenv("LD_PROFILE", raising=False)
        get_settings.cache_clear()
        migrate()
        profile, text = load_profile()
        with session_scope() as session:
            sync_registry(session, profile=profile, text=text, source="bundled")
        open_campaign(year=YEAR, start=date(YEAR, 3, 1))
        base = write_csv("base.csv", NOMINATION_HEADERS, [nomination("BASE-1")])(folder)
        IMPORTERS["nominations"](base, YEAR)
        yield folder
    get_settings.cache_clear()


# ------------------------------------------------------------------------------------ imports


def _run_import(case: ImportCase, folder: Path) -> tuple[bool, str]:
    """Run the case through the importer the CLI uses; (handled cleanly, what happened)."""
    path = case.build(folder)
    before = row_counts()
    try:
        summary = IMPORTERS[case.kind](path, case.year)
    except ImportRejected as exc:
        message = str(exc)
        if case.expect is None:
            return False, f"rejected a fine file: {message[:500]}"
        missing = [f for f in case.expect if f not in message]
        leaked = [f for f in case.absent if f in message]
        unchanged = row_counts() == before
        named_file = str(path) in message
        ok = not missing and not leaked and unchanged and named_file
        return ok, (
            f"missing {missing}, leaked {leaked}, rows unchanged {unchanged}, "
            f"file named {named_file}: {message[:800]}"
        )
    if case.expect is not None:
        return False, f"accepted a bad file: {summary}"
    assert case.accepted is not None
    return case.accepted(), f"accepted: {summary}"


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c.name for c in IMPORT_CASES])
def test_import_case(case: ImportCase, district: Path, tmp_path: Path, hardening: Ledger) -> None:
    ok, detail = _run_import(case, tmp_path)
    hardening.bad_input(case.name, rejected_cleanly=ok)
    assert ok, detail


def test_the_corpus_is_large_enough() -> None:
    # at least 50 malformed inputs across every kind, the profile and parameters
    kinds = {case.kind for case in IMPORT_CASES}
    assert kinds == set(IMPORTERS)
    assert len(IMPORT_CASES) + len(PROFILE_CASES) + len(PARAMETER_CASES) + len(CLI_CASES) >= 70


def test_script_in_an_idea_is_text_everywhere_it_is_shown(
    district: Path, hardening: Ledger
) -> None:
    # The idea was stored verbatim by the corpus case; messages are plain text (body_format
    # "text"), and Apprise escapes text for HTML targets (e-mail), so no live <script> is sent.
    IMPORTERS["ideas"](
        write_csv(
            "html.csv",
            ("编号", "提交人", "手机", "社区", "标题", "内容"),
            [
                (
                    "H-2",
                    "王芳",
                    "13900139001",
                    "嘉兴一居委",
                    SCRIPT,
                    "<b>建议</b>每月举办一次读书分享会",
                )
            ],
        )(district),
        YEAR,
    )
    title, body = render(
        "ideas_rejected",
        submitter="王芳",
        title=SCRIPT,
        ref="H-2",
        reason="内容过短",
        contact=OfficeContact(name="区社区教育指导中心"),
    )
    html = convert_between(NotifyFormat.TEXT, NotifyFormat.HTML, f"{title}\n{body}")
    ok = "<script>" not in html and "&lt;script&gt;" in html and SCRIPT in body
    hardening.bad_input(
        "ideas: <script> in a title reaches an HTML target escaped", rejected_cleanly=ok
    )
    assert ok, html


def test_sql_metacharacters_are_data_and_every_table_survives(
    district: Path, tmp_path: Path, hardening: Ledger
) -> None:
    from sqlalchemy import inspect

    from models.db import get_engine
    from models.secondment import Teacher

    name = "x'); DROP TABLE teacher; --"
    path = write_csv("sql.csv", TEACHER_HEADERS, [teacher("TSQL2", 姓名=name)])(tmp_path)
    IMPORTERS["teachers"](path, YEAR)
    with session_scope() as session:
        found = session.exec(select(Teacher).where(Teacher.name == name)).all()
    tables = set(inspect(get_engine()).get_table_names())
    ok = [t.staff_id for t in found] == ["TSQL2"] and set(SQLModel.metadata.tables) <= tables
    hardening.bad_input("teachers: DROP TABLE in a name is stored as a name", rejected_cleanly=ok)
    assert ok, (found, sorted(set(SQLModel.metadata.tables) - tables))


# ------------------------------------------------------------------------------------ profiles


def _profile_path(case: ProfileCase, folder: Path) -> Path:
    if callable(case.text):
        return case.text(folder)
    path = folder / "district.yaml"
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
    else:
        path.write_text(case.text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", PROFILE_CASES, ids=[c.name for c in PROFILE_CASES])
def test_profile_case(case: ProfileCase, tmp_path: Path, hardening: Ledger) -> None:
    path = _profile_path(case, tmp_path)
    started = time.monotonic()
    try:
        load_profile(path)
    except ProfileError as exc:
        message = str(exc)
        missing = [f for f in case.expect if f not in message]
        # bounded: refused at once, not after expanding or reading everything (generous limit)
        quick = time.monotonic() - started < 20
        ok = not missing and quick and str(path) in message
        detail = f"missing {missing}, quick {quick}: {message[:800]}"
    else:
        ok, detail = False, "loaded a bad profile"
    hardening.bad_input(case.name, rejected_cleanly=ok)
    assert ok, detail


def test_quotas_beyond_the_places_load_and_the_run_refuses_naming_the_shortfall(
    tmp_path: Path, hardening: Ledger
) -> None:
    # the spec's own minimal profile asks 15 places of one school (2 at most): it must load, so the
    # refusal comes when the year is run, naming the binding shortfall and writing nothing.
    from tasks.secondment.rules import InfeasibleSecondment, SecondmentRules
    from tasks.secondment.solver import select_candidates
    from tests.factories import make_teacher

    path = tmp_path / "district.yaml"
    path.write_text(MINIMAL + "secondment:\n  quotas: {嘉兴路街道: 30}\n", encoding="utf-8")
    profile, _ = load_profile(path)
    roster = [make_teacher(staff_id=f"T{n:03d}") for n in range(40)]
    rules = SecondmentRules(year=YEAR, quotas=profile.secondment_quotas())
    try:
        select_candidates(roster, rules=rules)
    except InfeasibleSecondment as exc:
        message = str(exc)
        ok = "共需选派 30 名，按每校至多 2 名计，符合条件的教师只有 2 名" in message
    else:
        ok, message = False, "placed teachers beyond the places"
    hardening.bad_input("profile: quotas summing beyond the places", rejected_cleanly=ok)
    assert ok, message


# ------------------------------------------------------------------------------------ parameters


PARAMETER_CASES: list[tuple[str, type[BaseModel], dict[str, Any], str]] = [
    ("secondment params: year 1999", SecondmentParameters, {"year": 1999}, "year"),
    ("secondment params: year 2101", SecondmentParameters, {"year": 2101}, "year"),
    (
        "secondment params: unknown approval",
        SecondmentParameters,
        {"approval": "maybe"},
        "approval",
    ),
    (
        "secondment params: negative quota",
        SecondmentParameters,
        {"quotas": {"嘉兴路街道": -1}},
        "quotas.嘉兴路街道",
    ),
    ("secondment params: negative min_years", SecondmentParameters, {"min_years": -1}, "min_years"),
    (
        "secondment params: backbone share 1.5",
        SecondmentParameters,
        {"min_backbone_share": 1.5},
        "min_backbone_share",
    ),
    (
        "secondment params: weights not summing to 1",
        SecondmentParameters,
        {"weights": {"political": 0.9}},
        "weights",
    ),
    ("awards params: year 3000", AwardsParameters, {"year": 3000}, "year"),
    (
        "awards params: unknown method",
        AwardsParameters,
        {"year": 2026, "method": "median"},
        "method",
    ),
    ("awards params: negative seed", AwardsParameters, {"year": 2026, "seed": -1}, "seed"),
    ("calendar params: clone from 1800", CalendarParameters, {"clone_from": 1800}, "clone_from"),
    ("calendar params: date 2026-02-30", CalendarParameters, {"today": "2026-02-30"}, "today"),
    (
        "rsvp params: unknown response",
        RsvpParameters,
        {"year": 2026, "event": "x", "attendee": "张三", "response": "可能"},
        "response",
    ),
    ("ideas review params: year -5", ReviewParameters, {"year": -5}, "year"),
    (
        "annual cycle params: unknown step",
        AnnualCycleParameters,
        {"year": 2026, "skip": ["holiday"]},
        "skip.0",
    ),
    (
        "annual cycle params: negative seed",
        AnnualCycleParameters,
        {"year": 2026, "seed": -3},
        "seed",
    ),
]


@pytest.mark.parametrize(
    ("name", "model", "values", "field"), PARAMETER_CASES, ids=[c[0] for c in PARAMETER_CASES]
)
def test_parameter_case(
    name: str, model: type[BaseModel], values: dict[str, Any], field: str, hardening: Ledger
) -> None:
    try:
        model.model_validate(values)
    except ValidationError as exc:
        places = [".".join(str(p) for p in error["loc"]) for error in exc.errors()]
        ok = field in places
        detail = f"places {places}"
    else:
        ok, detail = False, "accepted"
    hardening.bad_input(name, rejected_cleanly=ok)
    assert ok, detail


def test_a_deployment_run_with_a_bad_parameter_is_refused_before_it_starts(
    hardening: Ledger,
) -> None:
    # A UI form or `prefect deployment run` hands the flow a dict; Prefect validates it against
    # the parameter model before the run starts, and names the field.
    from flows.teacher_secondment import teacher_secondment

    with pytest.raises(ParameterTypeError) as exc:
        teacher_secondment.validate_parameters({"params": {"year": 1999, "approval": "auto"}})
    ok = "year" in str(exc.value) and "2000" in str(exc.value)
    hardening.bad_input("secondment flow run: year 1999 from a form", rejected_cleanly=ok)
    assert ok, str(exc.value)


# ------------------------------------------------------------------------------------ CLI


CLI_CASES: list[tuple[str, list[str], int, tuple[str, ...]]] = [
    (
        "cli: secondment --year 1999",
        ["secondment", "--year", "1999", "--approve"],
        1,
        ("「年度」：应不小于 2000（填的是 1999）",),
    ),
    (
        "cli: calendar --year 1999",
        ["calendar", "--year", "1999"],
        1,
        ("选项 --year：应不小于 2000（填的是 1999）",),
    ),
    (
        "cli: calendar --clone-from 1800",
        ["calendar", "--year", "2026", "--clone-from", "1800"],
        1,
        ("选项 --clone-from：应不小于 2000（填的是 1800）",),
    ),
    (
        "cli: ideas review --year 3000",
        ["ideas", "review", "--year", "3000"],
        1,
        ("「年度」：应不大于 2100（填的是 3000）",),
    ),
    (
        "cli: awards --year 3000",
        ["awards", "--year", "3000", "--approve"],
        1,
        ("「年度」：应不大于 2100（填的是 3000）",),
    ),
    (
        "cli: calendar rsvp with an unknown response",
        [
            "calendar",
            "rsvp",
            "work_conference",
            "--year",
            "2026",
            "--attendee",
            "张三",
            "--response",
            "可能",
        ],
        1,
        ("回复“可能”应为参加、不参加或待定",),
    ),
    (
        "cli: secondment --year not a number",
        ["secondment", "--year", "二〇二六"],
        1,
        ("选项 --year：应为整数（填的是 二〇二六）",),
    ),
    (
        "cli: import of an unknown kind",
        ["import", "pupils", "x.csv"],
        1,
        ("不能导入“pupils”",),
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "code", "expect"), CLI_CASES, ids=[c[0] for c in CLI_CASES]
)
def test_cli_case(
    name: str,
    args: list[str],
    code: int,
    expect: tuple[str, ...],
    district: Path,
    hardening: Ledger,
) -> None:
    before = row_counts()
    result = CliRunner().invoke(app, args)
    output = flat(result.output)
    clean = result.exception is None or isinstance(result.exception, SystemExit)
    missing = [f for f in expect if flat(f) not in output]
    ok = result.exit_code == code and clean and not missing and row_counts() == before
    hardening.bad_input(name, rejected_cleanly=ok)
    assert ok, (result.exit_code, result.exception, missing, output[-1500:])


def test_cli_import_with_markup_in_a_cell_prints_it_as_text(
    district: Path, tmp_path: Path, hardening: Ledger
) -> None:
    # "[/red]" in a school name reached rich as markup and crashed the error output
    # (MarkupError) instead of listing the problem.
    path = write_csv("markup.csv", TEACHER_HEADERS, [teacher("T0201", 学校="[/red]学校")])(tmp_path)
    before = row_counts()
    result = CliRunner().invoke(app, ["import", "teachers", str(path)])
    ok = (
        result.exit_code == 1
        and isinstance(result.exception, SystemExit)
        and "第2行「学校」列：“[/red]学校”不是区情配置中的学校" in flat(result.output)
        and row_counts() == before
    )
    hardening.bad_input("cli: import teachers with rich markup in a cell", rejected_cleanly=ok)
    assert ok, (result.exception, result.output[-1000:])


def test_cli_import_of_ideas_without_a_campaign_exits_1_naming_the_year(
    district: Path, tmp_path: Path, hardening: Ledger
) -> None:
    # This was a traceback (SubmissionRejected escaped the importer) before the fix.
    from tests.badinput.corpus import IDEA_HEADERS, idea

    path = write_csv("ideas.csv", IDEA_HEADERS, [idea("CLI-1")])(tmp_path)
    before = row_counts()
    result = CliRunner().invoke(app, ["import", "ideas", str(path), "--year", "2033"])
    ok = (
        result.exit_code == 1
        and isinstance(result.exception, SystemExit)
        and "2033年度金点子征集尚未启动" in flat(result.output)
        and row_counts() == before
    )
    hardening.bad_input("cli: import ideas for a year without a campaign", rejected_cleanly=ok)
    assert ok, (result.exception, result.output[-1000:])


def test_cli_init_with_a_bad_profile_keeps_the_loaded_one(
    district: Path, tmp_path: Path, hardening: Ledger
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL + "secondment:\n  quotas: {嘉兴路街道: -5}\n", encoding="utf-8")
    with session_scope() as session:
        stored_before = [p.model_dump() for p in session.exec(select(StoredProfile)).all()]
    result = CliRunner().invoke(app, ["init", "--profile", str(path)])
    with session_scope() as session:
        stored_after = [p.model_dump() for p in session.exec(select(StoredProfile)).all()]
    ok = (
        result.exit_code == 1
        and "第10行（secondment.quotas.嘉兴路街道）" in flat(result.output)
        and stored_after == stored_before
    )
    hardening.bad_input("cli: init with a negative quota in the profile", rejected_cleanly=ok)
    assert ok, result.output[-1000:]
