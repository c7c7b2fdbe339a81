"""
An example opinion_rules plug-in, as a province's office would write one:

* ``heat_index(clicks, reposts, comments)``: a 热度指数 for conditions, with
  the weights stated below (an example, not any vendor's formula);
* ``top_site_share``: an aggregation for measures, the share of a window's
  total that the largest site holds (集中度);
* ``guangxi``: a working calendar, the national one plus the region's own
  days off for 壮族三月三;
* a listener that appends every status change as one JSON line to the
  file named by ``$OPINION_RULES_GUANGXI_NOTICES``.

Enable it by name (``--plugin guangxi``), never implicitly.
"""

from __future__ import annotations

from opinion_rules import hookimpl
from opinion_rules.hookspecs import Aggregation, Function
from opinion_rules_guangxi._calendar import GuangxiCalendar
from opinion_rules_guangxi._listener import (
    NOTICES,
    opinion_rules_action_changed,
    opinion_rules_assessed,
)
from opinion_rules_guangxi._measures import heat_index, top_site_share


__all__ = [
    "NOTICES",
    "GuangxiCalendar",
    "heat_index",
    "opinion_rules_action_changed",
    "opinion_rules_assessed",
    "top_site_share",
]
__version__ = "1.0.0"
#: The name plans require it by, also when a host passes the module itself.
opinion_rules_name = "guangxi"


@hookimpl
def opinion_rules_functions() -> list[Function]:
    return [
        Function(
            "heat_index",
            heat_index,
            args=("number", "number", "number"),
            doc="热度指数: 0.2 × clicks + 1 × reposts + 0.5 × comments (example weights)",
        )
    ]


@hookimpl
def opinion_rules_measures() -> list[Aggregation]:
    return [
        Aggregation(
            "top_site_share",
            top_site_share,
            doc="the largest site's share of the window's total, 0 to 1",
        )
    ]


@hookimpl
def opinion_rules_calendars() -> list[GuangxiCalendar]:
    return [GuangxiCalendar()]
