"""
The table of plan-file field kinds (``planfile._fields``): every kind the
reader uses is described once, for reading, writing and the JSON Schema.
"""

from __future__ import annotations

import json
import re

from opinion_rules.planfile import plan_schema
from opinion_rules.planfile._fields import FIELD_KINDS, kinds_in_use
from opinion_rules.planfile._schemas import build_plan_schema


def test_every_field_kind_the_reader_uses_is_one_complete_table_entry():
    """Each kind the plan-file layout reaches is in FIELD_KINDS, once, with read, write, schema."""
    used = list(kinds_in_use())
    assert {kind.name for kind in used} == set(FIELD_KINDS)
    for kind in used:
        assert FIELD_KINDS[kind.name] is kind
        assert callable(kind.read)
        assert callable(kind.write)
        assert isinstance(kind.schema, dict)
        assert kind.schema
    refs = set(re.findall(r'"#/\$defs/(\w+)"', json.dumps(build_plan_schema())))
    assert refs == set(build_plan_schema()["$defs"])


def test_the_generated_schema_is_a_fresh_copy():
    """Changing one generated schema changes neither the next one nor the field kinds."""
    first = build_plan_schema()
    first["$defs"]["clause"]["required"].append("x")
    first["properties"]["grades"]["items"]["properties"].clear()
    assert plan_schema() == build_plan_schema()
