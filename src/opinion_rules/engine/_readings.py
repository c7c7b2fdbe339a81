"""
The end of a duty that lasts until a run of readings ("连续5次监测增速低于
阈值即停止跟踪"): the instant of the reading that completes the run.
"""

from __future__ import annotations

from datetime import datetime

from opinion_rules.engine._timeline import _index
from opinion_rules.model._deadlines import Readings
from opinion_rules.model._facts import Incident
from opinion_rules.model._plan import Plan


__all__ = ["run_end"]


def run_end(
    plan: Plan, incident: Incident, at: datetime, readings: Readings, start: datetime
) -> datetime | None:
    """
    The first reading at or after *start* (and at or before *at*: only what
    was known then) that completes *readings*, or ``None``.

    A reading is an instant with an observation of the measure's metric on
    its channels (naming a post, for a per-post measure); at each, the
    measure's value must be known and strictly below ``readings.below``.
    An unknown value, or one not below, starts the count again.
    """
    measure = next(m for m in plan.measures if m.id == readings.measure)
    known = [o for o in incident.observations if o.at <= at]
    index = _index(known, incident.posted_at, plan.tz).get(measure.metric)
    if index is None:
        return None
    instants = sorted(
        {
            o.at
            for o in known
            if o.metric == measure.metric
            and o.at >= start
            and (not measure.channels or o.channel in measure.channels)
            and (measure.over != "posts" or o.post is not None)
        }
    )
    run = 0
    for instant in instants:
        value = index.value(measure, instant)
        run = run + 1 if value is not None and value < readings.below else 0
        if run >= readings.consecutive:
            return instant
    return None
