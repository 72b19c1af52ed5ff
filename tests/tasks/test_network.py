"""The district network (R2-R6, R8.3): the three import kinds, the rollout check, the report."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import SQLModel, select

from models.audit import Decision
from models.db import session_scope
from models.network import BaseVenue, CommunitySchool, RolloutTask, TeamMember
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.volunteers import Volunteer
from tasks.importing.community_schools import import_community_schools_file
from tasks.importing.network import (
    import_bases_file,
    import_team_file,
)
from tasks.importing.reading import ImportRejected
from tasks.importing.template import write_template
from tasks.network.records import network_report, rollout_check
from tasks.network.reports import network_markdown, write_network_xlsx

BASES = "基地,类型,街道,场地,容纳人数\n"
TEAM = "年度,编号,姓名,队伍,层级,街道,社区,单位,专职,背景\n"
SCHOOLS = "街道,名称,承办学校,开办日期,达标日期\n"
PILOTS = (
    "嘉兴路街道,嘉兴路街道社区学校,人民路第一小学,2026-09-01,\n"
    "洛阳路街道,洛阳路街道社区学校,洛阳路第二小学,2026-09-01,\n"
    "海伦路街道,海伦路街道社区学校,区实验小学,2026-09-01,2027-06-30\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts() -> dict[str, int]:
    import models.tables  # noqa: F401  (every table)

    with session_scope() as session:
        return {
            t.name: session.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
        }


def rejected(path: Path, importer: object, **kwargs: object) -> str:
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        importer(path, **kwargs)  # type: ignore[operator]
    assert counts() == before  # nothing written
    assert str(path) in str(caught.value)
    return "\n".join(caught.value.problems)


# ------------------------------------------------------------------------------ bases


def test_bases_register_replaces_itself(registry: DistrictProfile, tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "bases.csv",
        BASES + "区老年大学,社区老年人教育基地,海伦路街道,多功能教室,80\n"
        "区老年大学,老年人教育基地,海伦路街道,书画室,30\n"
        "区委党校社区分校,社区党员教育基地,四川北路街道,报告厅,200\n",
    )
    again = write(
        tmp_path,
        "bases2.csv",
        BASES + "区老年大学,社区老年人教育基地,海伦路街道,多功能教室,90\n"
        "区委党校社区分校,社区党员教育基地,四川北路街道,报告厅,200\n",
    )

    stored = import_bases_file(first)
    replaced = import_bases_file(again)

    assert (stored.inserted, stored.groups) == (3, 2)
    assert (replaced.updated, replaced.unchanged, replaced.removed) == (1, 1, 1)
    with session_scope() as session:
        venues = {(v.base, v.venue): v.capacity for v in session.exec(select(BaseVenue))}
    assert venues == {("区老年大学", "多功能教室"): 90, ("区委党校社区分校", "报告厅"): 200}


def test_a_bad_bases_file_names_every_place(registry: DistrictProfile, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bases.csv",
        BASES + "区老年大学,社区老年人教育基地,海伦路街道,多功能教室,80\n"
        "区老年大学,社区少儿教育基地,海伦路街道,书画室,30\n"  # another kind for the same base
        "区老年大学,社区老年人教育基地,海伦路街道,多功能教室,60\n"  # the same venue twice
        "区少年宫,少年宫,洛阳路街道,舞蹈房,40\n"  # unknown kind
        "区社区管理学校,社区成人教育基地,嘉兴街道,教室,0\n",  # unknown street, no seats
    )

    text = rejected(path, import_bases_file)

    assert "第3行「类型」列：“区老年大学”在第2行的类型不同" in text
    assert "第4行「场地」列：“区老年大学”的场地“多功能教室”已在第2行" in text
    assert "第5行「类型」列：“少年宫”不是基地类型" in text
    assert "第6行「街道」列：“嘉兴街道”不是区情配置中的街道（是否为“嘉兴路街道”？）" in text
    assert "第6行「容纳人数」列：0人不在1至100,000之间" in text


# ------------------------------------------------------------------------------ teams


def test_team_upserts_by_year_and_number(registry: DistrictProfile, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "team.csv",
        TEAM + "2026,M1,王芳,管理者,街道,嘉兴路街道,,嘉兴路街道办事处,是,\n"
        "2026,M2,李强,管理者,社区,嘉兴路街道,嘉兴一居委,嘉兴一居委,否,\n"
        "2026,C1,周敏,辅导员,街道,洛阳路街道,,洛阳路街道,,\n"
        "2026,R1,赵德明,理论研究组,区,,,区教育局,否,部门抽调\n",
    )

    first = import_team_file(path, year=2026)
    again = import_team_file(path, year=2026)

    assert (first.inserted, again.unchanged) == (4, 4)
    with session_scope() as session:
        members = {m.person_id: m for m in session.exec(select(TeamMember))}
    assert members["M1"].dedicated and members["M1"].level == "street"
    assert members["R1"].team == "researcher" and members["R1"].street == ""


def test_a_bad_team_file_names_every_place(registry: DistrictProfile, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "team.csv",
        TEAM + "2026,M1,王芳,管理者,街道,,,,是,\n"  # a street-level person without a street
        "2026,R1,赵德明,理论研究组,街道,嘉兴路街道,,,,专家\n"  # the group is district level
        "2026,C1,周敏,辅导员,社区,嘉兴路街道,洛阳一居委,,,\n"  # community of another street
        "2026,C1,吴静,辅导员,街道,嘉兴路街道,,,,\n"  # number taken
        "2025,C2,孙立,园丁,街道,嘉兴路街道,,,,\n",  # another year, unknown team
    )

    text = rejected(path, import_team_file, year=2026)

    assert "第2行「街道」列：街道级人员须填写所在街道" in text
    assert "第3行「层级」列：理论研究组为区级队伍，层级应为区" in text
    assert "第4行「社区」列：“洛阳一居委”不是嘉兴路街道的社区" in text
    assert "第5行「编号」列：“C1”已在第4行" in text
    assert "第6行「年度」列：2025不是本次导入的年度（2026）" in text
    assert "第6行「队伍」列：“园丁”不是队伍（可填：管理者、辅导员、理论研究组）" in text


# ------------------------------------------------------------------------------ schools


def test_community_schools_upsert_by_street(registry: DistrictProfile, tmp_path: Path) -> None:
    import_community_schools_file(write(tmp_path, "s.csv", SCHOOLS + PILOTS))
    later = write(
        tmp_path,
        "s2.csv",
        SCHOOLS + "嘉兴路街道,嘉兴路街道社区学校,人民路第一小学,2026-09-01,2028-05-20\n",
    )

    summary = import_community_schools_file(later)

    assert summary.updated == 1
    with session_scope() as session:
        schools = {s.street: s for s in session.exec(select(CommunitySchool))}
    assert len(schools) == 3 and schools["嘉兴路街道"].standard_on == date(2028, 5, 20)


def test_a_bad_community_school_file_names_every_place(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "s.csv",
        SCHOOLS + "嘉兴路街道,甲,洛阳路第二小学,2026-09-01,\n"  # host in another street
        "洛阳路街道,乙,洛阳中学,2026-09-01,\n"  # not a primary school
        "海伦路街道,丙,区实验小学,2026-09-01,2026-03-01\n"  # standard before opening
        "海伦路街道,丁,海伦路小学,2026-02-30,\n",  # the street twice, no such day
    )

    text = rejected(path, import_community_schools_file)

    assert "第2行「承办学校」列：“洛阳路第二小学”在洛阳路街道，不在嘉兴路街道" in text
    assert "第3行「承办学校」列：“洛阳中学”不是小学" in text
    assert "第4行「达标日期」列：达标日期早于开办日期" in text
    assert "第5行「街道」列：“海伦路街道”已在第4行" in text
    assert "第5行「开办日期」列：“2026-02-30”不是日期" in text


@pytest.mark.parametrize("kind", ["bases", "team", "community_schools"])
def test_the_template_has_the_chinese_headers_the_importer_reads(
    kind: str, registry: DistrictProfile, tmp_path: Path
) -> None:
    rows = {
        "bases": ["区老年大学", "社区老年人教育基地", "海伦路街道", "多功能教室", "80"],
        "team": ["2026", "M9", "王芳", "管理者", "区", "", "", "区教育局", "是", ""],
        "community_schools": ["江湾镇街道", "江湾镇街道社区学校", "江湾镇小学", "2028-09-01", ""],
    }
    importers: dict[str, Callable[[Path], Any]] = {
        "bases": import_bases_file,
        "team": lambda p: import_team_file(p, year=2026),
        "community_schools": import_community_schools_file,
    }
    book = load_workbook(write_template(kind, tmp_path / f"{kind}.xlsx"))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert all(re.search(r"[\u4e00-\u9fff]", str(h)) for h in headers)
    sheet.append(rows[kind])
    book.save(tmp_path / "filled.xlsx")

    summary = importers[kind](tmp_path / "filled.xlsx")

    assert summary.inserted == 1


# ------------------------------------------------------------------------------ rollout


def messages(kind: str) -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


def test_the_yearly_check_opens_reminds_and_closes(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    import_community_schools_file(write(tmp_path, "pilots.csv", SCHOOLS + PILOTS))

    first = rollout_check(year=2027, today=date(2027, 1, 15))
    again = rollout_check(year=2027, today=date(2027, 1, 15))

    opened = {a.street for a in first.actions if a.kind == "open"}
    assert opened == {"四川北路街道", "欧阳路街道"}  # the plan's 2027 streets
    assert again.actions == [] and again.messages == 0  # nothing twice
    (notice,) = [m for m in messages("rollout-open") if m.audience == "street-四川北路街道"]
    assert "请于2027年9月1日前设立四川北路街道社区学校" in notice.title
    assert "四川北路小学" in notice.body  # the primary school it can be hosted by
    assert "山阴路中学" not in notice.body  # not a primary school
    assert not re.search(r"\d{4}-\d{2}-\d{2}|R\d", notice.title + notice.body)
    assert first.due_by_year_end == 5 and first.open_by_year_end == 3

    import_community_schools_file(
        write(
            tmp_path,
            "sc.csv",
            SCHOOLS + "四川北路街道,四川北路街道社区学校,四川北路小学,2027-09-01,\n",
        )
    )
    later = rollout_check(year=2028, today=date(2028, 1, 12))

    kinds = {(a.street, a.kind) for a in later.actions}
    assert ("四川北路街道", "done") in kinds
    assert ("欧阳路街道", "overdue") in kinds  # due 1 September 2027, still nothing
    assert {s for s, k in kinds if k == "open"} == {"曲阳路街道", "广中路街道", "江湾镇街道"}
    (late,) = messages("rollout-overdue")
    assert late.audience == "street-欧阳路街道" and "2027年9月1日" in late.body
    with session_scope() as session:
        tasks = {t.street: t for t in session.exec(select(RolloutTask))}
        decision = session.exec(
            select(Decision).where(
                Decision.subject == "欧阳路街道", Decision.kind == "rollout-overdue"
            )
        ).one()
    assert tasks["四川北路街道"].status == "done" and tasks["欧阳路街道"].reminders == 1
    assert decision.rule == "R8.3" and "尚未登记" in decision.reason and decision.inputs_digest

    standard = rollout_check(year=2029, today=date(2029, 1, 10))

    reminded = {a.street for a in standard.actions if a.kind == "standard"}
    assert reminded == {"嘉兴路街道", "洛阳路街道"}  # 海伦路 reached the standard in 2027
    assert "【街道社区学校】请推进嘉兴路街道社区学校达到标准化要求" in {
        m.title for m in messages("rollout-standard")
    }


def test_no_plan_opens_nothing(db: Path) -> None:
    from models.profile.loading import default_profile_text, parse_profile
    from tasks.common.district import sync_registry

    text = default_profile_text().replace("    plan:  #", "    plan: {}  #", 1)
    text = re.sub(r"\n      \S+街道: 20\d\d", "", text)
    with session_scope() as session:
        sync_registry(session, profile=parse_profile(text), text=text, source="test")

    report = rollout_check(year=2027, today=date(2027, 1, 15))

    assert report.actions == [] and report.plan == [] and report.due_by_year_end == 0


# ------------------------------------------------------------------------------ the report


def test_registry_report_counts_every_team_per_street(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    import_community_schools_file(write(tmp_path, "s.csv", SCHOOLS + PILOTS))
    import_bases_file(
        write(tmp_path, "b.csv", BASES + "区老年大学,社区老年人教育基地,海伦路街道,教室,80\n")
    )
    import_team_file(
        write(
            tmp_path,
            "t.csv",
            TEAM + "2026,M1,王芳,管理者,街道,嘉兴路街道,,,是,\n"
            "2026,C1,周敏,辅导员,街道,嘉兴路街道,,,,\n"
            "2026,R1,赵德明,理论研究组,区,,,区教育局,,专家\n",
        ),
        year=2026,
    )
    with session_scope() as session:
        session.add(
            Volunteer(year=2026, person_id="V1", name="李", role="volunteer", street="嘉兴路街道")
        )
        session.add(
            Volunteer(year=2026, person_id="L1", name="钱", role="lecturer", street="海伦路街道")
        )

    report = network_report(year=2026)

    streets = {row.street: row for row in report.streets}
    jiaxing = streets["嘉兴路街道"]
    assert (jiaxing.teams.managers, jiaxing.teams.counsellors, jiaxing.teams.volunteers) == (
        1,
        1,
        1,
    )
    assert jiaxing.community_school == "嘉兴路街道社区学校" and jiaxing.primary_schools == 2
    assert streets["海伦路街道"].bases == 1 and streets["江湾镇街道"].community_school == ""
    assert report.teams.researchers == 1 and report.teams.teams_formed == 5
    assert report.teams.assistants == 0  # nobody seconded in this test
    assert report.dedicated_streets == ["嘉兴路街道"]
    assert report.base_kinds["社区老年人教育基地"] == 1
    markdown = network_markdown(report)
    assert "三级网络：区—8个街道—25个社区（居委）" in markdown
    assert "尚无：社区党员教育基地、社区成人教育基地、社区少儿教育基地" in markdown
    book = load_workbook(write_network_xlsx(report, tmp_path / "n.xlsx"))
    assert book.sheetnames == ["各街道", "教育基地", "五支队伍"]
    cells = [c.value for row in book["各街道"].iter_rows() for c in row]
    assert all(street.name in cells for street in registry.streets)
    assert book["五支队伍"]["A1"].value == "示例区2026年度社区教育网络登记表（五支队伍）"


def test_a_task_opened_late_is_reminded_from_the_next_year(registry: DistrictProfile) -> None:
    # the pilots were due on 1 September 2026 and the first check runs in 2027
    opened = rollout_check(year=2027, today=date(2027, 1, 15))
    later_that_year = rollout_check(year=2027, today=date(2027, 10, 8))
    next_year = rollout_check(year=2028, today=date(2028, 1, 12))

    late = {a.street for a in opened.actions if a.kind == "open" and a.due_on.year == 2026}
    assert late == {"嘉兴路街道", "洛阳路街道", "海伦路街道"}
    (notice,) = [m for m in messages("rollout-open") if m.audience == "street-嘉兴路街道"]
    assert "2026年9月1日" in notice.title  # it says at once that it is late
    # the 2027 streets are overdue by October; the pilots were told in January
    assert {a.street for a in later_that_year.actions} == {"四川北路街道", "欧阳路街道"}
    assert {a.street for a in next_year.actions if a.kind == "overdue"} >= late
