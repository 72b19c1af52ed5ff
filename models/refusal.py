"""Refusals the rules foresee: an outcome with one Chinese reason, never a crash.

Every error a clerk can cause — a file that fails validation, an unknown person, a year outside
the range, quotas no placement can meet — derives from `Refusal`. Its text names what and where
in Chinese; the command line prints it and exits with status 1, a flow run shows it as an
artifact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError


class Refusal(ValueError):
    """A foreseen refusal; `str(exc)` is the clerk's reason in Chinese, naming what and where."""


# pydantic error type -> Chinese rule (filled from the error's context)
RULES: dict[str, str] = {
    "missing": "必须填写",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为“是”或“否”",
    "date_parsing": "应为日期（年-月-日）",
    "date_from_datetime_parsing": "应为日期（年-月-日）",
    "date_type": "应为日期（年-月-日）",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "最多 {max_length} 个字",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}",
    "less_than": "应小于 {lt}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "extra_forbidden": "不是可填写的项",
    "list_type": "应为一组值",
    "dict_type": "应为“名称: 数值”的对应表",
}


def _title(model: type[BaseModel] | None, loc: tuple[int | str, ...], label: str) -> str:
    """The Chinese title of the field at `loc` (its name when it has none)."""
    if not loc:
        return label
    name = str(loc[0])
    fields = getattr(model, "model_fields", {})
    field = fields.get(name)
    title = field.title if field is not None and field.title else name
    rest = "".join(f"[{part}]" for part in loc[1:])
    return f"「{title}」{rest}"


def _rule(error: Any) -> str:
    context = dict(error.get("ctx") or {})
    template = RULES.get(error["type"])
    if template is None:
        return "填写有误"
    if "expected" in context:
        context["expected"] = str(context["expected"]).replace("'", "").replace(" or ", "、")
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：: ")


def describe_errors(
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    *,
    where: str = "",
    label: str = "「参数」",
) -> list[str]:
    """Each problem of a validation error as a Chinese line.

    E.g. 「年度」：应不大于 2100（填的是 3000）. `label` names a value that is not a field.
    """
    lines: list[str] = []
    for error in exc.errors():
        given = error.get("input")
        shown = (
            f"（填的是 {given}）"
            if isinstance(given, (int, float, str)) and error["type"] != "missing"
            else ""
        )
        title = _title(model, tuple(error["loc"]), label)
        lines.append(f"{where}{title}：{_rule(error)}{shown}")
    return lines


def refusal_from(
    exc: ValidationError, model: type[BaseModel] | None = None, *, where: str = ""
) -> Refusal:
    """A `Refusal` naming every field a validation error found wrong."""
    return Refusal("；".join(describe_errors(exc, model, where=where)))


def joined(reasons: Iterable[str]) -> str:
    """Several reasons as one message, one a line."""
    return "\n".join(reasons)
