"""
The heat index and the top-site share.
"""

from __future__ import annotations

from collections.abc import Sequence

from opinion_rules.hookspecs import SeriesAmount


#: The weights of the heat index: an example an office would set from its
#: monitoring vendor's documentation, stated here so that results can be
#: checked by hand.
WEIGHTS = {"clicks": 0.2, "reposts": 1.0, "comments": 0.5}


def heat_index(clicks: float, reposts: float, comments: float) -> float:
    """
    热度指数 = 0.2 × clicks + 1 × reposts + 0.5 × comments.
    """
    return (
        WEIGHTS["clicks"] * clicks + WEIGHTS["reposts"] * reposts + WEIGHTS["comments"] * comments
    )


def top_site_share(series: Sequence[SeriesAmount]) -> float | None:
    """
    The largest site's share of the window's total (all series of one site
    added); unknown while the total is 0.
    """
    per_site: dict[str | None, float] = {}
    for s in series:
        per_site[s.site] = per_site.get(s.site, 0) + s.amount
    total = sum(per_site.values())
    if total <= 0:
        return None
    return max(per_site.values()) / total
