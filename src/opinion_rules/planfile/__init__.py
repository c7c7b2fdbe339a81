"""
Plan files: a response plan written as YAML, TOML or JSON, read into the
same model as the Python API with every problem located as
``file:line:column``, written back, and described by a JSON Schema.

Inside: located parsing (``_located``), the condition expression language
(``_expr``), one description per field kind (``_fields`` and the
``*_fields`` modules), the reader (``_reader``, ``_plan_reader``, with
``extends``), the writer (``_writer``), the schemas (``_schemas``), year
schedule files (``_schedules``) and the loaders (``_loaders``).
"""

from opinion_rules.planfile._loaders import LoadedPlan, load_plan, load_plan_with_places
from opinion_rules.planfile._schedules import load_year_schedule
from opinion_rules.planfile._schemas import incident_schema, plan_schema
from opinion_rules.planfile._writer import dump_plan


__all__ = [
    "LoadedPlan",
    "dump_plan",
    "incident_schema",
    "load_plan",
    "load_plan_with_places",
    "load_year_schedule",
    "plan_schema",
]
