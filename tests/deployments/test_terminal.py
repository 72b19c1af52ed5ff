"""Sign-off at a real terminal: the command line in a pseudo-terminal, as a clerk runs it.

No Prefect setting is inherited (PREFECT_HOME and PREFECT_API_URL unset, HOME empty): the
command starts the data dir's server itself, the flow (in its worker thread) and the prompt use
that one server, the proposal and the UI address are shown, the clerk answers in Chinese, and
the command asks before sending more than a handful of messages. Closing the terminal while the
run waits leaves no process behind.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pexpect
import pytest
from sqlmodel import select

from models.db import session_scope
from models.ideas import IdeaCampaign, IdeaResult
from models.meetings import CalendarYear
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.secondment import SecondmentRound
from tests.factories import seed_roster

YEAR = 2026
WAIT = 240  # seconds for one step: a fresh server starts slowly on a loaded machine
PREFECT_LOG_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| (INFO|WARNING|ERROR)")


@pytest.fixture
def clerk_env(db: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a clerk's shell: the data dir's settings, nothing of Prefect's."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"HOME": str(home), "LANG": "C.UTF-8", "TERM": "xterm"})
    return env


def spawn(args: list[str], env: dict[str, str], cwd: Path) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "deployments.cli.app", *args],
        env=env,
        cwd=str(Path(__file__).resolve().parents[2]),
        encoding="utf-8",
        timeout=WAIT,
        dimensions=(80, 220),
    )
    child.logfile_read = (cwd / "terminal.log").open("w", encoding="utf-8")
    return child


def transcript(cwd: Path) -> str:
    return (cwd / "terminal.log").read_text(encoding="utf-8")


def finish(child: pexpect.spawn, cwd: Path) -> str:
    """Wait for the command to end; return what the terminal showed (asserting it was clean)."""
    child.expect(pexpect.EOF)
    child.close()
    text = transcript(cwd)
    assert child.exitstatus == 0, text[-3000:]
    assert "Traceback" not in text
    assert "telemetry" not in text.lower()
    assert not PREFECT_LOG_LINE.search(text), "Prefect's log lines stay off the terminal"
    return text


def no_temporary_server(env: dict[str, str]) -> None:
    """Nothing ran a temporary Prefect server under ~/.prefect."""
    assert not (Path(env["HOME"]) / ".prefect" / "prefect.db").exists()


def delivered() -> int:
    with session_scope() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.status == "delivered"))
        return len(rows.all())


def test_secondment_excluded_then_approved_at_the_prompt(
    registry: DistrictProfile, clerk_env: dict[str, str], tmp_path: Path
) -> None:
    seed_roster(registry, count=150, seed=3)
    child = spawn(["secondment", "--year", str(YEAR)], clerk_env, tmp_path)

    child.expect(f"{YEAR}年度教师挂职选派方案")
    child.expect(r"界面地址：http://127\.0\.0\.1:\d+/runs/flow-run/[0-9a-f-]{36}")
    child.expect("审批结果：1. 批准  2. 退回  3. 排除后重算")
    proposal = transcript(tmp_path)
    first = re.findall(r"(T\d{5})", proposal)[0]
    child.expect("请选择")
    child.sendline("排除后重算")
    child.expect("排除教师工号（多个用逗号分隔）")
    child.sendline(first)
    child.expect("审批人")
    child.sendline("王科长")
    child.expect("意见")
    child.sendline("")

    # the run solves again and waits a second time, without the excluded teacher
    child.expect("审批结果：")
    child.expect("请选择")
    second_proposal = transcript(tmp_path).split("意见:")[-1].split("审批结果：")[0]
    assert "教师挂职选派方案" in second_proposal and first not in second_proposal
    child.sendline("1")
    child.expect("审批人")
    child.sendline("王科长")
    child.expect("意见")
    child.sendline("同意")
    child.expect(r"即将发送通知 (\d+) 条")
    count = int(child.match.group(1))
    child.expect("教师 15 条")
    child.expect("是否现在发送")
    child.sendline("是")
    finish(child, tmp_path)

    with session_scope() as session:
        signed = session.get(SecondmentRound, YEAR)
    assert signed is not None and signed.approved_by == "王科长" and signed.comment == "同意"
    assert delivered() == count
    no_temporary_server(clerk_env)


def _seed_ideas_with_scores(profile: DistrictProfile) -> None:
    from tasks.ideas import intake, records, review
    from tasks.ideas.campaign import open_campaign
    from tasks.ideas.screening import Submission
    from tasks.samples.ideas import generate_ideas

    open_campaign(year=YEAR, start=date(YEAR, 9, 1))
    now = datetime(YEAR, 9, 5, 2, 0, tzinfo=UTC)
    communities = [c for s in profile.streets for c in s.communities]
    ids = []
    for s in generate_ideas(count=40, communities=communities, year=YEAR, seed=9):
        submission = Submission(
            submitter=s.submitter,
            phone=s.phone,
            community=s.community,
            title=s.title,
            content=s.content,
            ref=s.ref,
        )
        ack = intake.submit(year=YEAR, submission=submission, source="demo", now=now)
        ids.append(ack.id)
    records.screen_ids(ids=ids, now=now)
    with session_scope() as session:
        campaign = session.get(IdeaCampaign, YEAR)
        assert campaign is not None
        seed = campaign.seed
    _, policy = records.profile_and_policy()
    setup = review.prepare_review(year=YEAR, seed=seed)
    rows = review.generated_scores(setup=setup, seed=seed, policy=policy)
    review.record_scores(year=YEAR, setup=setup, rows=rows)


def test_ideas_review_approved_at_the_prompt(
    registry: DistrictProfile, clerk_env: dict[str, str], tmp_path: Path
) -> None:
    _seed_ideas_with_scores(registry)
    child = spawn(["ideas", "review", "--year", str(YEAR)], clerk_env, tmp_path)

    child.expect(f"{YEAR}年度金点子评审排名")
    child.expect("界面地址：http://")
    child.expect("审批结果：1. 批准  2. 退回\r\n")  # its own form: no exclusion here
    child.expect("请选择")
    child.sendline("批准")
    child.expect("审批人")
    child.sendline("李经办")
    child.expect("意见")
    child.sendline("同意公布")
    child.expect("金点子提交人")
    child.expect("是否现在发送")
    child.sendline("是")
    text = finish(child, tmp_path)

    assert "排除" not in text
    with session_scope() as session:
        assert session.exec(select(IdeaResult)).first() is not None
    no_temporary_server(clerk_env)


def test_awards_refused_strike_then_approved_at_the_prompt(
    registry: DistrictProfile, clerk_env: dict[str, str], tmp_path: Path
) -> None:
    from deployments.demo.awards import _store_sample

    _store_sample(YEAR)
    child = spawn(["awards", "--year", str(YEAR), "--start", f"{YEAR}-12-01"], clerk_env, tmp_path)

    child.expect(f"{YEAR}年度学习型组织评选拟表彰名单")
    child.expect("界面地址：http://")
    child.expect("审定结果：1. 批准  2. 删除提名后重排  3. 增列提名后重排")
    child.expect("请选择")
    child.sendline("2")
    child.expect("提名编号")
    child.sendline("无此编号")
    child.expect("理由")
    child.sendline("材料不实")
    child.expect("审定人")
    child.sendline("评审委员会")
    child.expect("意见")
    child.sendline("")

    # the committee named no nomination of the list: nothing changes, it is asked again
    child.expect("上次审定未执行：提名编号 无此编号 不在名单中")
    child.expect("请选择")
    child.sendline("1")
    child.expect("审定人")
    child.sendline("评审委员会")
    child.expect("意见")
    child.sendline("同意公示")
    child.expect("是否现在发送")
    child.sendline("是")
    text = finish(child, tmp_path)

    assert "学习型家庭：" in text
    assert delivered() > 5
    no_temporary_server(clerk_env)


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found += [int(entry.name), *_descendants(int(entry.name))]
    return found


def _running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def waiting_secondment(
    registry: DistrictProfile, clerk_env: dict[str, str], tmp_path: Path
) -> Iterator[pexpect.spawn]:
    seed_roster(registry, count=150, seed=3)
    child = spawn(["secondment", "--year", str(YEAR)], clerk_env, tmp_path)
    child.expect("请选择")
    yield child
    if _running(child.pid):  # the test failed before the command ended
        os.kill(child.pid, signal.SIGKILL)


def test_closing_the_terminal_mid_wait_leaves_no_process(
    waiting_secondment: pexpect.spawn,
) -> None:
    child = waiting_secondment
    processes = [child.pid, *_descendants(child.pid)]
    assert len(processes) > 1, "the command started the data dir's Prefect server"

    os.close(child.child_fd)  # the terminal window closes: the kernel hangs up the session
    deadline = time.monotonic() + 60
    while any(map(_running, processes)) and time.monotonic() < deadline:
        time.sleep(0.2)

    assert [p for p in processes if _running(p)] == []
    _, status = os.waitpid(child.pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + 1  # SIGHUP, cleaned up
    with session_scope() as session:
        assert session.get(SecondmentRound, YEAR) is None  # nothing signed off, nothing written


def test_calendar_plan_signed_off_at_the_prompt_sends_nothing_ahead(
    registry: DistrictProfile, clerk_env: dict[str, str], tmp_path: Path
) -> None:
    # planned on 1 December for the next year: signed off here, and nothing is due yet
    args = ["calendar", "plan", "--year", str(YEAR + 1), "--today", f"{YEAR}-12-01"]
    child = spawn(args, clerk_env, tmp_path)

    child.expect(f"{YEAR + 1}年社区教育年度安排（待审批）")
    child.expect("界面地址：http://")
    child.expect("审批结果：1. 批准  2. 退回\r\n")
    child.expect("请选择")
    child.sendline("批准")
    child.expect("审批人")
    child.sendline("李经办")
    child.expect("意见")
    child.sendline("同意")
    text = finish(child, tmp_path)

    assert "已批准" in text and "是否现在发送" not in text
    with session_scope() as session:
        stored = session.get(CalendarYear, YEAR + 1)
        assert stored is not None
        assert session.exec(select(OutboxMessage)).first() is None  # signed off, nothing sent
    no_temporary_server(clerk_env)


@pytest.mark.parametrize(
    ("how", "status"),
    [("ctrl-c", None), ("sigterm", 128 + signal.SIGTERM)],
    ids=["ctrl-c", "sigterm"],
)
def test_interrupting_the_wait_leaves_no_process(
    waiting_secondment: pexpect.spawn, tmp_path: Path, how: str, status: int | None
) -> None:
    child = waiting_secondment
    processes = [child.pid, *_descendants(child.pid)]
    assert len(processes) > 1, "the command started the data dir's Prefect server"

    if how == "ctrl-c":
        child.sendintr()  # the terminal's interrupt character: SIGINT to the foreground group
    else:
        os.kill(child.pid, signal.SIGTERM)
    child.expect(pexpect.EOF, timeout=60)
    child.close()

    assert [p for p in processes if _running(p)] == []
    assert child.exitstatus is not None and child.exitstatus != 0
    if status is not None:
        assert child.exitstatus == status
    assert "Traceback" not in transcript(tmp_path)
    with session_scope() as session:
        assert session.get(SecondmentRound, YEAR) is None  # nothing signed off, nothing written
