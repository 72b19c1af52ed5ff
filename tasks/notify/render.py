"""Render notification texts from Jinja2 templates: first line the title, the rest the body.

Templates live in `tasks/templates/NAME.j2` beside this module. They are plain text (no HTML
autoescaping) and strict: a variable the caller did not pass is an error, never an empty string,
so a notice cannot go out with a hole where a name or a date should be.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).parent / "templates"


@lru_cache(maxsize=8)
def _environment(directory: Path) -> Environment:
    """One Jinja2 environment per template directory (it caches compiled templates)."""
    return Environment(
        loader=FileSystemLoader(directory, encoding="utf-8"),
        undefined=StrictUndefined,
        # Plain-text messages: escaping would turn "&" into "&amp;" in a WeCom text.
        autoescape=False,
        # Block tags ({% if %}, {% for %}) then leave no stray blank lines or indentation.
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, /, *, directory: Path | None = None, **context: Any) -> tuple[str, str]:
    """Render template `NAME.j2` and return (title, body).

    The first line of the rendered text is the title, everything after it (stripped) the body.
    `name` is positional-only so the context may have a variable called `name`; `directory`
    overrides the bundled template directory (tests use it). Raises
    `jinja2.UndefinedError` when the template uses a variable missing from `context`,
    `jinja2.TemplateNotFound` for an unknown name, and `ValueError` for an empty title.
    """
    template = _environment((directory or TEMPLATES_DIR).resolve()).get_template(f"{name}.j2")
    title, _, body = template.render(**context).partition("\n")
    title = title.strip()
    if not title:
        raise ValueError(f"template {name!r} rendered an empty title (its first line)")
    return title, body.strip()
