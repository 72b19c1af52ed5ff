"""Text typed by people, made fit to store and to show: one cleaning for every way in.

Control characters (NUL, ESC, …; tab and line breaks are fine) break terminals, PostgreSQL text
(it refuses NUL) and messages; bidirectional marks, embeddings, overrides and isolates make
text display as something it is not (U+202E turns "txt.exe" around); a lone surrogate cannot
be encoded as UTF-8 at all. The web forms, the JSON intake and the command line strip them
(`clean_text`, `clean_line`); the file importer refuses a cell holding one and names the
character (`UNFIT_CHARACTER`), because a clerk can fix the file.
"""

from __future__ import annotations

import re
import unicodedata

UNFIT_CHARACTER = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (but tab, line feed, carriage return), DEL, C1
    "\u061c\u200e\u200f"  # Arabic letter mark, left-to-right and right-to-left marks
    "\u202a-\u202e"  # embeddings and overrides
    "\u2066-\u2069"  # isolates
    "\ud800-\udfff"  # lone surrogates (JSON can carry them; UTF-8 cannot)
    "]"
)
_LINE_BREAKS = re.compile(r"\r\n?")
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """TEXT without unfit characters, NFC-normalised, line breaks as `\\n`, trimmed."""
    text = UNFIT_CHARACTER.sub("", text)
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", text)).strip()


def clean_line(text: str) -> str:
    """`clean_text` for one-line fields (a name, a phone): any run of white space is one space."""
    return _SPACES.sub(" ", clean_text(text)).strip()
