"""
Values an incident's initial facts may hold besides plain strings, numbers
and booleans: a :class:`Judgement`, the value of a judgement fact known when
the incident arrives, with who made it and in which role; and
:data:`NOT_APPLICABLE`, the value of a fact known not to apply ("未上榜").

:class:`~opinion_rules.Incident`, :class:`~opinion_rules.Event` and
:class:`~opinion_rules.Observation` are at the top level.  See
docs/reference/incident-format.md.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.model._judgements import Judgement
from opinion_rules.model._not_applicable import NOT_APPLICABLE, NotApplicable


__all__ = ["NOT_APPLICABLE", "Judgement", "NotApplicable"]

publish(__name__, globals(), __all__)
