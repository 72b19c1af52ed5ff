"""The shared document layer: spreadsheets set up for paper, Word templates filled strictly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from docx import Document
from jinja2 import UndefinedError
from openpyxl import load_workbook

from tasks.common.documents import (
    TEMPLATES_DIR,
    plain,
    render_docx,
    template_path,
    year_dir,
    zh_date,
)
from tasks.common.letterhead import TEMPLATES, write_templates
from tasks.common.xlsx import Column, add_table, display_width, new_workbook, save_workbook

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_a_cjk_character_counts_double() -> None:
    assert display_width("abc") == 3
    assert display_width("嘉兴路街道") == 10
    assert display_width("第1名（R11.2）") == 2 + 1 + 2 + 2 + 5 + 2


def table_sheet(tmp_path: Path, note: str = "说明：一句话。") -> Path:
    book = new_workbook()
    add_table(
        book,
        sheet_name="学习型小区",
        title="示例区2026年度学习型小区表彰结果",
        columns=[
            Column("排名", "int"),
            Column("编号"),
            Column("名称"),
            Column("校准得分", "decimal"),
            Column("完成率", "percent"),
            Column("备注", "wrap"),
        ],
        rows=[
            [1, "XQ-003", "新市居委新市小区", 0.8161, 1.0, ""],
            [2, "XQ-007", "ABCDEFGH", -0.2425, 0.5, "因某某异议成立，按排名递补，" * 6],
        ],
        note=note,
    )
    return save_workbook(book, tmp_path / "t.xlsx")


def test_a_table_sheet_has_title_note_header_and_number_formats(tmp_path: Path) -> None:
    book = load_workbook(table_sheet(tmp_path))
    assert book.sheetnames == ["学习型小区"]  # the default empty sheet is gone
    sheet = book["学习型小区"]
    assert sheet["A1"].value == "示例区2026年度学习型小区表彰结果"
    assert "A1:F1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "说明：一句话。"
    assert [c.value for c in sheet[3]] == ["排名", "编号", "名称", "校准得分", "完成率", "备注"]
    assert all(c.font.bold for c in sheet[3])
    rank, _, _, score, share, remark = sheet[5]
    assert (rank.value, rank.number_format, rank.alignment.horizontal) == (2, "0", "center")
    assert (score.value, score.number_format) == (-0.2425, "0.00")  # stored exact, shown 0.xx
    assert share.number_format == "0%"
    assert remark.alignment.wrap_text
    assert sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref == "A3:F5"


def test_a_table_sheet_prints_landscape_on_one_page_width(tmp_path: Path) -> None:
    sheet = load_workbook(table_sheet(tmp_path))["学习型小区"]
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and str(setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)  # one page across, any number down
    assert sheet.print_title_rows == "$3:$3"  # the header row on every page
    assert "&P" in sheet.oddFooter.center.text


def test_columns_are_as_wide_as_their_text(tmp_path: Path) -> None:
    sheet = load_workbook(table_sheet(tmp_path))["学习型小区"]
    width = {c: sheet.column_dimensions[c].width for c in "ABCDEF"}
    # eight CJK characters need about twice the room of eight Latin ones
    assert width["C"] >= display_width("新市居委新市小区") + 2
    assert width["C"] > width["B"] > width["A"]
    # a column of sentences stops growing and wraps; its long row is made taller
    assert width["F"] == 44
    assert sheet.row_dimensions[5].height > 15


def test_without_a_note_the_header_is_the_second_row(tmp_path: Path) -> None:
    sheet = load_workbook(table_sheet(tmp_path, note=""))["学习型小区"]
    assert sheet["A2"].value == "排名" and sheet.freeze_panes == "A3"


def test_dates_and_reasons_as_a_document_prints_them() -> None:
    assert zh_date(date(2026, 1, 21)) == "2026年1月21日"
    assert zh_date(date(2026, 1, 21), weekday=True) == "2026年1月21日（星期三）"
    assert plain("不在职（R10.2 仅选派在职教师）") == "不在职（仅选派在职教师）"
    assert (
        plain("教龄1年，不足5年（R10.2）；本人申请暂缓（R10.2）")
        == "教龄1年，不足5年；本人申请暂缓"
    )


def text_of(path: Path) -> str:
    document = Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


OFFICE = {"name": "区社区教育指导中心", "phone": "021-65412380", "address": ""}
CALENDAR = {
    "year": 2026,
    "month_start": "2026年9月1日",
    "month_end": "2026年9月30日",
    "week_start": "2026年9月7日",
    "week_end": "2026年9月13日",
    "publicity_day": "2026年9月10日（星期四）",
    "request_on": "2026年9月1日",
    "material": "社区教育宣传资料",
    "confirm_within": 5,
    "meetings": [
        {
            "title": "社区教育工作会议",
            "day": "2月24日（星期二）",
            "time": "09:00—11:30",
            "venue": "区社区教育指导中心报告厅",
            "audiences": "街道和机关社区教育干部",
        }
    ],
    "trainings": [],
    "office": OFFICE,
    "issued_on": "2026年1月5日",
}


def test_a_template_is_filled_with_every_placeholder(db: Path) -> None:
    path = render_docx("calendar_notice", CALENDAR, year_dir(2026) / "c.docx")

    text = text_of(path)
    assert path == db / "reports" / "2026" / "c.docx"
    assert "2026年9月1日至2026年9月30日为2026年社区教育宣传月" in text
    assert "社区教育工作会议" in text and "联系电话：021-65412380" in text
    assert "通讯地址" not in text  # an empty contact line is left out, not printed blank
    assert "{{" not in text and "{%" not in text


def test_a_missing_placeholder_is_an_error_and_nothing_is_written(db: Path) -> None:
    path = year_dir(2026) / "c.docx"
    context = {k: v for k, v in CALENDAR.items() if k != "material"}

    with pytest.raises(UndefinedError):
        render_docx("calendar_notice", context, path)

    assert not path.exists()


def test_text_with_markup_characters_is_printed_as_written(db: Path) -> None:
    context = CALENDAR | {"material": "《学习手册》<第2版> & 宣传单"}
    text = text_of(render_docx("calendar_notice", context, year_dir(2026) / "c.docx"))
    assert "《学习手册》<第2版> & 宣传单" in text


def test_a_district_restyles_a_notice_with_its_own_template(db: Path) -> None:
    own = db / "templates" / "calendar_notice.docx"
    own.parent.mkdir(parents=True)
    document = Document()
    document.add_paragraph("本区自己的版式：{{ year }}年，落款{{ office.name }}")
    document.save(str(own))

    assert template_path("calendar_notice") == own
    path = render_docx("calendar_notice", CALENDAR, year_dir(2026) / "c.docx")
    assert text_of(path).strip() == "本区自己的版式：2026年，落款区社区教育指导中心"
    assert template_path("awards_publicity") == TEMPLATES_DIR / "awards_publicity.docx"


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_bundled_templates_have_the_layout_of_an_official_notice(name: str) -> None:
    document = Document(str(TEMPLATES_DIR / f"{name}.docx"))
    section = document.sections[0]
    millimetres = [
        round(length.mm)
        for length in (section.page_width, section.page_height, section.top_margin)
        + (section.bottom_margin, section.left_margin, section.right_margin)
    ]
    assert millimetres == [210, 297, 37, 35, 28, 26]  # A4, margins of GB/T 9704
    fonts = {
        s.name: s.element.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia")
        for s in document.styles
        if s.name in ("公文标题", "公文正文", "一级标题")
    }
    assert fonts == {"公文标题": "宋体", "公文正文": "仿宋", "一级标题": "黑体"}
    instructions = section.footer.part.element.xpath(".//w:instrText")
    assert [i.text.strip() for i in instructions] == ["PAGE"]
    assert document.paragraphs[0].style.name == "公文标题"


def test_the_generator_writes_every_template(tmp_path: Path) -> None:
    written = write_templates(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.docx" for n in TEMPLATES)
    bundled = sorted(p.name for p in TEMPLATES_DIR.glob("*.docx"))
    assert bundled == sorted(p.name for p in written)  # what is committed is what it makes
    for path in written:
        assert text_of(path) == text_of(TEMPLATES_DIR / path.name)
