"""Forms a clerk fills: choices read in Chinese, optional fields without a "None" branch, and a
refusal of bad values in Chinese naming the field."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import pytest
from prefect._internal.pydantic.v2_schema import create_v2_schema
from pydantic import BaseModel, ValidationError

from models.params.cycle import AnnualCycleParameters
from models.params.ideas import IdeasSignOff, ReviewParameters
from models.params.secondment import SecondmentParameters, SecondmentSignOff
from models.refusal import describe_errors, refusal_from


def _forms() -> list[type[BaseModel]]:
    """Every parameter model and sign-off form under models/params (new ones included)."""
    import models.params

    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(models.params.__path__):
        module = importlib.import_module(f"models.params.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found[value.__name__] = value
    return [found[name] for name in sorted(found)]


FORMS = _forms()
LATIN_WORD = "abcdefghijklmnopqrstuvwxyz"


def _walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


@pytest.mark.parametrize("form", FORMS, ids=[f.__name__ for f in FORMS])
def test_every_form_reads_in_chinese_without_a_none_branch(form: type[BaseModel]) -> None:
    # the schema Prefect stores for a run form or a resume form
    schema = create_v2_schema(form.__name__, model_base=form)
    nodes = _walk(schema)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in schema["title"]), schema["title"]
    assert not any(node.get("type") == "null" for node in nodes), json.dumps(schema)
    for node in nodes:
        for value in node.get("enum", []):
            assert not any(ch in LATIN_WORD for ch in str(value).lower()), (form, value)
        if "enum" in node and "default" in node:
            assert node["default"] in node["enum"], (form, node)


def test_a_choice_takes_its_label_or_its_code_and_stores_its_label() -> None:
    by_label = SecondmentSignOff(decision="排除后重算", exclude_staff_ids=["T00001"])
    by_code = SecondmentSignOff(decision="exclude", exclude_staff_ids=["T00001"])
    assert by_label.decision == by_code.decision == "exclude"
    assert by_label.model_dump(mode="json")["decision"] == "排除后重算"
    assert AnnualCycleParameters(year=2026, skip=["金点子征集与评审"]).skip == ["ideas"]
    assert ReviewParameters(year=2026, approval="自动批准").approval == "auto"
    with pytest.raises(ValidationError):
        IdeasSignOff(decision="排除后重算")  # not a choice of this form


def test_bad_values_are_refused_in_chinese_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        SecondmentParameters(year=3000, min_years=-1, approval="maybe")
    lines = describe_errors(caught.value, SecondmentParameters)
    assert "「年度」：应不大于 2100（填的是 3000）" in lines
    assert "「最低教龄（年）」：应不小于 0（填的是 -1）" in lines
    assert any(line.startswith("「审批方式」：应为以下之一：") for line in lines)
    refusal = refusal_from(caught.value, SecondmentParameters)
    assert isinstance(refusal, ValueError) and str(refusal).count("「") == 3
