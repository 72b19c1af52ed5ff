"""Awards on a real database: list + 公示 over holidays, objections, promotion, final, re-runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models.audit import Decision
from models.awards import AwardEntry, Nomination
from models.db import session_scope
from models.outbox import OutboxMessage
from models.params.awards import AwardsParameters
from models.profile.schema import DistrictProfile
from tasks.awards import final_list, objections, records
from tasks.awards.rules import NothingToList, propose
from tasks.importing.awards import import_nominations_file, import_scores_file
from tasks.importing.reading import ImportRejected
from tasks.samples.awards import generate_nominations, generate_scores

YEAR = 2026


def seed_year(profile: DistrictProfile, per_category: int = 7) -> None:
    noms = generate_nominations(profile, year=YEAR, per_category=per_category, seed=11)
    scores = generate_scores(profile, noms, seed=11)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
    from models.awards import AwardScore

    with session_scope() as session:
        for s in scores:
            session.add(AwardScore(**s.model_dump()))


def approve(start: date) -> None:
    rules = records.resolve_rules(AwardsParameters(year=YEAR))
    noms, scores = records.load_inputs(YEAR)
    proposal = propose(noms, scores, rules=rules)
    records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=start
    )


def messages() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.exec(select(OutboxMessage)).all())


def entries() -> dict[str, AwardEntry]:
    with session_scope() as session:
        return {e.ref: e for e in session.exec(select(AwardEntry)).all()}


def test_publicity_skips_holidays_and_objections_promote_the_next_in_rank(
    registry: DistrictProfile, db: Path
) -> None:
    seed_year(registry)
    approve(date(2026, 9, 29))  # 5 working days across National Day (10-01..10-07)
    listed = [e for e in entries().values() if e.status == "listed"]
    assert len(listed) == 5 * 6  # quotas exact
    assert {e.publicity_end for e in listed} == {date(2026, 10, 10)}
    offices = sum(1 + len(s.communities) for s in registry.streets)
    assert len([m for m in messages() if m.kind == "publicity"]) == offices

    family = sorted((e for e in listed if e.category == "family"), key=lambda e: e.rank or 0)
    reserve = min(
        (e for e in entries().values() if e.category == "family" and e.status == "reserve"),
        key=lambda e: e.rank or 0,
    )
    kept = objections.file_objection(
        year=YEAR,
        ref=family[0].ref,
        objector="王建国",
        content="活动材料有重复",
        today=date(2026, 9, 30),
    )
    upheld = objections.file_objection(
        year=YEAR,
        ref=family[1].ref,
        objector="李秀英",
        content="不在本社区居住",
        today=date(2026, 9, 30),
    )
    again = objections.file_objection(
        year=YEAR,
        ref=family[1].ref,
        objector="李秀英",
        content="不在本社区居住",
        today=date(2026, 9, 30),
    )
    assert again["already_recorded"] and again["id"] == upheld["id"]
    with pytest.raises(records.AwardsError, match="实名"):
        objections.file_objection(
            year=YEAR, ref=family[0].ref, objector=" ", content="x", today=date(2026, 9, 30)
        )
    assert final_list.finalise(year=YEAR, today=date(2026, 10, 12))["status"] == "publicity"

    dismissed = objections.rule_objection(
        objection_id=kept["id"],
        decision="dismiss",
        ruling="经核实材料属实",
        operator="主任",
        today=date(2026, 10, 9),
    )
    assert dismissed["promoted"] is None
    before = {m.key for m in messages()}
    outcome = objections.rule_objection(
        objection_id=upheld["id"],
        decision="uphold",
        ruling="经核实不符合条件",
        operator="主任",
        today=date(2026, 10, 9),
    )
    assert outcome["promoted"] == reserve.ref
    now = entries()
    assert now[family[1].ref].status == "withdrawn"
    promoted = now[reserve.ref]
    assert promoted.status == "listed" and promoted.promoted_from == family[1].ref
    # its own short 公示: 3 working days from the next working day (10-10 is a make-up day)
    assert (promoted.publicity_start, promoted.publicity_end) == (
        date(2026, 10, 10),
        date(2026, 10, 13),
    )
    new = [m for m in messages() if m.key not in before]
    assert {m.kind for m in new} == {f"promotion-{reserve.ref}", "ruling"}
    # the others' 公示 is not re-run
    assert all(
        e.publicity_end == date(2026, 10, 10)
        for e in now.values()
        if e.status == "listed" and e.ref != reserve.ref
    )
    # ruling twice: nothing new
    objections.rule_objection(
        objection_id=upheld["id"],
        decision="dismiss",
        ruling="x",
        operator="",
        today=date(2026, 10, 9),
    )
    assert len(messages()) == len(before) + len(new)

    assert final_list.finalise(year=YEAR, today=date(2026, 10, 13))["status"] == "publicity"
    final = final_list.finalise(year=YEAR, today=date(2026, 10, 14))
    assert final["status"] == "final" and final["winners"] == 30
    book = load_workbook(final["export"])
    assert book.sheetnames == [
        "学习型小区",
        "学习型机关",
        "学习型企业",
        "学习型楼院",
        "学习型家庭",
        "学习带头人",
    ]
    family_sheet = book["学习型家庭"]
    results = [row[8].value for row in family_sheet.iter_rows(min_row=4)]  # title, note, header
    assert results.count("表彰") + results.count("递补表彰") == 5 and "撤销" in results
    assert {Path(d["path"]).name for d in final["documents"]} == {
        "awards-publicity-2026.docx",
        "awards-commendation-2026.docx",
        "awards-2026.xlsx",
    }
    count = len(messages())
    assert final_list.finalise(year=YEAR, today=date(2026, 10, 20))["already_final"]
    assert len(messages()) == count
    final_result = records.round_result(YEAR)
    assert final_result is not None and final_result.status == "final"
    reports = final_list.category_reports(YEAR)
    assert set(reports) == {
        "residential_area",
        "agency",
        "enterprise",
        "building",
        "family",
        "leader",
    }
    assert "撤销" in reports["family"]


def test_approving_twice_writes_nothing(registry: DistrictProfile, db: Path) -> None:
    seed_year(registry, per_category=3)
    approve(date(2026, 5, 6))
    count = len(messages())
    approve(date(2026, 5, 7))
    assert len(messages()) == count


def test_import_nominations_and_scores_whole_file(
    registry: DistrictProfile, db: Path, tmp_path: Path
) -> None:
    good = tmp_path / "n.csv"
    good.write_text(
        "年度,类别,编号,名称,街道,社区,推荐单位,活动场次\n"
        "2026,学习型小区,XQ-1,香烟桥小区,嘉兴路街道,香烟桥居委,嘉兴路街道办事处,20\n"
        "2026,family,JT-1,王芳家庭,洛阳路街道,洛阳一居委,,\n",
        encoding="utf-8",
    )
    assert import_nominations_file(good, year=YEAR).inserted == 2
    assert import_nominations_file(good, year=YEAR).unchanged == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "年度,类别,编号,名称,街道,社区\n"
        "2026,学习型公园,XQ-2,某处,嘉兴路街道,\n"
        "2026,学习型小区,XQ-1,某处,嘉兴路街道,洛阳一居委\n"
        "2026,学习型小区,XQ-1,某处,外区街道,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as exc:
        import_nominations_file(bad, year=YEAR)
    text = "\n".join(exc.value.problems)
    assert "第2行「类别」列" in text
    assert "第3行「社区」列" in text
    assert "第4行「街道」列" in text and "第4行「编号」列" in text
    scores = tmp_path / "s.csv"
    scores.write_text(
        "年度,编号,评委,组织保障,活动开展,群众参与,工作成效\n"
        "2026,XQ-1,评委乙,80,70,90,85\n"
        "2026,XQ-9,评委乙,80,70,90,85\n"
        "2026,XQ-1,评委子,80,70,90,185\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as exc:
        import_scores_file(scores, year=YEAR)
    text = "\n".join(exc.value.problems)
    assert "第3行「编号」列" in text and "第4行「评委」列" in text and "第4行「工作成效」列" in text
    scores.write_text(
        "年度,编号,评委,组织保障,活动开展,群众参与,工作成效\n2026,XQ-1,评委乙,80,70,90,85\n",
        encoding="utf-8",
    )
    assert import_scores_file(scores, year=YEAR).inserted == 1


def test_a_year_without_nominations_sends_no_empty_publicity(
    registry: DistrictProfile, db: Path
) -> None:
    with pytest.raises(NothingToList, match="没有任何提名.*未公示，未向任何单位发送消息"):
        approve(date(2026, 12, 1))

    assert messages() == [] and entries() == {}
    assert records.round_result(YEAR) is None


def test_a_final_list_of_nobody_is_refused_and_sends_nothing(
    registry: DistrictProfile, db: Path
) -> None:
    seed_year(registry, per_category=1)  # one nomination per category: no reserve anywhere
    approve(date(2026, 12, 1))
    listed = [e for e in entries().values() if e.status == "listed"]
    for entry in listed:
        objection = objections.file_objection(
            year=YEAR,
            ref=entry.ref,
            objector="王建国",
            content="不符合条件",
            today=date(2026, 12, 2),
        )
        ruled = objections.rule_objection(
            objection_id=objection["id"],
            decision="uphold",
            ruling="经核实不符合条件",
            operator="评审委员会",
            today=date(2026, 12, 3),
        )
        assert ruled["promoted"] is None
    before = len(messages())

    with pytest.raises(records.AwardsError, match="没有任何对象.*未定稿，未发送任何消息"):
        final_list.finalise(year=YEAR, today=date(2026, 12, 31))

    assert len(messages()) == before
    result = records.round_result(YEAR)
    assert result is not None and result.status == "publicity"


def test_the_final_list_says_what_the_objections_came_to(
    registry: DistrictProfile, db: Path
) -> None:
    seed_year(registry)
    approve(date(2026, 12, 1))
    family = sorted(
        (e for e in entries().values() if e.status == "listed" and e.category == "family"),
        key=lambda e: e.rank or 0,
    )
    for entry, decision in ((family[0], "uphold"), (family[1], "dismiss")):
        objection = objections.file_objection(
            year=YEAR, ref=entry.ref, objector="李秀英", content="情况不实", today=date(2026, 12, 2)
        )
        objections.rule_objection(
            objection_id=objection["id"],
            decision=decision,
            ruling="经核实",
            operator="评审委员会",
            today=date(2026, 12, 3),
        )
    final_list.finalise(year=YEAR, today=date(2026, 12, 31))

    finals = [m for m in messages() if m.kind == "final-street"]
    assert finals and all("无异议" not in m.body for m in finals)
    assert all("实名异议2件" in m.body and "1件成立" in m.body for m in finals)
    rulings = [m for m in messages() if m.kind == "ruling"]
    assert len(rulings) == 2 and all("李秀英" not in m.title + m.body for m in rulings)
    with session_scope() as session:
        reasons = {
            d.subject: d.reason
            for d in session.exec(select(Decision).where(Decision.kind == "awarded")).all()
        }
    assert "异议经核实不成立" in reasons[family[1].ref]
    assert reasons[family[2].ref].startswith("公示期满无异议")
