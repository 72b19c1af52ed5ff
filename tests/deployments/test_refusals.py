"""Every refusal the command line foresees, walked as a clerk meets it.

Each case prepares what the clerk's data would hold, runs one command in-process and checks
the outcome a clerk can act on: exit status 1, no traceback, one Chinese message ("未办理：…")
that names the place (the file's row and column, the person, the street, the year, the option),
and nothing sent. The cases that run a flow (and pause or refuse inside it) run against the
session's Prefect test server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.secondment import SecondmentRound
from tests.factories import seed_roster

YEAR = 2026
CJK = re.compile(r"[\u4e00-\u9fff]")
TEACHER_HEADERS = "工号,姓名,学校,学科,教龄,在职,年度考核,政治素质,综合能力,群众工作,手机"


@dataclass(frozen=True)
class Case:
    """One refusal: what the data holds (`setup`), the command, the place the message names."""

    name: str
    args: Callable[[Path], list[str]]
    names: tuple[str, ...]
    setup: Callable[[DistrictProfile, Path], None] = field(default=lambda profile, tmp: None)


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _teachers(tmp: Path, phone: str = "13800138000", years: str = "12") -> Path:
    row = f"T0001,张三,人民路第一小学,语文,{years},是,良好,85,82,78,{phone}"
    return _write(tmp, "教师.csv", f"{TEACHER_HEADERS}\n{row}\n")


def _nominations(tmp: Path) -> Path:
    return _write(
        tmp,
        "提名.csv",
        "年度,类别,编号,名称,街道,社区,上次获评年度,活动场次\n"
        f"{YEAR},学习型家庭,F-1,张家,火星街道,,,3\n",
    )


def _approved_round(profile: DistrictProfile, tmp: Path) -> None:
    with session_scope() as session:
        session.add(SecondmentRound(year=YEAR, approved_by="王科长"))


def _few_teachers(profile: DistrictProfile, tmp: Path) -> None:
    seed_roster(profile, count=12, seed=3)  # far fewer eligible teachers than 15 places


def _campaign(profile: DistrictProfile, tmp: Path) -> None:
    from datetime import date

    from tasks.ideas.campaign import open_campaign

    open_campaign(year=YEAR, start=date(YEAR, 9, 1))


CASES = [
    Case(
        "import: a phone number with a digit missing",
        lambda tmp: [
            "import",
            "teachers",
            str(_teachers(tmp, phone="1380013800")),
            "--year",
            "2026",
        ],
        ("第2行「手机」列", "不是以13至19开头的11位手机号码"),
    ),
    Case(
        "import: years of teaching written in words",
        lambda tmp: ["import", "teachers", str(_teachers(tmp, years="十二年")), "--year", "2026"],
        ("第2行「教龄」列", "“十二年”不是数字"),
    ),
    Case(
        "import: a required column left out",
        lambda tmp: [
            "import",
            "teachers",
            str(_write(tmp, "缺列.csv", "工号,姓名\nT0001,张三\n")),
        ],
        ("第1行「学校」列", "缺少这一必填列"),
    ),
    Case(
        "import: no such file",
        lambda tmp: ["import", "teachers", str(tmp / "不存在.csv")],
        ("不存在.csv", "找不到这个文件"),
    ),
    Case(
        "import: an old Excel file",
        lambda tmp: ["import", "teachers", str(_write(tmp, "教师.xls", "x"))],
        ("教师.xls", "不支持的文件类型", "另存为.xlsx"),
    ),
    Case(
        "import: a nomination on an unknown street",
        lambda tmp: ["import", "nominations", str(_nominations(tmp)), "--year", "2026"],
        ("第2行「街道」列", "“火星街道”不是区情配置中的街道"),
    ),
    Case(
        "import: an unknown kind of file",
        lambda tmp: ["import", "pets", str(_teachers(tmp))],
        ("不能导入“pets”", "teachers"),
    ),
    Case(
        "profile: a profile with a missing field",
        lambda tmp: [
            "profile-check",
            str(_write(tmp, "区情.yaml", "district: 示例区\nstreets:\n  - pilot: true\n")),
        ],
        ("区情.yaml 第3行（streets[0].name）：缺少必填项", "区情配置有误"),
    ),
    Case(
        "init: a profile with a school on an unknown street",
        lambda tmp: [
            "init",
            "--profile",
            str(
                _write(
                    tmp,
                    "区情.yaml",
                    "district: 示例区\nstreets:\n  - name: 甲街道\n"
                    "schools:\n  - {name: 一小, street: 火星街道}\n",
                )
            ),
        ],
        ("区情.yaml 第5行（schools[0].street）", "“火星街道”不在街道名单"),
    ),
    Case(
        "template: an unknown kind",
        lambda tmp: ["template", "pets", "--out", str(tmp / "pets.xlsx")],
        ("没有“pets”这种模板",),
    ),
    Case(
        "secondment: a year beyond the range",
        lambda tmp: ["secondment", "--year", "3000", "--approve"],
        ("「年度」", "应不大于 2100", "3000"),
    ),
    Case(
        "awards: a year beyond the range",
        lambda tmp: ["awards", "--year", "3000", "--approve"],
        ("「年度」", "应不大于 2100", "3000"),
    ),
    Case(
        "awards: a 公示 start that is not a date",
        lambda tmp: ["awards", "--year", "2026", "--approve", "--start", "2026-13-01"],
        ("--start", "“2026-13-01”不是日期"),
    ),
    Case(
        "awards-finalise: no list to make final",
        lambda tmp: ["awards-finalise", "--year", "2026", "--today", "2026-12-30"],
        ("2026年度尚无已审定的拟表彰名单",),
    ),
    Case(
        "award-objection: a nomination not on the list",
        lambda tmp: [
            "award-objection",
            "--year",
            "2026",
            "--ref",
            "X-1",
            "--objector",
            "张三",
            "--content",
            "材料不实",
        ],
        ("2026年度评选名单中没有编号为X-1的提名",),
    ),
    Case(
        "award-ruling: an unknown objection",
        lambda tmp: [
            "award-ruling",
            "--objection",
            "99",
            "--decision",
            "异议成立",
            "--ruling",
            "成立",
        ],
        ("没有编号为99的异议",),
    ),
    Case(
        "calendar: showing a year beyond the range",
        lambda tmp: ["calendar", "--year", "3000"],
        ("--year", "应不大于 2100"),
    ),
    Case(
        "calendar confirm: a year years ahead, not planned",
        lambda tmp: ["calendar", "confirm", "嘉兴一居委", "--year", "2030", "--by", "王主任"],
        ("2030年没有已批准的年度安排", "不能确认发放"),
    ),
    Case(
        "calendar move: an unknown meeting",
        lambda tmp: ["calendar", "move", "年会", "--year", "2026", "--date", "2026-05-27"],
        ("2026年没有“年会”这项会议",),
    ),
    Case(
        "calendar rsvp: an answer that is not one of the three",
        lambda tmp: [
            "calendar",
            "rsvp",
            "work_conference",
            "--year",
            "2026",
            "--attendee",
            "张三",
            "--response",
            "也许",
        ],
        ("回复“也许”", "参加、不参加或待定"),
    ),
    Case(
        "calendar coverage: a year without distribution",
        lambda tmp: ["calendar", "coverage", "--year", "2026"],
        ("2026年没有宣传资料发放任务",),
    ),
    Case(
        "ideas submit: an unknown community",
        lambda tmp: [
            "ideas",
            "submit",
            "--year",
            "2026",
            "--submitter",
            "王芳",
            "--phone",
            "13900139000",
            "--community",
            "月球居委",
            "--title",
            "社区读书会",
            "--content",
            "建议每月在社区学校举办一次读书分享会。",
        ],
        ("社区“月球居委”不在本区社区名录中",),
        setup=_campaign,
    ),
    Case(
        "ideas merge: an idea that was never screened",
        lambda tmp: [
            "ideas",
            "merge",
            "R-1",
            "--into",
            "R-2",
            "--year",
            "2026",
            "--reason",
            "内容相同",
        ],
        ("2026年度没有已筛查的建议R-1",),
    ),
    Case(
        "holidays: a year before the calendar knows any",
        lambda tmp: ["holidays", "show", "--year", "1800"],
        ("--year", "应不小于 2000"),
    ),
    Case(
        "units confirm: an unknown pledge",
        lambda tmp: ["units", "confirm", "P-9", "--year", "2026", "--by", "王主任"],
        ("2026年度没有编号为“P-9”的支持承诺",),
    ),
    Case(
        "responses revoke: an unknown kind of link",
        lambda tmp: ["responses", "revoke", "lottery", "张三", "--year", "2026"],
        ("事项“lottery”不存在",),
    ),
]

FLOW_CASES = [
    Case(
        "decline: a staff id not on the year's list",
        lambda tmp: ["decline", "T99999", "--year", "2026", "--reason", "家中有事"],
        ("工号 T99999", "不在2026年度的挂职选派名单中"),
        setup=_approved_round,
    ),
    Case(
        "decline: a year without a signed-off secondment",
        lambda tmp: ["decline", "T00001", "--year", "2031"],
        ("2031年度尚无已批准的挂职选派方案",),
    ),
    Case(
        "secondment: quotas no placement can meet",
        lambda tmp: ["secondment", "--year", "2026", "--approve"],
        ("无法形成选派方案", "嘉兴路街道", "符合条件的教师只有"),
        setup=_few_teachers,
    ),
    Case(
        "awards: a district with no nominations",
        lambda tmp: ["awards", "--year", "2026", "--approve", "--start", "2026-12-01"],
        ("2026年度", "提名"),
    ),
    Case(
        "ideas review: a year without a campaign",
        lambda tmp: ["ideas", "review", "--year", "2026", "--approve"],
        ("2026年度尚未开展金点子征集",),
    ),
]


def run(args: list[str]) -> Result:
    # Wide columns: rich would otherwise wrap the message (and paths) at 80 characters.
    return CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"}).invoke(app, args)


def outbox_size() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def assert_refused(result: Result, case: Case) -> None:
    text = result.stdout + result.stderr
    assert result.exit_code == 1, f"{case.name}: exit {result.exit_code}\n{text}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in text
    refusal = [line for line in result.stderr.splitlines() if line.startswith("未办理：")]
    assert refusal, f"{case.name}: no refusal line\n{text}"
    message = " ".join(result.stderr.split())  # one message, however the console wrapped it
    missing = [fragment for fragment in case.names if fragment not in message]
    assert not missing, f"{case.name}: {missing} not in\n{result.stderr}"
    # Chinese, not an English sentence with Chinese names in it
    said = refusal[0].removeprefix("未办理：")
    assert CJK.search(said) and not re.search(r"\b[a-z]{3,} [a-z]{3,} [a-z]{3,}\b", message), said


def test_the_walk_covers_at_least_twenty_refusals() -> None:
    assert len(CASES) + len(FLOW_CASES) >= 20
    assert len({c.name for c in CASES + FLOW_CASES}) == len(CASES) + len(FLOW_CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refusal(case: Case, registry: DistrictProfile, tmp_path: Path) -> None:
    case.setup(registry, tmp_path)
    before = outbox_size()

    result = run(case.args(tmp_path))

    assert_refused(result, case)
    assert outbox_size() == before, "a refusal stages no message"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("case", FLOW_CASES, ids=[c.name for c in FLOW_CASES])
def test_refusal_inside_a_flow(case: Case, registry: DistrictProfile, tmp_path: Path) -> None:
    case.setup(registry, tmp_path)

    result = run(case.args(tmp_path))

    assert_refused(result, case)
    assert outbox_size() == 0, "nothing is sent"
