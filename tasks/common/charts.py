"""Charts with Chinese text: find a font on this machine that draws it.

matplotlib's default font has no Chinese glyphs and draws boxes. `cjk_font()` finds an
installed family that does (Noto Sans CJK from Debian's fonts-noto-cjk, Source Han, WenQuanYi,
or the usual Windows and macOS fonts); a chart drawn without one uses English labels and says how
to install one (`INSTALL_HINT`).
"""

from __future__ import annotations

import logging
from functools import lru_cache

logger = logging.getLogger(__name__)

# in order of preference: simplified-Chinese faces first
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
)
CJK_FILE_HINTS = ("cjk", "sourcehan", "wqy", "msyh", "simhei", "pingfang", "hiragino")
PROBE = "学习型城区建设指标"
INSTALL_HINT = (
    "Chinese labels need a CJK font: install Debian's fonts-noto-cjk "
    "(apt-get install fonts-noto-cjk), then run again"
)


def draws(path: str, text: str) -> bool:
    """Whether the font file at `path` has a glyph for every character of `text`."""
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(ch) in charmap for ch in text if not ch.isspace())


def _known() -> str | None:
    from matplotlib import font_manager

    files = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in files and draws(files[family], PROBE):
            return family
    return None


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese, or None.

    A font installed after matplotlib built its font cache is not in that cache: the system's
    font files are then searched once and added.
    """
    family = _known()
    if family is None:
        from matplotlib import font_manager

        for path in font_manager.findSystemFonts():
            if any(hint in path.lower() for hint in CJK_FILE_HINTS):
                font_manager.fontManager.addfont(path)
        family = _known()
    if family is None:
        logger.warning("no CJK font found: charts get English labels. %s", INSTALL_HINT)
    return family
