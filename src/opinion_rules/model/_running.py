"""
Aggregates kept up to date as their members change, one member at a
time, for :mod:`opinion_rules.model._series_sweep`: each gives exactly
what the direct computation of :class:`~opinion_rules.model._series.SeriesIndex`
gives over the same members (the same number, of the same type).

A member is a series (or a post), named by a key; ``set`` replaces its
value and costs O(1) (O(log n) for :class:`Largest`).
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from fractions import Fraction
from typing import Any, Protocol

from opinion_rules.model._series import exact


__all__ = ["Largest", "Running", "Sites", "SitesAbove", "Total"]

Exact = Fraction | int


class Running(Protocol):
    """
    An aggregate over series: ``set`` a series' value (its amount in the
    window, or whether it was seen there), read the ``exact`` result.
    """

    def set(self, key: int, site: str | None, order: Any, value: Any, /) -> None: ...

    def exact(self) -> Exact: ...


def _is_fraction(value: object) -> bool:
    """
    ``isinstance(value, Fraction)``, with ints (most values) decided without
    the slower abstract-class check.
    """
    return type(value) is not int and isinstance(value, Fraction)


class Total:
    """
    The exact sum of the members: an ``int`` while every member is one, a
    :class:`~fractions.Fraction` once one is (as ``sum`` of them gives).
    """

    def __init__(self) -> None:
        self.now: dict[Hashable, Exact] = {}
        self._sum: Exact = 0
        self._fractions = 0

    def set(self, key: Hashable, _site: str | None, _order: Any, value: Exact, /) -> None:
        old = self.now.get(key, 0)
        self.now[key] = value
        self._sum += value - old
        self._fractions += _is_fraction(value) - _is_fraction(old)

    def discard(self, key: Hashable) -> None:
        old = self.now.pop(key, 0)
        self._sum -= old
        self._fractions -= _is_fraction(old)

    def exact(self) -> Exact:
        return Fraction(self._sum) if self._fractions else int(self._sum)


class Largest:
    """
    The largest member, the one first in *order* among equal ones (as
    ``max`` over the members in that order gives): a heap with lazy deletion.
    """

    def __init__(self) -> None:
        self.now: dict[Hashable, Any] = {}
        self._orders: dict[Hashable, Any] = {}
        self._heap: list[tuple[Any, Any, Hashable, Any]] = []

    def set(self, key: Hashable, _site: str | None, order: Any, value: Any, /) -> None:
        self.now[key] = value
        self._orders[key] = order
        heapq.heappush(self._heap, (-value, order, key, value))
        if len(self._heap) > 2 * len(self.now) + 64:
            self._compact()

    def discard(self, key: Hashable) -> None:
        self.now.pop(key, None)

    def _compact(self) -> None:
        self._heap = [(-v, self._orders[k], k, v) for k, v in self.now.items()]
        heapq.heapify(self._heap)

    def top(self) -> Any:
        """
        The largest member's value, ``None`` without members.
        """
        heap, now = self._heap, self.now
        while heap:
            _neg, _order, key, value = heap[0]
            if key in now and now[key] is value:
                return value
            heapq.heappop(heap)
        return None

    def exact(self) -> Exact:
        top = self.top()
        return 0 if top is None else top


class Sites:
    """
    How many sites have a member seen in the window.
    """

    def __init__(self) -> None:
        self._seen: dict[int, bool] = {}
        self._per_site: dict[str | None, int] = {}
        self._count = 0

    def set(self, key: int, site: str | None, _order: Any, value: bool, /) -> None:
        if self._seen.get(key, False) is value:
            return
        self._seen[key] = value
        before = self._per_site.get(site, 0)
        after = before + (1 if value else -1)
        self._per_site[site] = after
        self._count += (after > 0) - (before > 0)

    def exact(self) -> int:
        return self._count


class SitesAbove:
    """
    How many sites' members add up to more than *bar*.
    """

    def __init__(self, bar: float) -> None:
        self._bar = exact(bar)
        self._now: dict[int, Exact] = {}
        self._per_site: dict[str | None, Exact] = {}
        self._count = 0

    def set(self, key: int, site: str | None, _order: Any, value: Exact, /) -> None:
        old = self._now.get(key, 0)
        self._now[key] = value
        before = self._per_site.get(site, 0)
        after = before + value - old
        self._per_site[site] = after
        self._count += (after > self._bar) - (before > self._bar)

    def exact(self) -> int:
        return self._count
