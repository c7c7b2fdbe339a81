"""
The plug-in contract: the hooks a custom rule module may implement, and the
values the provide-hooks return.

A plug-in is a module or object with functions marked
:data:`opinion_rules.hookimpl`, named like the hooks below; a package makes
it installable under the entry-point group ``opinion_rules.plugins``.  A host
enables plug-ins explicitly (``Engine(plan, plugins=[...])``,
``load_plan(path, plugins=[...])``, ``--plugin NAME``); a plan file only says
what it ``requires``.  See docs/how-to/write-a-plugin.md and
docs/reference/plugins.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._extending import Aggregation, Function, Requirement, SeriesAmount
from opinion_rules.plugins._hookspecs import (
    opinion_rules_action_changed,
    opinion_rules_assessed,
    opinion_rules_calendars,
    opinion_rules_functions,
    opinion_rules_lint,
    opinion_rules_measures,
)


__all__ = [
    "Aggregation",
    "Function",
    "Requirement",
    "SeriesAmount",
    "opinion_rules_action_changed",
    "opinion_rules_assessed",
    "opinion_rules_calendars",
    "opinion_rules_functions",
    "opinion_rules_lint",
    "opinion_rules_measures",
]

publish(__name__, globals(), __all__)
