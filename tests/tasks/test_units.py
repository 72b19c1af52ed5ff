"""Community units (R7.6): pledges imported, confirmed by the office, thanked, counted."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from deployments.cli.app import app
from models.db import session_scope
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from models.units import Pledge
from tasks.importing.pledges import import_pledges_file
from tasks.importing.reading import ImportRejected
from tasks.kpi.report import collect_kpis
from tasks.units.records import UnitsError, confirm_pledge, pledge_rows

HEADER = (
    "年度,编号,单位代码,单位名称,单位类别,街道,形式,内容,出资金额,服务时长,"
    "出借场地,场地容纳人数,承诺日期\n"
)
ROWS = (
    "2026,P0001,U001,示例科技有限公司,企业,嘉兴路街道,出钱,社区学校购置图书,5000,,,,2026-03-15\n"
    "2026,P0002,U001,示例科技有限公司,企业,嘉兴路街道,出力,,,40,员工活动室,50,2026-03-15\n"
    "2026,P0003,U002,区图书馆,事业单位,海伦路街道,出谋,开设家庭阅读指导讲座,,,,,2026-04-02\n"
)


def pledges_file(tmp_path: Path, rows: str = ROWS, name: str = "pledges.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def thanks() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.flow == "units")).all())


def test_confirmed_pledges_are_thanked_once_and_counted(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    summary = import_pledges_file(pledges_file(tmp_path), year=2026)
    assert summary.inserted == 3

    first = confirm_pledge(
        year=2026, ref="P0001", confirmed_by="王主任", note="图书已入库", today=date(2026, 4, 1)
    )
    again = confirm_pledge(year=2026, ref="P0001", confirmed_by="王主任", today=date(2026, 4, 9))
    confirm_pledge(year=2026, ref="P0002", confirmed_by="王主任", today=date(2026, 5, 6))

    assert first.changed and not again.changed and again.confirmed_on == date(2026, 4, 1)
    letters = thanks()
    assert [m.audience for m in letters] == ["unit-U001", "unit-U001"]  # one per pledge
    letter = letters[0]
    assert letter.title == "【感谢信】感谢示例科技有限公司支持社区教育"
    assert (
        "于2026年3月15日承诺" in letter.body
        and "出资人民币5,000元，用于社区学校购置图书" in letter.body
    )
    assert "已于2026年4月1日落实到位" in letter.body and "落实情况：图书已入库" in letter.body
    assert not re.search(r"P000|U00|\d{4}-\d{2}-\d{2}|R\d", letter.title + letter.body)
    assert "提供志愿服务40小时，出借员工活动室（可容纳50人）" in letters[1].body
    lines = {line.key: line for line in collect_kpis(year=2026).lines}
    assert lines["contributing_units"].actual == 1  # one unit, two pledges
    assert (lines["unit_money"].actual, lines["unit_hours"].actual) == (5000, 40)
    assert (lines["unit_venues"].actual, lines["unit_ideas"].actual) == (1, 0)  # P0003 pending
    states = {row["编号"]: row["状态"] for row in pledge_rows(2026)}
    assert states == {"P0001": "已落实", "P0002": "已落实", "P0003": "待落实"}


def test_a_confirmed_pledge_cannot_be_changed_by_a_later_file(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    import_pledges_file(pledges_file(tmp_path), year=2026)
    confirm_pledge(year=2026, ref="P0001", confirmed_by="王主任", today=date(2026, 4, 1))
    changed = ROWS.replace(",5000,", ",8000,")

    assert import_pledges_file(pledges_file(tmp_path), year=2026).unchanged == 3
    with pytest.raises(ImportRejected) as caught:
        import_pledges_file(pledges_file(tmp_path, changed, "changed.csv"), year=2026)

    assert "第2行「编号」列：“P0001”已经确认，不能再修改" in caught.value.problems
    with session_scope() as session:
        stored = session.exec(select(Pledge).where(Pledge.ref == "P0001")).one()
    assert stored.amount == 5000 and stored.status == "confirmed"


def test_a_bad_pledges_file_names_every_place(registry: DistrictProfile, tmp_path: Path) -> None:
    path = pledges_file(
        tmp_path,
        "2026,P1,U001,甲公司,企业,嘉兴路街道,出钱,,,,,,2026-03-15\n"  # money without an amount
        "2026,P2,U001,乙公司,企业,嘉兴路街道,出谋,,,,,,2026-03-15\n"  # another name; no idea
        "2026,P3,U003,丙公司,合作社,嘉兴路街道,出力,,,,,,2026-03-15\n"  # kind; effort empty
        "2026,P4,U004,丁公司,企业,嘉兴路街道,出钱,,100,,,,2025-12-30\n",  # pledged last year
    )

    with pytest.raises(ImportRejected) as caught:
        import_pledges_file(path, year=2026)

    text = "\n".join(caught.value.problems)
    assert "第2行「出资金额」列：出钱须填写金额" in text
    assert "第3行「单位名称」列：单位代码U001在第2行是“甲公司”" in text
    assert "第3行「内容」列：出谋须填写内容" in text
    assert "第4行「单位类别」列：“合作社”不是单位类别" in text
    assert "第4行「服务时长」列：出力须填写服务时长或出借场地" in text
    assert "第5行「承诺日期」列：承诺日期不在2026年内" in text
    with session_scope() as session:
        assert session.exec(select(Pledge)).all() == []


def test_cli_confirms_and_refuses_an_unknown_pledge(
    registry: DistrictProfile, tmp_path: Path
) -> None:
    runner = CliRunner()
    imported = runner.invoke(
        app, ["import", "pledges", str(pledges_file(tmp_path)), "--year", "2026"]
    )
    confirmed = runner.invoke(
        app,
        ["units", "confirm", "P0003", "--year", "2026", "--by", "李经办", "--today", "2026-05-08"],
    )
    unknown = runner.invoke(app, ["units", "confirm", "P9999", "--year", "2026", "--by", "李经办"])
    twice = runner.invoke(app, ["units", "confirm", "P0003", "--year", "2026", "--by", "李经办"])

    assert imported.exit_code == 0 and "新增3" in imported.output
    assert confirmed.exit_code == 0 and "已发送感谢信" in confirmed.output
    assert unknown.exit_code == 1 and "2026年度没有编号为“P9999”的支持承诺" in unknown.output
    assert "Traceback" not in unknown.output
    assert twice.exit_code == 0 and "已于2026年5月8日确认，未重复发送" in twice.output
    with pytest.raises(UnitsError, match="请填写确认人"):
        confirm_pledge(year=2026, ref="P0001", confirmed_by=" ", today=date(2026, 5, 8))
