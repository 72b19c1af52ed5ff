"""Build the bundled Word templates in the layout of a government notice (once, by a developer).

The `.docx` files in `tasks/common/templates/` are committed; a clerk restyles them in Word.
This module is how they were made, kept so that a changed text can be rebuilt:
`python -m tasks.common.letterhead` rewrites them (a district's own templates in
`<data dir>/templates/` are never touched).

Layout after the national standard for official documents (GB/T 9704): A4, margins 37/35/28/26
mm, title in 宋体 二号 bold, headings in 黑体 and 楷体 三号, body in 仿宋 三号 with a fixed 28 pt
line, the page number centred in the footer as "— 1 —". Where a font is missing the reader's
Word or LibreOffice substitutes one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table

from tasks.common.documents import TEMPLATES_DIR

logger = logging.getLogger(__name__)

LATIN = "Times New Roman"
BODY = "仿宋"  # FangSong: on every Windows since Vista
TITLE = "宋体"
HEADING = "黑体"
SUBHEADING = "楷体"
SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(10.5)  # 五号
TABLE_LINE = Pt(16)
SIZE_PAGE_NUMBER = Pt(14)  # 四号
LINE = Pt(28)
INDENT = Pt(32)  # two characters of 三号


def _set_fonts(style: ParagraphStyle, east_asian: str, size: Pt, *, bold: bool = False) -> None:
    style.font.name = LATIN
    style.font.size = size
    style.font.bold = bold
    fonts = style.element.xpath("./w:rPr/w:rFonts")[0]
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph_style(
    document: DocumentObject,
    name: str,
    east_asian: str,
    size: Pt,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: Pt | None = INDENT,
    line: Pt = LINE,
) -> ParagraphStyle:
    style = document.styles.add_style(name, 1)  # 1: a paragraph style
    assert isinstance(style, ParagraphStyle)
    style.base_style = document.styles["Normal"]
    _set_fonts(style, east_asian, size, bold=bold)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = indent
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = True
    return style


def _base() -> DocumentObject:
    """An empty A4 document with the notice's styles and a page-numbered footer."""
    document = Document()
    # the default template names theme fonts, which would win over the fonts set below
    for fonts in document.styles.element.xpath("./w:docDefaults//w:rFonts"):
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attribute}"), None)
        fonts.set(qn("w:ascii"), LATIN)
        fonts.set(qn("w:hAnsi"), LATIN)
        fonts.set(qn("w:eastAsia"), BODY)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(24)
    normal = document.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _set_fonts(normal, BODY, SIZE_BODY)
    _paragraph_style(document, "公文正文", BODY, SIZE_BODY)
    _paragraph_style(
        document, "公文标题", TITLE, SIZE_TITLE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=None, line=Pt(36),
    )  # fmt: skip
    _paragraph_style(document, "主送机关", BODY, SIZE_BODY, indent=None)
    for name, font in (("一级标题", HEADING), ("二级标题", SUBHEADING)):
        heading = _paragraph_style(document, name, font, SIZE_BODY)
        heading.paragraph_format.keep_with_next = True  # never a heading alone at a page foot
    _paragraph_style(document, "名单", BODY, SIZE_BODY, indent=None)
    signature = _paragraph_style(
        document, "落款", BODY, SIZE_BODY, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=None
    )
    signature.paragraph_format.right_indent = INDENT
    _paragraph_style(
        document, "表格文字", BODY, SIZE_TABLE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=None,
        line=TABLE_LINE,
    )  # fmt: skip
    _paragraph_style(
        document, "页码", TITLE, SIZE_PAGE_NUMBER, align=WD_ALIGN_PARAGRAPH.CENTER, indent=None,
        line=Pt(20),
    )  # fmt: skip
    footer = section.footer
    footer.paragraphs[0].style = document.styles["页码"]
    footer.paragraphs[0].add_run("— ")
    paragraph = footer.part.element.xpath("./w:p")[0]
    for xml in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        paragraph.append(parse_xml(f"<w:r {nsdecls('w')}>{xml}</w:r>"))
    paragraph.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve"> —</w:t></w:r>'))
    return document


def _p(document: DocumentObject, text: str, style: str = "公文正文", *, keep: bool = False) -> None:
    """A paragraph; `keep`: on the same page as the next one."""
    document.add_paragraph(text, style=style).paragraph_format.keep_with_next = keep or None


def _table(document: DocumentObject, columns: list[tuple[str, str, int]], loop: str) -> None:
    """A bordered table of (header, cell placeholder, width in mm) columns: a header row
    repeated on every page, then one row per item of `loop` (docxtpl's `{%tr for %}` rows are
    removed when the template is filled)."""
    headers = [c[0] for c in columns]
    cells = [c[1] for c in columns]
    table: Table = document.add_table(rows=4, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, (_, _, width) in zip(table.columns, columns, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)
    rows = table.rows
    for i, header in enumerate(headers):
        rows[0].cells[i].text = header
        rows[2].cells[i].text = cells[i]
    rows[1].cells[0].text = "{%tr for " + loop + " %}"
    rows[3].cells[0].text = "{%tr endfor %}"
    for row in rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.style = document.styles["表格文字"]
    for run in (r for c in rows[0].cells for p in c.paragraphs for r in p.runs):
        run.bold = True
    # the header row repeats on every page; no row is split across two pages
    header_row, _, item_row, _ = document.element.body.xpath("./w:tbl")[-1].xpath("./w:tr")
    header_row.insert(0, parse_xml(f"<w:trPr {nsdecls('w')}><w:cantSplit/><w:tblHeader/></w:trPr>"))
    item_row.insert(0, parse_xml(f"<w:trPr {nsdecls('w')}><w:cantSplit/></w:trPr>"))


def _contact(document: DocumentObject) -> None:
    """The office's contact lines, each only when the profile gives it; they stay on the page
    of the signature below them."""
    for field, label in (("phone", "联系电话"), ("address", "通讯地址")):
        _p(document, "{%p if office." + field + " %}")
        _p(document, f"{label}：{{{{ office.{field} }}}}", keep=True)
        _p(document, "{%p endif %}")


def _signature(document: DocumentObject) -> None:
    _p(document, "", keep=True)
    _p(document, "{{ office.name }}", "落款", keep=True)
    _p(document, "{{ issued_on }}", "落款")


def awards_publicity() -> DocumentObject:
    """The 公示 of the year's proposed award list, all categories."""
    d = _base()
    _p(d, "关于{{ year }}年度学习型组织评选拟表彰对象的公示", "公文标题")
    _p(d, "")
    _p(
        d,
        "根据{{ district }}学习型城区建设工作安排，{{ year }}年度{{ categories }}评选工作已完成"
        "推荐、资格审查和评审。经评审委员会审定，现将拟表彰对象（共{{ total }}个）予以公示。",
    )
    _p(d, "一、拟表彰对象名单", "一级标题")
    _p(d, "{%p for g in groups %}")
    _p(d, "（{{ g.ordinal }}）{{ g.category }}（{{ g.count }}个）", "二级标题")
    _table(
        d,
        [
            ("序号", "{{ loop.index }}", 14),
            ("名称", "{{ e.name }}", 70),
            ("所在街道", "{{ e.street }}", 36),
            ("所在社区", "{{ e.community }}", 36),
        ],
        "e in g.entries",
    )
    _p(d, "{%p endfor %}")
    _p(d, "二、公示时间", "一级标题")
    _p(d, "{{ start }}至{{ end }}，共{{ days }}个工作日。")
    _p(d, "三、意见反馈", "一级标题")
    _p(
        d,
        "公示期间，对公示对象如有异议，请于{{ deadline }}17:00前以书面形式向{{ office.name }}"
        "实名反映。反映情况须署真实姓名，写明联系方式，并提供具体事实或线索；"
        "匿名或无具体事实的意见不予受理。我们将对反映人的信息严格保密。",
    )
    _contact(d)
    _signature(d)
    return d


def awards_commendation() -> DocumentObject:
    """The decision that commends the year's final list, with the list attached."""
    d = _base()
    _p(d, "关于表彰{{ year }}年度学习型组织和学习带头人的决定", "公文标题")
    _p(d, "")
    _p(d, "各街道，区各有关单位：", "主送机关")
    _p(
        d,
        "{{ year }}年，全区各街道、各单位深入开展学习型组织创建活动，涌现出一批先进典型。"
        "经各街道推荐、资格审查、评审委员会评审，并经公示（{{ start }}至{{ end }}），"
        "决定对{{ categories }}共{{ total }}个先进典型予以表彰。",
    )
    _p(
        d,
        "希望受表彰的单位、家庭和个人珍惜荣誉，再接再厉，在学习型城区建设中继续发挥示范带动"
        "作用。全区各街道、各单位要以先进为榜样，深入推进学习型城区建设。",
    )
    _p(d, "")
    _p(d, "附件：{{ year }}年度学习型组织和学习带头人表彰名单", "主送机关")
    _signature(d)
    d.add_paragraph("附件", style="一级标题").paragraph_format.page_break_before = True
    _p(d, "{{ year }}年度学习型组织和学习带头人表彰名单", "公文标题")
    _p(d, "")
    _p(d, "{%p for g in groups %}")
    _p(d, "{{ g.ordinal }}、{{ g.category }}（{{ g.count }}个）", "一级标题")
    _p(d, "{%p for e in g.entries %}")
    _p(d, "{{ e.name }}（{{ e.street }}{{ e.community }}）", "名单")
    _p(d, "{%p endfor %}")
    _p(d, "{%p endfor %}")
    return d


def secondment_notice() -> DocumentObject:
    """The notice to schools and streets of who goes where, and from when."""
    d = _base()
    _p(d, "关于选派{{ year }}年度街道社区教育助理的通知", "公文标题")
    _p(d, "")
    _p(d, "各有关学校、各有关街道：", "主送机关")
    _p(
        d,
        "为深化社区教育、创建学习型城区，经资格审查、综合评定和审批，决定选派{{ count }}名"
        "在职教师（其中骨干教师{{ backbone }}名）到{{ streets }}挂职，担任街道社区教育助理。"
        "现将有关事项通知如下：",
    )
    _p(d, "一、选派名单", "一级标题")
    _table(
        d,
        [
            ("序号", "{{ loop.index }}", 14),
            ("姓名", "{{ p.name }}", 26),
            ("所在学校", "{{ p.school }}", 46),
            ("挂职街道", "{{ p.street }}", 36),
            ("备注", "{{ p.note }}", 34),
        ],
        "p in placements",
    )
    _p(d, "二、挂职时间", "一级标题")
    _p(d, "挂职自{{ start }}起，为期{{ term }}。")
    _p(d, "三、工作要求", "一级标题")
    _p(d, "（一）请各有关学校做好被选派教师的工作交接和教学安排，保证其按时到岗。")
    _p(
        d,
        "（二）请各有关街道做好接收工作，为社区教育助理明确工作职责、提供必要的工作条件，"
        "并加强日常管理。",
    )
    _p(
        d,
        "（三）被选派教师请于{{ start }}前到挂职街道报到。如确有困难不能按时到岗，"
        "请在此日期前向{{ office.name }}说明。",
    )
    _contact(d)
    _signature(d)
    return d


def calendar_notice() -> DocumentObject:
    """The year's publicity month, activity week and day, meetings and trainings."""
    d = _base()
    _p(d, "关于{{ year }}年社区教育宣传月活动和年度会议安排的通知", "公文标题")
    _p(d, "")
    _p(d, "各街道、各居委，区各有关单位：", "主送机关")
    _p(
        d,
        "根据全区社区教育工作安排，现将{{ year }}年社区教育宣传月活动、年度会议和干部培训"
        "安排通知如下：",
    )
    _p(d, "一、社区教育宣传月", "一级标题")
    _p(
        d,
        "{{ month_start }}至{{ month_end }}为{{ year }}年社区教育宣传月。其中，{{ week_start }}"
        "至{{ week_end }}为宣传活动周，{{ publicity_day }}（教师节）为社区教育宣传日。"
        "请各街道、各居委集中开展形式多样的宣传和学习活动。",
    )
    _p(d, "二、宣传资料发放", "一级标题")
    _p(
        d,
        "{{ request_on }}起向各居委发放{{ material }}。请各居委及时发放到户，"
        "并在收到后{{ confirm_within }}个工作日内确认发放情况。",
    )
    _p(d, "三、年度会议", "一级标题")
    _table(
        d,
        [
            ("会议", "{{ m.title }}", 26),
            ("日期", "{{ m.day }}", 36),
            ("时间", "{{ m.time }}", 25),
            ("地点", "{{ m.venue }}", 27),
            ("参加人员", "{{ m.audiences }}", 42),
        ],
        "m in meetings",
    )
    _p(d, "四、干部培训", "一级标题")
    _table(
        d,
        [
            ("场次", "{{ loop.index }}", 12),
            ("日期", "{{ t.day }}", 36),
            ("时间", "{{ t.time }}", 25),
            ("地点", "{{ t.venue }}", 31),
            ("参加人员", "{{ t.audiences }}", 52),
        ],
        "t in trainings",
    )
    _p(d, "会议和培训的具体通知另行发送，请有关人员提前做好工作安排。")
    _contact(d)
    _signature(d)
    return d


def ideas_poster() -> DocumentObject:
    """The golden-idea campaign's poster: what is asked, until when, the QR code of the form."""
    d = _base()
    _p(d, "{{ heading }}", "公文标题")
    _p(d, "")
    _p(d, "居民朋友们：", "主送机关")
    _p(
        d,
        "{{ year }}年度{{ theme }}“金点子”征集活动现已启动，欢迎您为家门口的社区教育出主意、"
        "提建议。",
    )
    _p(d, "一、征集时间", "一级标题")
    _p(d, "{{ collecting_from }}至{{ collecting_to }}。")
    _p(d, "二、提交方式", "一级标题")
    _p(
        d,
        "用手机扫描下方二维码，或在浏览器中打开{{ url }}，填写姓名、手机号、所在社区、标题和内容。",
    )
    _p(d, "也可到所在居委会填写纸质表格，由社区工作人员录入。")
    qr = d.add_paragraph("{{ qr }}", style="名单")
    qr.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _p(d, "三、填写要求", "一级标题")
    _p(
        d,
        "每条建议写明标题（不超过{{ title_max }}字）和具体内容（{{ content_min }}至"
        "{{ content_max }}字）。提交前可看到已有的相似建议，如意见相同，可点“我也支持这条”。",
    )
    _p(d, "评审结果将于{{ publish_on }}前后统一公布，被采纳的建议将跟踪落实并告知提交人。")
    _contact(d)
    _signature(d)
    return d


TEMPLATES: dict[str, Callable[[], DocumentObject]] = {
    "ideas_poster": ideas_poster,
    "awards_publicity": awards_publicity,
    "awards_commendation": awards_commendation,
    "secondment_notice": secondment_notice,
    "calendar_notice": calendar_notice,
}


def write_templates(directory: Path = TEMPLATES_DIR) -> list[Path]:
    """Write every bundled template into `directory`; return the files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in TEMPLATES.items():
        path = directory / f"{name}.docx"
        build().save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    for path in write_templates():
        logger.info("wrote %s", path)
