"""
Writing a plan as a plan file: each value by its field kind (see
:mod:`._fields`), defaults left out, in YAML, TOML or JSON; reading the text
back gives an equal plan.
"""

from __future__ import annotations

import json
from typing import Any

import tomli_w
import yaml

from opinion_rules.model._plan import Plan
from opinion_rules.planfile._fields import PLAN_REQUIRED, PLAN_SCALARS, SECTIONS
from opinion_rules.planfile._sources import FORMATS


__all__ = ["dump_plan", "plan_to_data"]


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """
    The plan as plain data in the file layout, defaults left out.
    """

    def scalar(key: str) -> Any:
        return PLAN_SCALARS[key].write(getattr(plan, key))

    out: dict[str, Any] = {
        key: scalar(key) for key in ("id", "title", "issuer", "version", "source", "timezone")
    }
    if plan.immediate_tolerance:
        out["immediate_tolerance"] = scalar("immediate_tolerance")
    for key in ("prompt_tolerance", "calendar", "day_end"):
        if getattr(plan, key) is not None:
            out[key] = scalar(key)
    if plan.metrics:
        out["metrics"] = list(plan.metrics)
    if not plan.grading.is_default():
        out["grading"] = scalar("grading")
    if plan.routing_mode != "first_match":
        out["routing_mode"] = scalar("routing_mode")
    if plan.base is not None:
        # A merged plan keeps where it came from (written out, not read as extends).
        out["base"] = plan.base
        out["local"] = sorted(plan.local)
    for key, section in SECTIONS.items():
        items = getattr(plan, key)
        if items or key in PLAN_REQUIRED:
            out[key] = [section.to_data(item) for item in items]
    return out


class _Dumper(yaml.SafeDumper):
    """
    Short lists of scalars in flow style (``owners: [a, b]``), the rest in
    block style, as a person would write them.
    """

    def represent_list(self, data: Any) -> yaml.SequenceNode:
        flow = all(isinstance(v, str | int | float) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    def represent_dict(self, data: Any) -> yaml.MappingNode:
        flow = all(isinstance(v, str | int | float) for v in data.values()) and (
            len(json.dumps(data, ensure_ascii=False)) < 70
        )
        return self.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(dict, _Dumper.represent_dict)


def dump_plan(plan: Plan, fmt: str = "yaml") -> str:
    """
    Write *plan* as a plan file in *fmt* (``yaml``, ``toml`` or ``json``);
    reading the text back gives an equal plan.

    .. versionadded:: 0.2.0
    """
    data = plan_to_data(plan)
    match fmt:
        case "yaml":
            return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        case "json":
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        case "toml":
            return tomli_w.dumps(data)
    raise ValueError(f"unknown plan file format {fmt!r}; expected one of {FORMATS}")
