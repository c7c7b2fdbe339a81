"""
The names this module held before plan files were split into modules of
one concept each, for the importers not switched yet; remove it once
nothing imports it.
"""

from __future__ import annotations

from opinion_rules.planfile._loaders import load_plan_file, plan_places, read_plan_text
from opinion_rules.planfile._reader import nearest
from opinion_rules.planfile._schemas import build_plan_schema
from opinion_rules.planfile._sources import FORMATS, SUFFIXES
from opinion_rules.planfile._writer import dump_plan


__all__ = [
    "FORMATS",
    "SUFFIXES",
    "build_plan_schema",
    "dump_plan",
    "load_plan_file",
    "nearest",
    "plan_places",
    "read_plan_text",
]
