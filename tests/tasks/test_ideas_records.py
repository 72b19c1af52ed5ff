"""Intake, import, screening idempotency, sweeping and cluster edits on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models.audit import Decision
from models.db import session_scope
from models.ideas import Idea
from models.outbox import OutboxMessage
from models.profile.schema import DistrictProfile
from tasks.ideas import intake, records
from tasks.ideas.campaign import open_campaign
from tasks.ideas.clusters import edit_cluster, undo_edit, year_clusters
from tasks.ideas.screening import Submission
from tasks.importing.ideas import import_ideas_file
from tasks.importing.reading import ImportRejected

YEAR = 2026
NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)


def idea(**overrides: str) -> Submission:
    values = {
        "submitter": "王芳",
        "phone": "13812345678",
        "community": "嘉兴一居委",
        "title": "社区读书会",
        "content": "建议每月在社区学校举办一次读书分享会，联系人 13912345678。",
    }
    values.update(overrides)
    return Submission(**values)


@pytest.fixture
def campaign(registry: DistrictProfile) -> DistrictProfile:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    return registry


def test_open_campaign_announces_once_to_residents_and_every_community(
    campaign: DistrictProfile,
) -> None:
    open_campaign(year=YEAR, start=date(2026, 9, 1))
    with session_scope() as session:
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "announce")).all()
    communities = [c for s in campaign.streets for c in s.communities]
    assert len(messages) == 1 + len(communities)
    assert {m.audience for m in messages} >= {"residents", "community-嘉兴一居委"}


def test_submit_persists_before_ack_and_resubmission_returns_the_first(
    campaign: DistrictProfile,
) -> None:
    ack = intake.submit(year=YEAR, submission=idea(), source="cli", now=NOW)
    assert ack.status == "received" and ack.ref == f"{YEAR}-{ack.id:06d}"
    again = intake.submit(
        year=YEAR, submission=idea(content=idea().content + "！"), source="http", now=NOW
    )
    assert again.duplicate and again.ref == ack.ref
    with pytest.raises(records.SubmissionRejected) as bad:
        intake.submit(
            year=YEAR, submission=idea(community="火星居委", title=""), source="cli", now=NOW
        )
    assert set(bad.value.problems) == {"community", "title"}
    with session_scope() as session:
        assert len(session.exec(select(Idea)).all()) == 1


def test_screening_is_idempotent_and_masks_pii(campaign: DistrictProfile) -> None:
    ok = intake.submit(year=YEAR, submission=idea(), source="cli", now=NOW)
    spam = intake.submit(
        year=YEAR,
        submission=idea(phone="13712345678", title="赚钱", content="刷单兼职，加微信 12345"),
        source="cli",
        now=NOW,
    )
    assert records.screen_ids(ids=[ok.id, spam.id], now=NOW) == 2
    # a duplicated event / re-enqueued batch screens nothing twice
    assert records.screen_ids(ids=[ok.id, spam.id], now=NOW) == 0
    with session_scope() as session:
        decisions = session.exec(select(Decision).where(Decision.process == "ideas")).all()
        messages = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "rejected")).all()
    assert [d.subject for d in decisions] == [spam.ref]
    assert len(messages) == 1
    table = records.screening_table(YEAR)
    text = repr(table)
    assert "13912345678" not in text and "13812345678" not in text and "139****5678" not in text
    assert "138****5678" in text


def test_sweeper_finds_only_overdue_received_ideas(campaign: DistrictProfile) -> None:
    ack = intake.submit(year=YEAR, submission=idea(), source="http", now=NOW)
    assert records.overdue_ids(now=NOW + timedelta(minutes=5), after=timedelta(minutes=10)) == []
    later = NOW + timedelta(minutes=11)
    assert records.overdue_ids(now=later, after=timedelta(minutes=10)) == [ack.id]
    records.screen_ids(ids=[ack.id], now=later)
    assert records.overdue_ids(now=later, after=timedelta(minutes=10)) == []


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["编号,提交人,手机,社区,标题,内容,提交时间", *rows]) + "\n", "utf-8")
    return path


def test_import_rejects_bad_rows_whole_then_imports_and_screens(
    campaign: DistrictProfile, tmp_path: Path
) -> None:
    bad = _write(
        tmp_path / "bad.csv",
        [
            "P1,王芳,13812345678,嘉兴一居委,读书会,建议每月举办一次读书分享会。,2026-09-02 10:00",
            "P2,李强,12345,火星居委,,太短,昨天",
            "P1,张伟,13912345678,嘉兴一居委,读书会,建议每月举办一次读书分享会！,",
        ],
    )
    with pytest.raises(ImportRejected) as rejected:
        import_ideas_file(bad, year=YEAR, now=NOW)
    text = str(rejected.value)
    for where in (
        "第3行「手机」列",
        "第3行「社区」列",
        "第3行「标题」列",
        "第3行「内容」列",
    ):
        assert where in text
    assert "第3行「提交时间」列" in text and "第4行「编号」列" in text
    with session_scope() as session:
        assert session.exec(select(Idea)).all() == []

    good = _write(
        tmp_path / "good.csv",
        [
            "P1,王芳,13812345678,嘉兴一居委,读书会,建议每月举办一次读书分享会。,2026-09-02 10:00",
            ",张伟,13912345678,洛阳一居委,读书会,建议每月举办一次读书分享会！,",
            "P3,刘洋,13712345678,海伦一居委,发财,代开发票请加微信 abc123,",
        ],
    )
    summary = import_ideas_file(good, year=YEAR, now=NOW)
    assert (summary.inserted, summary.screened, summary.rejected) == (3, 3, 1)
    assert import_ideas_file(good, year=YEAR, now=NOW).inserted == 0  # re-import changes nothing
    clusters = year_clusters(YEAR)
    assert len(clusters) == 1 and "P1" in clusters[0] and len(clusters[0]) == 2


def test_import_refuses_refs_that_look_automatic(campaign: DistrictProfile, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "auto.csv",
        ["2026-000002,王芳,13812345678,嘉兴一居委,读书会,建议每月举办一次读书分享会。,"],
    )
    with pytest.raises(
        ImportRejected, match="第2行「编号」列：2026-000002与系统自动编号的格式相同"
    ):
        import_ideas_file(path, year=YEAR, now=NOW)
    with session_scope() as session:
        assert session.exec(select(Idea)).all() == []


def test_reimport_screens_what_a_stopped_import_stored(
    campaign: DistrictProfile, tmp_path: Path
) -> None:
    rows = [
        {
            "_row": 2,
            "ref": "P1",
            "submitter": "王芳",
            "phone": "13812345678",
            "community": "嘉兴一居委",
            "title": "读书会",
            "content": "建议每月举办一次读书分享会。",
        },
        {
            "_row": 3,
            "ref": "",
            "submitter": "张伟",
            "phone": "13912345678",
            "community": "洛阳一居委",
            "title": "老人手机课",
            "content": "给老年人开设智能手机培训课程",
        },
    ]
    # an import that stored its rows and stopped before screening them
    first = intake.store_imported(year=YEAR, rows=rows, now=NOW, path=tmp_path / "f.csv")

    again = intake.store_imported(year=YEAR, rows=rows, now=NOW, path=tmp_path / "f.csv")

    assert (again.inserted, again.unchanged) == (0, 2)
    assert sorted(again.ids) == sorted(first.ids)  # still to screen
    records.screen_ids(ids=again.ids, now=NOW)
    third = intake.store_imported(year=YEAR, rows=rows, now=NOW, path=tmp_path / "f.csv")
    assert third.ids == []


def test_merge_unmerge_and_undo_are_logged_and_reversible(campaign: DistrictProfile) -> None:
    a = intake.submit(year=YEAR, submission=idea(), source="cli", now=NOW)
    b = intake.submit(
        year=YEAR,
        submission=idea(phone="13912345670", content=idea().content.replace("，", " ") + "谢谢"),
        source="cli",
        now=NOW,
    )
    c = intake.submit(
        year=YEAR,
        submission=idea(
            phone="13712345670", title="老人手机课", content="给老年人开设智能手机培训课程"
        ),
        source="cli",
        now=NOW,
    )
    records.screen_ids(ids=[a.id, b.id, c.id], now=NOW)
    auto = year_clusters(YEAR)
    assert sorted([a.ref, b.ref]) in auto and [c.ref] in auto
    cut = edit_cluster(year=YEAR, action="unmerge", ref=b.ref, reason="内容不同", operator="张")
    assert [b.ref] in year_clusters(YEAR)
    join = edit_cluster(
        year=YEAR, action="merge", ref=c.ref, target=a.ref, reason="同一主题", operator="张"
    )
    assert sorted([a.ref, c.ref]) in year_clusters(YEAR)
    undo_edit(year=YEAR, edit_id=join, reason="误操作", operator="张")
    undo_edit(year=YEAR, edit_id=cut, reason="误操作", operator="张")
    assert year_clusters(YEAR) == auto
    with session_scope() as session:
        kinds = {d.kind for d in session.exec(select(Decision)).all()}
    assert {f"unmerge-{cut}", f"merge-{join}", f"undo-{cut}", f"undo-{join}"} <= kinds
    with pytest.raises(ValueError, match="理由"):
        edit_cluster(year=YEAR, action="unmerge", ref=a.ref, reason=" ", operator="")


def test_an_imported_category_is_kept_an_empty_one_left_to_the_keywords_an_unknown_one_refused(
    campaign: DistrictProfile, tmp_path: Path
) -> None:
    header = "编号,提交人,手机,社区,标题,内容,类别"
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(
        f"{header}\nP1,王芳,13812345678,嘉兴一居委,读书会,建议每月举办一次读书分享会。,乱选\n",
        "utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        import_ideas_file(unknown, year=YEAR, now=NOW)
    assert "第2行「类别」列" in str(rejected.value) and "健康生活" in str(rejected.value)
    with session_scope() as session:
        assert session.exec(select(Idea)).all() == []

    label = campaign.ideas.category_labels["health"]
    good = tmp_path / "good.csv"
    good.write_text(
        f"{header}\n"
        f"P1,王芳,13812345678,嘉兴一居委,读书会,建议每月举办一次读书分享会。,{label}\n"
        "P2,张伟,13912345678,洛阳一居委,夜校,建议为外来务工人员开办普通话夜校。,\n"
        "P3,刘洋,13712345678,海伦一居委,健身,建议在社区开设太极拳晨练班。,health\n",
        "utf-8",
    )
    assert import_ideas_file(good, year=YEAR, now=NOW).screened == 3
    ideas = {i.ref: i for i in records.year_ideas(YEAR)}
    assert [ideas[r].chosen_category for r in ("P1", "P2", "P3")] == ["health", "", "health"]
    assert ideas["P1"].category == "health" and "提交人自选类别" in ideas["P1"].reason
    assert ideas["P2"].category == "adult_education" and "关键词" in ideas["P2"].reason
    assert ideas["P3"].category == "health"
