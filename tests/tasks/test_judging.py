"""Scoring on the portal, on a real database: judges in, a round opened, scores, conflicts.

Judges are imported with their unit and street; opening the round gives every judge one link
in their message; a judge's page shows only their own items (never of their street or unit)
and only their own scores; a score outside the rubric is refused in Chinese naming the field;
after the deadline every form is refused; a declared conflict reassigns the item without ever
breaking recusal or the load limit; web scores are the rows `import scores` writes, and the
awards rank them exactly as the same scores imported.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from deployments.portal.app import create_app
from models.audit import Decision
from models.awards import AwardScore, Nomination
from models.db import session_scope
from models.judging import Judge, JudgeAssignment, ScoreDraft
from models.outbox import OutboxMessage
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from models.responses import ResponseLink
from tasks.audit.records import audit_year
from tasks.awards import records as awards
from tasks.awards.rules import nomination_keys, propose
from tasks.importing.awards import import_scores_file
from tasks.importing.judges import import_judges_file
from tasks.importing.reading import ImportRejected
from tasks.judging import conflicts, progress
from tasks.judging.records import members, open_round
from tasks.samples.awards import generate_nominations

YEAR = 2026
TODAY = date(2026, 11, 2)
DEADLINE = date(2026, 11, 20)
NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
AFTER = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # 21 November 00:30 in Shanghai
CRITERIA = ("organisation", "activities", "participation", "effect")
HEADERS = ["编号", "姓名", "单位", "街道", "类别/角色", "手机"]
JUDGES = [
    ["PW01", "李明", "区文明办", "嘉兴路街道", "评委", "13800138001"],
    ["PW02", "王芳", "区教育局", "洛阳路街道", "评委", "13800138002"],
    ["PW03", "张伟", "区图书馆", "海伦路街道", "评委", "13800138003"],
    ["PW04", "刘洋", "区文化馆", "四川北路街道", "评委", "13800138004"],
    ["PW05", "陈静", "区总工会", "欧阳路街道", "评委", ""],
    ["PW06", "杨帆", "区妇联", "曲阳路街道", "评委", ""],
    ["PW07", "赵磊", "区团委", "广中路街道", "评委", ""],
    ["PW08", "黄敏", "区科协", "江湾镇街道", "评委", ""],
    ["PS01", "周丽", "区社区学院", "嘉兴路街道", "评审", ""],
]


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


@pytest.fixture
def opened(registry: DistrictProfile, tmp_path: Path) -> DistrictProfile:
    import_judges_file(write_csv(tmp_path / "评委.csv", JUDGES))
    with session_scope() as session:
        for n in generate_nominations(registry, year=YEAR, per_category=3, seed=5):
            session.add(Nomination(**n.model_dump()))
    outcome = open_round(year=YEAR, deadline=DEADLINE, today=TODAY, now=NOW)
    assert outcome["opened"] is True
    return registry


def tokens() -> dict[str, str]:
    """Each judge's link token, from the message that told them (the database has no token)."""
    found: dict[str, str] = {}
    with session_scope() as session:
        for m in session.exec(select(OutboxMessage).where(OutboxMessage.flow == "judging")):
            match = re.search(r"/r/([A-Za-z0-9_-]{43})", m.body)
            if match and m.audience.startswith("judge-"):
                found[m.audience.removeprefix("judge-")] = match.group(1)
    return found


def assignments(status: str = "assigned") -> list[JudgeAssignment]:
    with session_scope() as session:
        rows = session.exec(select(JudgeAssignment).where(JudgeAssignment.status == status))
        return list(rows.all())


def roster() -> dict[str, tuple[str, frozenset[str]]]:
    """code -> (name, conflict keys) of every award judge."""
    with session_scope() as session:
        from tasks.common.district import active_profile

        found = members(session, active_profile(session))
    return {code: (m.name, m.conflicts) for code, m in found.items()}


def keys_of() -> dict[str, frozenset[str]]:
    nominations, _ = awards.load_inputs(YEAR)
    return {n.ref: nomination_keys(n) for n in nominations}


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"no hidden {name}"
    return found.group(1)


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def client(opened: DistrictProfile, clock: list[datetime]) -> Iterator[TestClient]:
    with TestClient(create_app(clock=lambda: clock[0])) as test_client:
        yield test_client


# --------------------------------------------------------------------------- import


def test_judges_are_imported_whole_or_not_at_all(registry: DistrictProfile, tmp_path: Path) -> None:
    bad = [
        ["PW01", "李明", "区文明办", "嘉兴街道", "评委", ""],
        ["PW02", "李明", "区教育局", "", "评委", ""],
        ["PW03", "王芳", "", "", "主任", "12345"],
    ]
    with pytest.raises(ImportRejected) as refused:
        import_judges_file(write_csv(tmp_path / "bad.csv", bad))
    text = str(refused.value)
    assert "第2行「街道」列：“嘉兴街道”不是区情配置中的街道" in text
    assert "第3行「姓名」列：“李明”已是编号为PW01的评委" in text  # a name is one judge
    assert "第4行「类别/角色」列：“主任”不是“评委”或“评审”" in text
    assert "第4行「手机」列" in text and "12345" not in text
    with session_scope() as session:
        assert session.exec(select(Judge)).all() == []

    summary = import_judges_file(write_csv(tmp_path / "ok.csv", JUDGES))
    assert (summary.rows, summary.inserted) == (len(JUDGES), len(JUDGES))
    again = import_judges_file(write_csv(tmp_path / "ok.csv", JUDGES))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(JUDGES))


# --------------------------------------------------------------------------- the round


def test_the_round_passes_the_audit_and_a_changed_assignment_is_named(
    opened: DistrictProfile,
) -> None:
    result = audit_year(YEAR)
    assert result.differences == []
    assert result.kinds["judging/judge_assigned"] == len({a.judge for a in assignments()})

    with session_scope() as session:
        row = session.exec(
            select(Decision).where(Decision.process == "judging", Decision.kind == "judge_assigned")
        ).first()
        assert row is not None and row.outcome is not None
        row.outcome = {**row.outcome, "refs": list(reversed(row.outcome["refs"]))[:-1]}
        session.add(row)
        subject = row.subject

    found = [(d.subject, d.kind, d.what) for d in audit_year(YEAR).differences]
    assert found == [(subject, "judge_assigned", "outcome")]


def test_every_judge_gets_one_link_and_never_an_item_of_their_street_or_unit(
    opened: DistrictProfile,
) -> None:
    judges, keys = roster(), keys_of()
    rows = assignments()
    assert rows
    for a in rows:
        assert not judges[a.judge][1] & keys[a.ref], (a.ref, a.judge)
    per_item = Counter(a.ref for a in rows)
    assert set(per_item.values()) == {3}  # k from the profile
    holders = {a.judge for a in rows}
    assert set(tokens()) == holders
    with session_scope() as session:
        assert len(session.exec(select(ResponseLink)).all()) == len(holders)
    assert "PS01" not in holders  # an idea reviewer does not judge awards
    loads = Counter(a.judge for a in rows)
    assert max(loads.values()) - min(loads.values()) <= 1

    again = open_round(year=YEAR, deadline=DEADLINE, today=TODAY)
    assert again["opened"] is False
    with session_scope() as session:
        assert len(session.exec(select(ResponseLink)).all()) == len(holders)


def test_a_judge_sees_their_items_the_rubric_and_no_other_judges_scores(
    client: TestClient,
) -> None:
    code, token = sorted(tokens().items())[0]
    judges, keys = roster(), keys_of()
    mine = {a.ref for a in assignments() if a.judge == code}
    other = next(a for a in assignments() if a.judge != code and a.ref in mine)
    with session_scope() as session:
        criteria = {"organisation": 77.7, "activities": 66.6, "participation": 55.5, "effect": 44.4}
        session.add(
            AwardScore(year=YEAR, ref=other.ref, judge=judges[other.judge][0], criteria=criteria)
        )

    reply = client.get(f"/r/{token}", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == f"/j/{token}"
    page = client.get(f"/j/{token}")
    assert page.status_code == 200
    text = page.text
    for ref in mine:
        assert f'id="item-{ref}"' in text
    shown = set(re.findall(r'id="item-([^"]+)"', text))
    assert shown == mine
    for ref in keys:
        if judges[code][1] & keys[ref]:
            assert f'id="item-{ref}"' not in text
    assert "77.7" not in text and "66.6" not in text
    for label in ("组织保障", "活动开展", "群众参与", "工作成效"):
        assert label in text
    assert "0至100分" in text and "2026年11月20日" in text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_draft_validation_submission_and_the_deadline(
    client: TestClient, clock: list[datetime]
) -> None:
    code, token = sorted(tokens().items())[0]
    name = roster()[code][0]
    refs = sorted(a.ref for a in assignments() if a.judge == code)
    page = client.get(f"/j/{token}").text
    csrf = hidden(page, "csrf")

    draft = {"csrf": csrf, "ref": refs[0], "action": "draft", "organisation": "80"}
    assert client.post(f"/j/{token}/score", data=draft).status_code == 200
    with session_scope() as session:
        saved = session.exec(select(ScoreDraft)).one()
        assert saved.values["organisation"] == "80" and saved.values["effect"] == ""
        assert session.exec(select(AwardScore)).all() == []

    wrong = {"csrf": csrf, "ref": refs[0], "action": "submit", "organisation": "120",
             "activities": "80", "participation": "80"}  # fmt: skip
    refused = client.post(f"/j/{token}/score", data=wrong)
    assert refused.status_code == 422
    assert "「组织保障」须在0至100分之间" in refused.text
    assert "「工作成效」未填写" in refused.text
    assert 'value="120"' in refused.text  # what was typed stays in the form
    with session_scope() as session:
        assert session.exec(select(AwardScore)).all() == []

    good = {"csrf": csrf, "ref": refs[0], "action": "submit", "organisation": "80",
            "activities": "75.5", "participation": "70", "effect": "90"}  # fmt: skip
    assert client.post(f"/j/{token}/score", data=good).status_code == 200
    for ref in refs[1:]:
        values = {"organisation": "60", "activities": "61", "participation": "62", "effect": "63"}
        client.post(f"/j/{token}/score", data={"csrf": csrf, "ref": ref, "action": "draft",
                                               **values})  # fmt: skip
    done = client.post(f"/j/{token}/all", data={"csrf": csrf})
    assert done.status_code == 200 and f"已提交{len(refs) - 1}项评分" in done.text
    with session_scope() as session:
        rows = session.exec(select(AwardScore).where(AwardScore.judge == name)).all()
        assert {r.ref for r in rows} == set(refs)
        assert session.exec(select(ScoreDraft)).all() == []
    changed = {**good, "effect": "95"}
    assert client.post(f"/j/{token}/score", data=changed).status_code == 200

    forged = client.post(f"/j/{token}/score", data={**changed, "csrf": "0" * 32})
    assert forged.status_code == 403

    clock[0] = AFTER
    late = client.post(f"/j/{token}/score", data={**changed, "effect": "10"})
    assert late.status_code == 410 and "评分已截止" in late.text
    assert client.get(f"/j/{token}").status_code == 410
    with session_scope() as session:
        row = session.exec(
            select(AwardScore).where(AwardScore.judge == name, AwardScore.ref == refs[0])
        ).one()
        assert row.criteria["effect"] == 95.0


def test_conflicts_reassign_within_recusal_and_the_load_limit(client: TestClient) -> None:
    links = tokens()
    judges, keys = roster(), keys_of()
    with session_scope() as session:
        from models.judging import JudgingRound

        limit = session.exec(select(JudgingRound)).one().load_limit
    declared = 0
    for code, token in sorted(links.items())[:3]:
        page = client.get(f"/j/{token}").text
        csrf = hidden(page, "csrf")
        empty = client.post(f"/j/{token}/conflict", data={"csrf": csrf, "ref": "x", "reason": ""})
        assert empty.status_code == 404
        for ref in sorted(a.ref for a in assignments() if a.judge == code)[:2]:
            missing = client.post(
                f"/j/{token}/conflict", data={"csrf": csrf, "ref": ref, "reason": " "}
            )
            assert missing.status_code == 422 and "请说明需要回避的原因" in missing.text
            reply = client.post(
                f"/j/{token}/conflict",
                data={"csrf": csrf, "ref": ref, "reason": "该小区为本人亲属所在小区"},
            )
            assert reply.status_code == 200 and "已登记您对" in reply.text
            assert f'id="item-{ref}"' not in reply.text
            declared += 1
            active = assignments()
            loads = Counter(a.judge for a in active)
            assert max(loads.values()) <= limit
            for a in active:
                assert not judges[a.judge][1] & keys[a.ref], (a.ref, a.judge)
            holders = [a.judge for a in active if a.ref == ref]
            assert code not in holders and len(holders) == len(set(holders))
    assert len(assignments("conflict")) == declared
    with session_scope() as session:
        kinds = Counter(d.kind for d in session.exec(select(Decision)).all())
        moved = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind.startswith("reassigned-"))  # type: ignore[attr-defined]
        ).all()
    assert kinds["conflict_declared"] == declared
    assert kinds["reassigned"] + sum(k.startswith("judge_shortage_") for k in kinds) == declared
    assert len(moved) == kinds["reassigned"] and all("/r/" in m.body for m in moved)
    result = progress.progress(YEAR, today=TODAY)
    assert sum(row["conflicts"] for row in result["judges"]) == declared
    assert conflicts.declared_pairs(YEAR)[0]["reason"] == "该小区为本人亲属所在小区"

    # each reassignment is re-derived from its candidates, loads and seed; a changed one is named
    audited = audit_year(YEAR)
    assert audited.differences == []
    moves = sum(n for k, n in audited.kinds.items() if k.startswith("judging/judge_shortage_"))
    assert audited.kinds.get("judging/reassigned", 0) + moves == declared
    assert audited.acts >= declared  # the declarations: the judges' own decisions
    with session_scope() as session:
        row = session.exec(
            select(Decision)
            .where(Decision.process == "judging", col(Decision.seed).is_not(None))
            .where(Decision.kind != "judge_assigned")
        ).first()
        assert row is not None and row.outcome is not None
        row.outcome = {**row.outcome, "judge": "PW99"}
        session.add(row)
        changed = (row.subject, row.kind)
    found = [(d.subject, d.kind, d.what) for d in audit_year(YEAR).differences]
    assert found == [(*changed, "outcome")]


def test_web_scores_rank_exactly_as_the_same_scores_imported(
    client: TestClient, tmp_path: Path
) -> None:
    judges = roster()
    for n, (code, token) in enumerate(sorted(tokens().items())):
        csrf = hidden(client.get(f"/j/{token}").text, "csrf")
        for i, ref in enumerate(sorted(a.ref for a in assignments() if a.judge == code)):
            values = {c: str(50 + (7 * n + 11 * i + 3 * k) % 50) for k, c in enumerate(CRITERIA)}
            reply = client.post(
                f"/j/{token}/score", data={"csrf": csrf, "ref": ref, "action": "submit", **values}
            )
            assert reply.status_code == 200
    rules = awards.resolve_rules(AwardsParameters(year=YEAR))
    web = propose(*awards.load_inputs(YEAR), rules=rules)
    with session_scope() as session:
        rows = session.exec(select(AwardScore)).all()
        lines = [
            [str(YEAR), r.ref, r.judge, *(f"{r.criteria[c]:g}" for c in CRITERIA)] for r in rows
        ]
        for r in rows:
            session.delete(r)
    headers = ["年度", "编号", "评委", "组织保障", "活动开展", "群众参与", "工作成效"]
    summary = import_scores_file(write_csv(tmp_path / "评分.csv", lines, headers))
    assert summary.inserted == len(lines) == sum(1 for _ in assignments())
    imported = propose(*awards.load_inputs(YEAR), rules=rules)
    assert web.entries == imported.entries and web.flagged == imported.flagged
    assert web.inputs_digest == imported.inputs_digest
    assert propose(*awards.load_inputs(YEAR), rules=rules) == imported  # a re-run: same list
    assert {judges[a.judge][0] for a in assignments()} <= {line[2] for line in lines}


# --------------------------------------------------------------------------- progress, deadline


def test_late_judges_are_reminded_on_working_days_before_the_deadline(
    opened: DistrictProfile,
) -> None:
    holders = {a.judge for a in assignments()}
    assert progress.stage_reminders(year=YEAR, today=date(2026, 11, 16), now=NOW) == []
    assert progress.stage_reminders(year=YEAR, today=date(2026, 11, 15), now=NOW) == []  # Sunday
    first = progress.stage_reminders(year=YEAR, today=date(2026, 11, 17), now=NOW)
    assert len(first) == len(holders)  # 3 working days before 20 November: nobody scored yet
    assert progress.stage_reminders(year=YEAR, today=date(2026, 11, 17), now=NOW) == []  # once
    with session_scope() as session:
        name = roster()["PW01"][0]
        for ref in (a.ref for a in assignments() if a.judge == "PW01"):
            criteria = dict.fromkeys(CRITERIA, 80.0)
            session.add(AwardScore(year=YEAR, ref=ref, judge=name, criteria=criteria))
    second = progress.stage_reminders(year=YEAR, today=date(2026, 11, 19), now=NOW)
    assert len(second) == len(holders) - 1  # PW01 is done
    with session_scope() as session:
        bodies = [m.body for m in session.exec(select(OutboxMessage)).all()
                  if m.kind.startswith("reminder-")]  # fmt: skip
    assert all("/r/" in body and "2026年11月20日前" in body for body in bodies)


def test_at_the_deadline_short_items_are_flagged_and_the_operator_asked(
    client: TestClient, clock: list[datetime]
) -> None:
    code, token = sorted(tokens().items())[0]
    before = progress.close_at_deadline(year=YEAR, today=DEADLINE)
    assert before["status"] == "open"  # the deadline's own day still counts
    after = progress.close_at_deadline(year=YEAR, today=date(2026, 11, 23))
    total = len({a.ref for a in assignments()})
    assert after["status"] == "due" and len(after["flagged"]) == total
    assert progress.close_at_deadline(year=YEAR, today=date(2026, 11, 24))["status"] == "due"
    with session_scope() as session:
        notice = session.exec(
            select(OutboxMessage).where(OutboxMessage.audience == "operator")
        ).one()
        short = [d for d in session.exec(select(Decision)).all() if d.kind.startswith("scores_")]
    assert "有效评分不足3份" in notice.body and len(short) == total
    shown = progress.progress(YEAR, today=date(2026, 11, 23))
    assert all(row["late"] == row["open"] == row["assigned"] for row in shown["judges"])

    clock[0] = AFTER
    assert client.get(f"/j/{token}").status_code == 410
    progress.extend(
        year=YEAR, deadline=date(2026, 11, 27), operator="李经办", today=date(2026, 11, 23)
    )
    assert client.get(f"/j/{token}").status_code == 200  # the links are open again
    assert progress.round_status(YEAR) == "open"
    progress.close_at_deadline(year=YEAR, today=date(2026, 11, 30))
    done = progress.proceed(year=YEAR, operator="李经办")
    assert done["status"] == "proceeded" and progress.round_status(YEAR) == "proceeded"
    with session_scope() as session:
        kinds = {d.kind for d in session.exec(select(Decision)).all()}
    assert {"deadline_extended", "proceeded"} <= kinds

    # both closings are re-derived from the scores they counted; a changed count is named
    audited = audit_year(YEAR)
    assert audited.differences == []
    assert audited.kinds["judging/scores_short_2026-11-27"] == total
    with session_scope() as session:
        row = session.exec(
            select(Decision).where(Decision.kind == "scores_short_2026-11-20")
        ).first()
        assert row is not None and row.outcome is not None
        row.outcome = {**row.outcome, "n_valid": 3}
        session.add(row)
        subject = row.subject
    found = [(d.subject, d.kind, d.what) for d in audit_year(YEAR).differences]
    assert found == [(subject, "scores_short_2026-11-20", "outcome")]
