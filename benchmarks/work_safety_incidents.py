"""
Generated incidents for the work-safety plan and its 2025 revision: the
load of ``bench_backtest.py`` and of the back-testing tests.

``incident(seed, number)`` builds one incident in the interchange format
(``docs/reference/incident-format.md``) from nothing but the seed and its
number, so any range of numbers can be generated anywhere, in any order, and
the same seed always gives the same incidents; ``incidents(seed, count,
start=0)`` yields a range of them.

Each incident is small, as back-testing a long history mostly is: a Weibo
repost count (metric ``reposts``, channel ``weibo``, one to three cumulative
snapshots), on about half of them click counts on one or two sites (metric
``clicks``, one or two snapshots each), a netizen concern (``inquiry``,
``doubt``, ``demand``, ``other`` or not known) and a ``subsided`` event last.
Everything happens within 20 hours of ``posted_at`` (given), so the rolling
"1天内" click counts are plain sums of the latest snapshots.  The final repost
counts are spread log-uniformly from 1 to 700 and the final click totals from
1 to 60,000, so every grade of the plan, and the band that the revision moves
(more than 80 reposts, not more than 100), are well represented.

The incidents are plain ``dict`` objects, ready for ``json.dumps``,
``opinion_rules.Incident.from_dict`` or a JSON Lines file.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any


CST = timezone(timedelta(hours=8))
#: Incidents are posted in 2023 and 2024, the two years before the revision.
START = datetime(2023, 1, 1, tzinfo=CST)
SPAN_MINUTES = 2 * 365 * 24 * 60
CONCERNS = ("inquiry", "doubt", "demand", "other", None)
CLICK_SITES = ("bbs.example.cn", "news.example.com", "tieba.example.cn")
#: Every observation is at least this long after posting, and at most this.
FIRST_MINUTE, LAST_MINUTE = 10, 20 * 60


def _log_uniform(rng: random.Random, top: int) -> int:
    """An integer from 1 to *top*, spread evenly on a log scale."""
    return max(1, int(math.exp(rng.uniform(0.0, math.log(top)))))


def _rising(rng: random.Random, final: int, instants: list[datetime]) -> list[tuple[datetime, int]]:
    """Cumulative snapshots at *instants* (sorted), rising to *final* at the last."""
    values = sorted(rng.randint(0, final) for _ in instants[:-1])
    return list(zip(instants, [*values, final], strict=True))


def _instants(rng: random.Random, posted: datetime, count: int) -> list[datetime]:
    """*count* distinct whole minutes after *posted*, sorted."""
    minutes = rng.sample(range(FIRST_MINUTE, LAST_MINUTE), count)
    return [posted + timedelta(minutes=m) for m in sorted(minutes)]


def _observation(at: datetime, metric: str, value: int, site: str, channel: str) -> dict[str, Any]:
    return {
        "at": at.isoformat(),
        "metric": metric,
        "value": value,
        "site": site,
        "channel": channel,
    }


def incident(seed: int, number: int) -> dict[str, Any]:
    """
    Incident *number* of the sequence *seed*, in the interchange format.
    """
    rng = random.Random(seed * 1_000_003 + number)
    posted = START + timedelta(minutes=rng.randrange(SPAN_MINUTES))
    discovered = posted + timedelta(minutes=rng.randrange(0, 120))
    observations = [
        _observation(at, "reposts", value, "weibo.com", "weibo")
        for at, value in _rising(
            rng, _log_uniform(rng, 700), _instants(rng, posted, rng.randint(1, 3))
        )
    ]
    if rng.random() < 0.5:
        for site in rng.sample(CLICK_SITES, rng.randint(1, 2)):
            top = _log_uniform(rng, 60_000)
            for at, value in _rising(rng, top, _instants(rng, posted, rng.randint(1, 2))):
                observations.append(_observation(at, "clicks", value, site, "forum"))
    observations.sort(key=lambda o: o["at"])
    last = max(datetime.fromisoformat(o["at"]) for o in observations)
    data: dict[str, Any] = {
        "id": f"GEN-{seed}-{number:07d}",
        "posted_at": posted.isoformat(),
        "discovered_at": discovered.isoformat(),
        "observations": observations,
        "events": [
            {
                "at": (max(last, discovered) + timedelta(minutes=rng.randint(1, 59))).isoformat(),
                "type": "subsided",
            }
        ],
    }
    concern = rng.choice(CONCERNS)
    if concern is not None:
        data["facts"] = {"netizen_concern": concern}
    return data


def incidents(seed: int, count: int, start: int = 0) -> Iterator[dict[str, Any]]:
    """
    Incidents *start* to *start* + *count* - 1 of the sequence *seed*.
    """
    for number in range(start, start + count):
        yield incident(seed, number)
