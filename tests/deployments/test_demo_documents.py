"""The demo's documents printed as a clerk would: LibreOffice headless turns each into a PDF.

Checks that every Word document and workbook converts, that each sheet's columns print on one
page width, that the 公示 fits its pages, and that no cell shows `###`, an error or a formula.
Needs Debian's libreoffice-calc, libreoffice-writer, poppler-utils and fonts-noto-cjk (installed
by `.ci/run`); without them it is skipped, saying which are missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.demo_year import YEAR, DemoYear
from tests.printing import info, missing_tools, page_texts, to_pdf

MISSING = missing_tools()
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"needs {', '.join(MISSING)} (Debian: libreoffice-calc libreoffice-writer "
    "poppler-utils fonts-noto-cjk)",
)
DOCX = {
    "awards-publicity-2026.docx",
    "awards-commendation-2026.docx",
    "secondment-notice-2026.docx",
    "calendar-notice-2026.docx",
}
XLSX = {"awards-2026.xlsx", "secondment-2026.xlsx", "kpi-2026.xlsx", "network-2026.xlsx"}
SHOWN_WRONG = re.compile(r"###|#NAME\?|#VALUE!|#REF!|#DIV/0!|Err:\d+|=[A-Z]+\(")


@pytest.fixture(scope="module")
def demo(demo_year: DemoYear) -> tuple[Path, str]:
    """The session's demo run; its reports folder for the year and what it printed."""
    demo_year.check()
    return demo_year.reports, demo_year.stdout


@pytest.fixture(scope="module")
def pdfs(demo: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """File name → its PDF, for every Word document and workbook of the demo's year."""
    reports, _ = demo
    files = sorted(p for p in reports.iterdir() if p.suffix in (".docx", ".xlsx"))
    return to_pdf(files, tmp_path_factory.mktemp("pdf"))


@pytest.fixture(scope="module")
def reports(demo: tuple[Path, str]) -> Path:
    return demo[0]


def test_every_document_is_written_listed_and_converts(
    demo: tuple[Path, str], pdfs: dict[str, Path]
) -> None:
    reports, output = demo
    written = {p.name for p in reports.iterdir()}
    assert written == DOCX | XLSX | {"kpi-2026.md", "kpi-2026.png", "network-2026.md"}
    assert set(pdfs) == DOCX | XLSX
    summary = output[output.index(f"{YEAR}年度文件") :]
    assert all(name in summary for name in written)  # the demo's summary names every file
    for pdf in pdfs.values():
        assert info(pdf).pages >= 1


def test_each_sheet_prints_its_columns_on_one_page_width(
    reports: Path, pdfs: dict[str, Path]
) -> None:
    for name in sorted(XLSX):
        sheets = []
        for sheet in load_workbook(reports / name):
            header = next(r for r in sheet.iter_rows() if r[1].value is not None)
            sheets.append((sheet["A1"].value, [str(c.value) for c in header]))
        pages = page_texts(pdfs[name])
        layout = info(pdfs[name])
        assert layout.width > layout.height, f"{name}: not landscape"
        for number, text in enumerate(pages, start=1):
            # with one page across, every page holds the whole (repeated) header row of a sheet
            whole = [title for title, headers in sheets if all(h in text for h in headers)]
            assert whole, f"{name} page {number} lacks a complete header row:\n{text[:600]}"
        for title, _ in sheets:  # every sheet is printed
            assert any(title in text for text in pages), f"{name}: {title} not printed"


def test_no_cell_shows_hashes_an_error_or_a_formula(pdfs: dict[str, Path]) -> None:
    for name, pdf in sorted(pdfs.items()):
        for number, text in enumerate(page_texts(pdf), start=1):
            wrong = SHOWN_WRONG.findall(text)
            assert not wrong, f"{name} page {number} shows {wrong}"
            assert "{{" not in text and "{%" not in text, f"{name} page {number}: a placeholder"


def test_every_name_and_score_of_a_workbook_is_printed(
    reports: Path, pdfs: dict[str, Path]
) -> None:
    for name in sorted(XLSX):
        printed = re.sub(r"\s+", "", "".join(page_texts(pdfs[name])))
        for sheet in load_workbook(reports / name):
            for row in sheet.iter_rows(min_row=4):
                for cell in row:
                    if isinstance(cell.value, float) and cell.number_format == "0.00":
                        assert f"{cell.value:.2f}" in printed, (name, cell.coordinate)
                    elif isinstance(cell.value, str) and len(cell.value) <= 12:
                        assert cell.value in printed, (name, sheet.title, cell.coordinate)


def test_notices_are_a4_portrait_with_page_numbers(pdfs: dict[str, Path]) -> None:
    for name in sorted(DOCX):
        layout = info(pdfs[name])
        assert (round(layout.width), round(layout.height)) == (595, 842), name  # A4
        pages = page_texts(pdfs[name])
        for number, text in enumerate(pages, start=1):
            number_line = f"—{number}—"  # the footer "— 1 —"
            assert number_line in re.sub(r"\s+", "", text), f"{name} page {number}: no number"


def test_the_publicity_notice_fits_its_pages(pdfs: dict[str, Path]) -> None:
    # 30 nominees in 6 categories: the opening and the first tables, the rest of the list, the
    # period and where to object, the signature
    pages = [re.sub(r"\s+", "", text) for text in page_texts(pdfs["awards-publicity-2026.docx"])]
    assert len(pages) == 3
    assert "关于2026年度学习型组织评选拟表彰对象的公示" in pages[0]
    whole = "".join(pages)
    assert "共5个工作日" in whole and "17:00前以书面形式" in whole
    # the signature is not alone on a page: the office's contact lines go with it
    assert re.search(
        r"联系电话：.+通讯地址：.+区学习型城区建设领导小组办公室2026年12月\d+日—3—$", pages[-1]
    )


def test_the_other_notices_fit_their_pages(pdfs: dict[str, Path]) -> None:
    expected = {
        "secondment-notice-2026.docx": 2,  # 15 teachers
        "calendar-notice-2026.docx": 2,  # 3 meetings and 4 trainings, audiences in full
        "awards-commendation-2026.docx": 3,  # the decision, then the list of 30 on two pages
    }
    for name, pages in expected.items():
        texts = page_texts(pdfs[name])
        assert len(texts) == pages, (name, len(texts))
        assert re.search(r"2026年\d+月\d+日", re.sub(r"\s+", "", "".join(texts))), name
