"""Word documents from templates a clerk can restyle, and where a year's documents live.

A document is a `.docx` template (docxtpl: Word's own file with `{{ }}` placeholders) filled
with data. The bundled templates are in `tasks/common/templates/`; a district restyles one by
putting a file of the same name in `<data dir>/templates/` (letterhead, fonts, margins), and
that file is used instead. Code fills data, never layout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined
from pydantic import BaseModel

from models.settings import get_settings
from tasks.common.workdays import date_zh, day_zh

TEMPLATES_DIR = Path(__file__).parent / "templates"
ORDINALS = "一二三四五六七八九十"


class WrittenFile(BaseModel):
    """A document written for people: what it is (Chinese) and where it is."""

    label: str
    path: str


def zh_date(day: date, *, weekday: bool = False) -> str:
    """A date as written in a notice: 2026年12月1日 (optionally with （星期二）)."""
    return day_zh(day) if weekday else date_zh(day)


def year_dir(year: int) -> Path:
    """`<data dir>/reports/<year>/`: every document and workbook of that year."""
    return get_settings().reports_dir / str(year)


def template_path(name: str) -> Path:
    """The district's own template `<data dir>/templates/NAME.docx`, else the bundled one."""
    own = get_settings().data_dir / "templates" / f"{name}.docx"
    return own if own.is_file() else TEMPLATES_DIR / f"{name}.docx"


def render_docx(
    name: str,
    context: Mapping[str, Any],
    path: Path,
    *,
    images: Mapping[str, tuple[Path, float]] | None = None,
) -> Path:
    """Fill template NAME with `context` and write it to `path`, whole or not at all.

    Strict: a placeholder the context does not provide is an error, so a notice never goes out
    with a hole where a name or a date should be. IMAGES are pictures placed at placeholders:
    name -> (PNG file, width in millimetres).
    """
    template = DocxTemplate(template_path(name))
    environment = Environment(undefined=StrictUndefined, autoescape=True)
    pictures = {
        key: InlineImage(template, str(file), width=Mm(width))
        for key, (file, width) in (images or {}).items()
    }
    template.render({**context, **pictures}, jinja_env=environment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.docx")
    template.save(tmp)
    tmp.replace(path)
    return path


RULE_CODE = re.compile(r"（R\d+(?:\.\d+)*）|R\d+(?:\.\d+)*\s*")


def plain(reason: str) -> str:
    """A stored reason as a document prints it: without the policy's rule codes."""
    return RULE_CODE.sub("", reason).replace("（）", "").strip()


def ordinal(index: int) -> str:
    """一, 二, … for headings numbered from 0 (up to 十)."""
    return ORDINALS[index] if index < len(ORDINALS) else str(index + 1)


class TableArtifact(NamedTuple):
    """A table a run publishes (Prefect table artifact): its key, rows and description."""

    key: str
    table: list[dict[str, object]]
    description: str


def files_markdown(title: str, files: Sequence[WrittenFile]) -> str:
    """The artifact that lists a run's documents: what each is and where it was written."""
    lines = [f"## {title}", "", "| 文件 | 内容 | 位置 |", "|---|---|---|"]
    lines += [f"| {Path(f.path).name} | {f.label} | `{f.path}` |" for f in files]
    return "\n".join(lines)
