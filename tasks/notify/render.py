"""Render notification texts from Jinja2 templates: first line the title, the rest the body.

Templates live in `tasks/notify/templates/NAME.j2` beside this module; files whose name starts
with `_` are partials they include (the office's contact, the reply link). They are plain text
(no HTML autoescaping) and strict: a variable the caller did not pass is an error, never an empty
string, so a notice cannot go out with a hole where a name or a date should be. What must not be
empty either (a list of names, a meeting's date) goes through the `required` filter, which
refuses the whole message (`EmptyMessage`) instead of rendering it.

Dates are written the way a district notice writes them, by filters:

    {{ day | cn_date }}              2026年1月21日
    {{ day | cn_day }}               2026年1月21日（星期三）
    {{ start | cn_time }}            上午9:00
    {{ day | cn_when(start) }}       2026年1月21日（星期三）上午9:00
    {{ start | cn_span(end) }}       上午9:00至11:30 / 上午9:00至下午4:30

They take `date`, `datetime` and `time` objects, or their ISO strings.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined

from models.refusal import Refusal

TEMPLATES_DIR = Path(__file__).parent / "templates"
WEEKDAYS = "一二三四五六日"


class EmptyMessage(Refusal):
    """A message that would go out with nothing where its substance should be; none is made."""


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_time(value: time | datetime | str) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def cn_date(value: date | datetime | str) -> str:
    """2026年1月21日"""
    day = _as_date(value)
    return f"{day.year}年{day.month}月{day.day}日"


def cn_day(value: date | datetime | str) -> str:
    """2026年1月21日（星期三）"""
    day = _as_date(value)
    return f"{cn_date(day)}（星期{WEEKDAYS[day.weekday()]}）"


def _period(moment: time) -> str:
    if moment.hour < 12:
        return "上午"
    if moment.hour == 12:
        return "中午"
    return "下午" if moment.hour < 18 else "晚上"


def _clock(moment: time) -> str:
    hour = moment.hour if moment.hour <= 12 else moment.hour - 12
    return f"{hour}:{moment.minute:02d}"


def cn_time(value: time | datetime | str) -> str:
    """上午9:00, 中午12:30, 下午2:00, 晚上7:00"""
    moment = _as_time(value)
    return f"{_period(moment)}{_clock(moment)}"


def cn_when(value: date | datetime | str, at: time | str | None = None) -> str:
    """2026年1月21日（星期三）上午9:00 (the time from `at`, or from a datetime)."""
    if at is None and isinstance(value, datetime):
        at = value.time()
    return cn_day(value) + (cn_time(at) if at is not None else "")


def cn_span(start: time | str, end: time | str) -> str:
    """上午9:00至11:30 within one part of the day, 上午9:00至下午4:30 across two."""
    first, last = _as_time(start), _as_time(end)
    tail = _clock(last) if _period(first) == _period(last) else cn_time(last)
    return f"{cn_time(first)}至{tail}"


def required(value: Any, what: str) -> Any:
    """The value itself, or `EmptyMessage` naming `what` when it is missing or empty."""
    if isinstance(value, Undefined) or value is None:
        raise EmptyMessage(what)
    if isinstance(value, str) and not value.strip():
        raise EmptyMessage(what)
    if hasattr(value, "__len__") and len(value) == 0:
        raise EmptyMessage(what)
    return value


@lru_cache(maxsize=8)
def _environment(directory: Path) -> Environment:
    """One Jinja2 environment per template directory (it caches compiled templates)."""
    environment = Environment(
        loader=FileSystemLoader(directory, encoding="utf-8"),
        undefined=StrictUndefined,
        # Plain-text messages: escaping would turn "&" into "&amp;" in a WeCom text.
        autoescape=False,
        # Block tags ({% if %}, {% for %}) then leave no stray blank lines or indentation.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters.update(
        cn_date=cn_date,
        cn_day=cn_day,
        cn_time=cn_time,
        cn_when=cn_when,
        cn_span=cn_span,
        required=required,
    )
    return environment


def template_names(directory: Path | None = None) -> list[str]:
    """Every message template of the directory (partials `_*.j2` left out), sorted."""
    folder = directory or TEMPLATES_DIR
    return sorted(p.stem for p in folder.glob("*.j2") if not p.name.startswith("_"))


def render(name: str, /, *, directory: Path | None = None, **context: Any) -> tuple[str, str]:
    """Render template `NAME.j2` and return (title, body).

    The first line of the rendered text is the title, everything after it (stripped) the body.
    `name` is positional-only so the context may have a variable called `name`; `directory`
    overrides the bundled template directory (tests use it). Raises
    `jinja2.UndefinedError` when the template uses a variable missing from `context`,
    `jinja2.TemplateNotFound` for an unknown name, `EmptyMessage` (a `ValueError`, in Chinese)
    when something the template requires is empty, and `ValueError` for an empty title.
    """
    template = _environment((directory or TEMPLATES_DIR).resolve()).get_template(f"{name}.j2")
    try:
        text = template.render(**context)
    except EmptyMessage as exc:
        raise EmptyMessage(f"通知内容不完整（缺少{exc}），未生成、未发送") from None
    title, _, body = text.partition("\n")
    title = title.strip()
    if not title:
        raise ValueError(f"template {name!r} rendered an empty title (its first line)")
    return title, body.strip()
