"""How parameters and sign-off inputs read in the Prefect UI's forms (and at the terminal).

Prefect renders a form from a JSON schema: an `enum` becomes a select showing the raw values,
and an optional field (`int | None`) a type switch with a "None" branch. So a choice keeps its
code in Python (`approval == "auto"`) and reads in Chinese in JSON — the schema's `enum`, the
stored parameters, a resume form's answer — and `form_schema` drops the null branch of optional
fields (an empty field means "the district profile's value").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticUndefined, core_schema

NULL = {"type": "null"}


class Choice:
    """Annotate a `Literal` of codes with their Chinese labels: `Annotated[Literal[...], Choice]`.

    Validation takes a code or its label; JSON (schema, serialised values) uses the label.
    """

    def __init__(self, labels: Mapping[str, str]) -> None:
        self.labels = dict(labels)
        self.codes = {label: code for code, label in self.labels.items()}

    def code(self, value: Any) -> Any:
        return self.codes.get(value, value) if isinstance(value, str) else value

    def label(self, value: Any) -> Any:
        return self.labels.get(value, value) if isinstance(value, str) else value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            self.code,
            handler(source),
            serialization=core_schema.plain_serializer_function_ser_schema(
                self._serialise, info_arg=True
            ),
        )

    def _serialise(self, value: Any, info: core_schema.SerializationInfo) -> Any:
        return self.label(value) if info.mode == "json" else value

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.labels.values())}


def field_choice(field: FieldInfo) -> Choice | None:
    """The `Choice` of a model field (or of its list items), if any."""
    for meta in field.metadata:
        if isinstance(meta, Choice):
            return meta
    for item in getattr(field.annotation, "__args__", ()):
        for meta in getattr(item, "__metadata__", ()):
            if isinstance(meta, Choice):
                return meta
    return None


def plain_property(prop: dict[str, Any]) -> dict[str, Any]:
    """An optional property without its null branch: `int | None` reads as an integer field.

    A model reference stays a reference (`allOf`, as Prefect's forms expect); a default of
    None is dropped (the field is then empty, meaning "the profile's value").
    """
    branches = prop.get("anyOf")
    if not isinstance(branches, list) or NULL not in branches:
        return prop
    others = [b for b in branches if b != NULL]
    cleaned = {k: v for k, v in prop.items() if k != "anyOf"}
    if len(others) == 1:
        only = others[0]
        cleaned.update({"allOf": [only]} if "$ref" in only else only)
    else:
        cleaned["anyOf"] = others
    if cleaned.get("default", 0) is None:
        del cleaned["default"]
    return cleaned


def form_schema(schema: dict[str, Any], model: type[Any] | None = None) -> None:
    """Make a model's JSON schema a clean form, in place (pydantic's `json_schema_extra`).

    Optional properties lose their null branch; a choice's default reads as its label.
    """
    properties: dict[str, Any] = schema.get("properties", {})
    for name, prop in list(properties.items()):
        properties[name] = plain_property(prop)
    fields: dict[str, FieldInfo] = getattr(model, "model_fields", {})
    for name, field in fields.items():
        key = field.alias or name
        if key not in properties or field.default in (None, PydanticUndefined):
            continue
        if field_choice(field) is None:
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(field.rebuild_annotation())
        properties[key]["default"] = adapter.dump_python(field.default, mode="json")
