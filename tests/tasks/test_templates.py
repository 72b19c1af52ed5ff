"""Notification templates: title and body from one Jinja2 file, strict and plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from tasks.notify.render import render


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    (tmp_path / "selected.j2").write_text(
        "{{ name }}老师：挂职通知\n"
        "\n"
        "您已入选 {{ year }} 年度挂职，派往 {{ street }}。\n"
        "{% for item in items %}\n"
        "- {{ item }}\n"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    (tmp_path / "blank_title.j2").write_text("{{ title }}\nbody\n", encoding="utf-8")
    return tmp_path


def test_first_line_is_the_title_the_rest_the_body(templates: Path) -> None:
    title, body = render(
        "selected",
        directory=templates,
        name="张三",
        year=2026,
        street="嘉兴路街道",
        items=["报到 & 登记", "<培训>"],
    )
    assert title == "张三老师：挂职通知"
    # Plain text: no HTML escaping; block tags leave no stray lines.
    assert body == "您已入选 2026 年度挂职，派往 嘉兴路街道。\n- 报到 & 登记\n- <培训>"


def test_a_missing_variable_is_an_error(templates: Path) -> None:
    with pytest.raises(UndefinedError, match="street"):
        render("selected", directory=templates, name="张三", year=2026, items=[])


def test_an_empty_title_is_an_error(templates: Path) -> None:
    with pytest.raises(ValueError, match="empty title"):
        render("blank_title", directory=templates, title="")


def test_an_unknown_template_is_an_error(templates: Path) -> None:
    with pytest.raises(TemplateNotFound):
        render("no_such_template", directory=templates)
