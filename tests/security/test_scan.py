"""The scanner finds what it must (so a clean scan means something) and nothing else."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from tasks.common.privacy import find_personal_numbers, id_number_valid, mask_text
from tests.security.scan import Item, report_files, scan

VALID_IDS = ("11010519491231002X", "440524188001010014", "310105198003154416")
PHONE = "13812345678"


def test_id_numbers_are_checked_by_their_check_character() -> None:
    assert all(id_number_valid(number) for number in VALID_IDS)
    assert not id_number_valid("310105198003154417")  # last character wrong
    assert not id_number_valid("31010519800315441")  # 17 characters
    assert id_number_valid("11010519491231002x")  # a lower-case x is written too


def test_finds_unmasked_numbers_in_free_text() -> None:
    text = f"张三，电话{PHONE}，身份证{VALID_IDS[0]}。"
    assert {(n.kind, n.value) for n in find_personal_numbers(text)} == {
        ("phone", PHONE),
        ("id_number", VALID_IDS[0]),
    }


def test_masked_numbers_ids_and_digests_are_not_findings() -> None:
    text = (
        "138****5678 110105********002X 310105198003154417 "  # masked, bad check character
        "12345678901 "  # not a mobile prefix
        "run 1f0e9a12-1381-2345-6781-138123456780 digest a13812345678b"  # UUID, hex digest
    )
    assert find_personal_numbers(text) == []


@given(
    prefix=st.sampled_from("3456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_masked_text_never_shows_a_phone(prefix: str, rest: str, before: str, after: str) -> None:
    phone = f"1{prefix}{rest}"
    masked = mask_text(f"{before} {phone} {after}")
    assert phone not in masked
    assert all(n.value != phone for n in find_personal_numbers(masked))


def test_only_the_owner_may_receive_their_number() -> None:
    owned = {PHONE: {"teacher-T001"}}
    items = [
        Item("message to the teacher", f"您的电话{PHONE}", addressee="teacher-T001"),
        Item("message to the school", f"联系电话{PHONE}", addressee="school-曲阳中学"),
        Item("log line", f"sent to {PHONE}"),
        Item("glued to other digits", f"ref00{PHONE}99"),  # only the known-value check sees it
        Item("an ID number in a message to its owner's teacher tag", VALID_IDS[1], "teacher-T001"),
        Item("clean", "138****5678"),
    ]
    count, leaks = scan(items, owned=owned)
    assert count == 6
    assert [(leak.source, leak.kind) for leak in leaks] == [
        ("message to the school", "phone"),
        ("log line", "phone"),
        ("glued to other digits", "phone"),
        ("an ID number in a message to its owner's teacher tag", "id_number"),
    ]
    assert all(PHONE not in leak.masked for leak in leaks)  # the report masks what it found


def test_report_files_include_xlsx_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["姓名", "手机"])
    workbook.active.append(["张三", PHONE])
    workbook.save(tmp_path / "list.xlsx")
    (tmp_path / "notes.md").write_text(f"# 名单\n\n{VALID_IDS[2]}\n", encoding="utf-8")
    (tmp_path / "chart.png").write_bytes(b"\x89PNG " + PHONE.encode())  # not text: skipped
    notice = Document()
    notice.add_table(rows=1, cols=2).rows[0].cells[1].text = f"联系电话：{VALID_IDS[0]}"
    notice.save(str(tmp_path / "notice.docx"))
    items = list(report_files(tmp_path))
    sources = ["file list.xlsx", "file notes.md", "file notice.docx"]
    assert sorted(item.source for item in items) == sorted(sources)
    _, leaks = scan(items, owned={})
    assert sorted(leak.kind for leak in leaks) == ["id_number", "id_number", "phone"]
