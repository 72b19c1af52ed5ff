"""Each process's documents say what was decided: read back from the Word files and workbooks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from models.awards import AwardEntry, AwardScore, Nomination
from models.db import session_scope
from models.params.awards import AwardsParameters
from models.params.calendar import CalendarParameters
from models.profile.schema import DistrictProfile
from models.secondment import Teacher
from tasks.awards import final_list, objections
from tasks.awards import records as awards_records
from tasks.awards.reports import publicity_documents
from tasks.awards.rules import propose
from tasks.calendar import plan
from tasks.calendar import records as calendar_records
from tasks.calendar.reports import write_calendar_notice
from tasks.calendar.scheduling import solve_schedule
from tasks.common.documents import zh_date
from tasks.common.holidays import current_work_calendar
from tasks.samples.awards import generate_nominations, generate_scores
from tasks.secondment.records import load_roster, record_approval
from tasks.secondment.replacement import decline_and_replace
from tasks.secondment.reports import secondment_documents
from tasks.secondment.rules import SecondmentRules
from tasks.secondment.solver import select_candidates
from tests.factories import seed_roster


def text_of(path: str | Path) -> str:
    document = Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def rows(path: str | Path, sheet: str) -> list[list[object]]:
    """The data rows of a table sheet (under its title, note and header)."""
    book = load_workbook(path)[sheet]
    header = next(r[0].row for r in book.iter_rows() if r[1].value is not None)
    return [[c.value for c in r] for r in book.iter_rows(min_row=header + 1)]


def teacher_names() -> dict[str, str]:
    with session_scope() as session:
        return {t.staff_id: t.name for t in session.exec(select(Teacher)).all()}


def test_the_secondment_notice_and_workbook(registry: DistrictProfile, db: Path) -> None:
    seed_roster(registry, count=150, seed=8)
    rules = SecondmentRules(year=2026, quotas=registry.secondment_quotas())
    proposal = select_candidates(load_roster(), rules=rules)
    record_approval(proposal=proposal, rules=rules, operator="t", comment="")

    notice, workbook = secondment_documents(2026)

    text = text_of(notice.path)
    assert Path(notice.path).parent == db / "reports" / "2026"
    assert "选派15名在职教师" in text and "嘉兴路街道、洛阳路街道和海伦路街道" in text
    assert all(p.name in text and p.school in text for p in proposal.placements)
    assert "为期1年" in text and "联系电话：021-65412380" in text
    # from the day the teachers' own messages give them to report by
    today = datetime.now(ZoneInfo(registry.timezone)).date()  # the day it was signed off
    start = current_work_calendar().add_working_days(today, registry.secondment.report_within_days)
    assert f"挂职自{zh_date(start)}起" in text and f"请于{zh_date(start)}前到挂职街道报到" in text
    assert "R10.2" not in text and "{{" not in text
    placed = rows(workbook.path, "选派名单")
    assert len(placed) == 15
    assert {r[2] for r in placed} == {p.staff_id for p in proposal.placements}
    refused = rows(workbook.path, "不符合条件")
    assert len(refused) == len(proposal.ineligible) > 0
    assert all(r[3] and "R10" not in str(r[3]) for r in refused)  # a reason, without rule codes

    first = proposal.placements[0]
    outcome = decline_and_replace(year=2026, staff_id=first.staff_id, reason="家中老人需要照顾")
    notice, workbook = secondment_documents(2026)

    everyone = teacher_names()
    text = text_of(notice.path)
    assert outcome.replacement is not None
    assert everyone[outcome.replacement] in text and everyone[first.staff_id] not in text
    assert "递补" in text and "家中老人" not in text  # the reason stays with the office
    declined = rows(workbook.path, "不能到岗")
    assert declined == [
        [first.name, first.staff_id, first.school, first.street, "家中老人需要照顾"]
    ]


def seed_awards(profile: DistrictProfile) -> None:
    noms = generate_nominations(profile, year=2026, per_category=6, seed=11)
    with session_scope() as session:
        for n in noms:
            session.add(Nomination(**n.model_dump()))
        for s in generate_scores(profile, noms, seed=11):
            session.add(AwardScore(**s.model_dump()))


def listed() -> list[AwardEntry]:
    with session_scope() as session:
        return list(session.exec(select(AwardEntry).where(AwardEntry.status == "listed")).all())


def test_the_publicity_notice_and_the_commendation(registry: DistrictProfile, db: Path) -> None:
    seed_awards(registry)
    assert publicity_documents(2026) == []  # nothing before the committee approved a list
    rules = awards_records.resolve_rules(AwardsParameters(year=2026))
    proposal = propose(*awards_records.load_inputs(2026), rules=rules)
    awards_records.record_approval(
        proposal=proposal, rules=rules, operator="评审委员会", comment="", start=date(2026, 9, 29)
    )

    notice, workbook = publicity_documents(2026)

    text = text_of(notice.path)
    on_notice = listed()
    assert len(on_notice) == 30 and all(e.name in text for e in on_notice)
    # 5 working days over National Day: 29-30 September, then 8-10 October
    assert "2026年9月29日至2026年10月10日，共5个工作日" in text
    assert "请于2026年10月10日17:00前以书面形式向区学习型城区建设领导小组办公室实名反映" in text
    assert "联系电话：021-65413017" in text and "示例区飞虹路518号" in text
    assert text.count("学习型家庭（5个）") == 1
    assert rows(workbook.path, "学习型家庭")[0][8] == "公示中"

    family = sorted((e for e in on_notice if e.category == "family"), key=lambda e: e.rank or 0)
    objection = objections.file_objection(
        year=2026, ref=family[0].ref, objector="李秀英", content="已迁出", today=date(2026, 9, 30)
    )
    objections.rule_objection(
        objection_id=objection["id"],
        decision="uphold",
        ruling="经核实已迁出",
        operator="评审委员会",
        today=date(2026, 9, 30),
    )
    final = final_list.finalise(year=2026, today=date(2026, 10, 14))

    paths = {Path(d["path"]).name: d["path"] for d in final["documents"]}
    commendation = text_of(paths["awards-commendation-2026.docx"])
    assert family[0].name not in commendation
    assert all(e.name in commendation for e in listed() if e.ref != family[0].ref)
    assert "共30个先进典型予以表彰" in commendation and "2026年10月14日" in commendation
    # the 公示 notice is the one published on its first day: the withdrawn nominee is on it
    assert family[0].name in text_of(paths["awards-publicity-2026.docx"])
    results = {r[1]: (r[8], r[9]) for r in rows(paths["awards-2026.xlsx"], "学习型家庭")}
    assert results[family[0].ref][0] == "撤销" and "异议成立" in str(results[family[0].ref][1])
    assert "递补表彰" in {result for result, _ in results.values()}


def test_the_calendar_notice(registry: DistrictProfile, db: Path) -> None:
    assert write_calendar_notice(2026, issued_on=date(2026, 1, 5)) == []  # not planned yet
    inputs = calendar_records.plan_inputs(CalendarParameters(year=2026), year=2026)
    schedule = solve_schedule(inputs.events, inputs.venues, rules=inputs.rules)
    plan.record_calendar(inputs=inputs, schedule=schedule)

    (notice,) = write_calendar_notice(2026, issued_on=date(2026, 1, 5))

    text = text_of(notice.path)
    assert "2026年9月1日至2026年9月30日为2026年社区教育宣传月" in text
    assert "2026年9月10日（教师节）为社区教育宣传日" in text
    for title in ("社区教育工作会议", "社区教育理论研讨会", "社区教育经验交流会"):
        assert text.count(title) == 1
    meetings, trainings = Document(notice.path).tables
    assert [len(meetings.rows), len(trainings.rows)] == [1 + 3, 1 + 4]  # header + one a row
    assert [r.cells[2].text for r in trainings.rows[1:]] == ["9:00—16:30"] * 4
    assert "2026年1月5日" in text and "区社区教育指导中心" in text
