"""The KPI chart: Chinese drawn with a font that has the glyphs, English without one."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest
from matplotlib import font_manager, rc_context
from matplotlib.text import Text

from tasks.common.charts import INSTALL_HINT, cjk_font, draws
from tasks.kpi.chart import draw_kpi_chart, write_kpi_chart
from tasks.kpi.report import KpiLine, KpiReport

LINES = [
    ("community_school_streets", "R8.3", 3, 3),
    ("seconded_teachers", "R10.2", 15, 15),
    ("ideas_received", "R7.3", 2000, 300),
    ("ideas_adopted", "R7.3", 8, 10),
    ("ideas_done", "R7.3", 4, None),
    ("meetings", "R7.5", 3, 3),
    ("trainings", "R7.1", 4, 4),
    ("awards", "R11.2", 30, 30),
]
STREETS = [
    {
        "街道": "嘉兴路街道",
        "试点": "是",
        "社区学校": "有",
        "挂职教师": 5,
        "入选单位": 5,
        "授课志愿者": 1,
    },
    {
        "街道": "江湾镇街道",
        "试点": "",
        "社区学校": "",
        "挂职教师": 0,
        "入选单位": 4,
        "授课志愿者": 2,
    },
]


def report(year: int, share: float = 1.0) -> KpiReport:
    lines = [
        KpiLine(key=k, label=k, rule=r, actual=round(a * share), target=t) for k, r, a, t in LINES
    ]
    return KpiReport(year=year, district="示例区", goal_year=2029, lines=lines, per_street=STREETS)


HISTORY = [report(2026, 0.6), report(2027, 0.9), report(2028)]


def drawn_texts(font: str | None) -> tuple[list[Text], list[str]]:
    """Draw the chart (as saving does) and return its texts and the warnings raised."""
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with rc_context({"font.family": families}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = draw_kpi_chart(HISTORY, font=font)
        figure.savefig(io.BytesIO(), format="png")  # glyphs are looked up when drawn
        texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    return texts, [str(w.message) for w in caught]


def test_chinese_is_drawn_with_a_cjk_font() -> None:
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")

    texts, caught = drawn_texts(font)

    assert not [w for w in caught if "missing from font" in w], caught
    chinese = [t for t in texts if any("\u4e00" <= ch <= "\u9fff" for ch in t.get_text())]
    shown = {t.get_text() for t in chinese}
    assert {"示例区2028年度学习型城区建设指标", "嘉兴路街道", "挂职教师", "2029年"} <= shown
    for text in chinese:  # the file each text resolves to has a glyph for every character
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert draws(path, text.get_text()), (text.get_text(), path)


def test_the_check_sees_boxes_drawn_for_chinese_without_a_cjk_font() -> None:
    with rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as c:
        warnings.simplefilter("always")
        figure = draw_kpi_chart(HISTORY, font="Chinese labels, no Chinese font")
        figure.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in c)


def test_without_a_cjk_font_the_labels_are_english_and_say_how_to_get_one() -> None:
    texts, caught = drawn_texts(None)

    assert not [w for w in caught if "missing from font" in w], caught
    shown = [t.get_text() for t in texts]
    assert INSTALL_HINT in shown and "Progress towards the targets" in shown
    assert not any("\u4e00" <= ch <= "\u9fff" for text in shown for ch in text)


def test_the_chart_is_written_as_a_png(tmp_path: Path) -> None:
    path = write_kpi_chart(HISTORY, tmp_path / "kpi-2028.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kpi-2028.png"]  # no temporary file left
