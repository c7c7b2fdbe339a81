"""
The fixed word lists of plan items and incident facts whose classes live at
the top level: the built-in channels an :class:`~opinion_rules.Action` may
use and the assertions an :class:`~opinion_rules.Observation` may carry; and
:class:`Term`, a word of a plan's own vocabulary (its channels, action kinds
and owner duties) with its labels.

The word lists of the other public modules stay with their classes
(:data:`opinion_rules.lifecycle.GRADE_DRIVERS`,
:data:`opinion_rules.results.STATUSES`, ...).
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._facts import ASSERTIONS
from opinion_rules.model._items import CHANNELS, Term


__all__ = ["ASSERTIONS", "CHANNELS", "Term"]

publish(__name__, globals(), __all__)
