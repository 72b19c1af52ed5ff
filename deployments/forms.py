"""How each deployment's run form reads in the Prefect UI: Chinese labels, no "None" branch,
the district profile's values filled in.

Prefect builds a run form from the flow's parameter schema. A flow's own parameters are titled
by their Python names and an optional one (`int | None`) shows a type switch; the models under
`models/params` already read in Chinese (`models.params.forms`). Here every deployment's schema
gets Chinese titles for the flow's own parameters, loses its null branches, and shows the
profile's value of each field left to the profile, so the clerk changes only what differs.
"""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment
from pydantic import BaseModel

from models.params.calendar import CalendarParameters
from models.params.forms import plain_property
from models.params.ideas import METHODS
from models.params.secondment import SecondmentParameters
from models.profile.schema import DistrictProfile

# Parameters that tests and the demo set, not a clerk (a date-time with a time-zone picker).
HIDDEN = frozenset({"now"})
# A flow's own parameter -> its label in a run form.
TITLES: dict[str, str] = {
    "params": "参数",
    "year": "年度",
    "today": "日期",
    "message_ids": "通知编号",
    "after_minutes": "超时（分钟）",
}
DESCRIPTIONS: dict[str, str] = {
    "year": "留空为当年",
    "today": "留空为当天（区情配置的时区）",
    "message_ids": "留空为全部待发送和发送失败的通知",
}


def _json_defaults(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """`values` as the form's JSON (a choice by its label), validated by the model."""
    dumped: dict[str, Any] = model.model_validate(values).model_dump(mode="json")
    return {key: dumped[key] for key in values}


def profile_defaults(profile: DistrictProfile) -> dict[str, dict[str, Any]]:
    """Per parameter model (its schema title): the profile's values of the fields left empty."""
    policy = profile.secondment
    return {
        "SecondmentParameters": _json_defaults(
            SecondmentParameters,
            {
                "quotas": profile.secondment_quotas(),
                "min_years": policy.min_years,
                "cooldown_years": policy.cooldown_years,
                "max_per_school": policy.max_per_school,
                "min_backbone_share": policy.min_backbone_share,
                "preference_bonus": policy.preference_bonus,
                "weights": policy.weights.model_dump(),
            },
        ),
        "CalendarParameters": _json_defaults(
            CalendarParameters,
            {
                "avoid_activity_week": profile.calendar.avoid_activity_week,
                "one_event_per_day": profile.calendar.one_event_per_day,
            },
        ),
        "ReviewParameters": {"method": METHODS.label(profile.ideas.calibration)},
        "CampaignParameters": {"seed": profile.ideas.seed},
    }


def clean_form(schema: dict[str, Any], defaults: dict[str, dict[str, Any]]) -> None:
    """Chinese titles, no null branches and the profile's defaults, in place."""
    properties: dict[str, Any] = schema.get("properties", {})
    for name in HIDDEN & set(properties):
        del properties[name]
    for name, prop in list(properties.items()):
        prop = plain_property(prop)
        if name in TITLES:
            prop["title"] = TITLES[name]
        if name in DESCRIPTIONS and "description" not in prop:
            prop["description"] = DESCRIPTIONS[name]
        properties[name] = prop
    definitions: dict[str, Any] = schema.get("definitions", {})
    for definition in definitions.values():  # a model without `form_schema` reads the same
        fields_of = definition.get("properties", {})
        for key, prop in list(fields_of.items()):
            fields_of[key] = plain_property(prop)
    for name, definition in definitions.items():
        for key, value in defaults.get(name, {}).items():
            if key in definition.get("properties", {}):
                definition["properties"][key]["default"] = value
    # A model parameter's own default (the model's Python defaults, None for "the profile's")
    # would fill the form with nulls: it starts from its fields' defaults instead.
    for prop in properties.values():
        ref = prop.get("$ref") or next(
            (b["$ref"] for b in prop.get("allOf", []) if "$ref" in b), ""
        )
        definition = definitions.get(ref.rsplit("/", 1)[-1]) if ref else None
        if definition is not None:
            fields = definition.get("properties", {})
            prop["default"] = {k: v["default"] for k, v in fields.items() if "default" in v}


def apply_forms(deployments: list[RunnerDeployment], profile: DistrictProfile) -> None:
    """Give every deployment's run form its Chinese labels and the profile's values."""
    defaults = profile_defaults(profile)
    defaults_of_flow = {
        "ideas-intake-sweeper": {"after_minutes": profile.ideas.sweep_after_minutes}
    }
    for deployment in deployments:
        schema = deployment._parameter_openapi_schema
        dumped = schema.model_dump()
        clean_form(dumped, defaults)
        for key, value in defaults_of_flow.get(deployment.flow_name or "", {}).items():
            dumped["properties"][key]["default"] = value
        deployment._parameter_openapi_schema = type(schema).model_validate(dumped)
