"""
Anchors: the events deadlines run from and conditions compare, as data.

An :class:`Anchor` is an incident instant (``discovered``, ``posted``), an
event type, or an event about a plan item (``action_done:reply``,
``overdue:reply+5wd``, ``grade_reached:major``, ``changed:casualties``),
possibly over several actions (``overdue:any(a,b)``).
"""

from __future__ import annotations

from typing import Literal

import attrs

from opinion_rules._validators import is_identifier
from opinion_rules.time._offsets import Offset, parse_offset


__all__ = [
    "BUILTIN_ANCHORS",
    "BUILTIN_EVENTS",
    "MULTI_ANCHORS",
    "REF_ANCHORS",
    "Anchor",
    "anchor_all",
    "anchor_any",
    "parse_anchor",
]

#: Anchor events the engine knows without the incident naming them.
BUILTIN_ANCHORS = ("discovered", "posted")
#: Anchor events that name a plan item after a colon: ``action_done:reply``.
REF_ANCHORS = {
    "action_done": "action",
    "overdue": "action",
    "grade_reached": "grade",
    "category_assigned": "category",
    "changed": "fact",
}
#: Event types every plan knows: the incident's own instants and the
#: generic events incidents record.
BUILTIN_EVENTS = (*BUILTIN_ANCHORS, "fact", "grade_asserted")


#: Anchors that may name several actions: ``overdue:any(a,b)``, ``action_done:all(a,b)``.
MULTI_ANCHORS = ("action_done", "overdue")
#: How a multi-action anchor combines its actions' instants.
Over = Literal["any", "all"]


def _refs(values: object) -> tuple[str, ...]:
    # Validated in Anchor._check_several: every member must be an action id.
    return tuple(values) if isinstance(values, list | tuple) else (str(values),)


@attrs.frozen
class Anchor:
    """
    The event a deadline runs from.

    Args:
        event: ``discovered`` (the incident's ``discovered_at``), ``posted``
            (``posted_at``), ``action_done`` (*ref* is an action: its first
            completion), ``overdue`` (*ref* is an action: the instant it
            became overdue, plus *late_by*), ``grade_reached`` (*ref* is a
            grade: when the incident first reached it or a higher one),
            ``category_assigned`` (*ref* is a category: when it first
            matched), ``changed`` (*ref* is a fact: each recorded change of
            its value, see below), or any event type the incident records,
            e.g. ``case_claimed`` or ``case_closed``.
        ref: The action, grade or category the event names.
        late_by: For ``overdue``: how late the other action must be, e.g.
            ``Offset(working_days=5)`` for "超过办理时限5个工作日".  The
            anchor happens only if the other action is still not done then.
        refs: For ``action_done`` and ``overdue`` over several actions
            (with *over*, instead of *ref*): the actions, at least two.
        over: ``any``: the first of *refs* to be done (or overdue), "任一办理
            事项逾期的"; ``all``: the instant the last of them is, once every
            one is.

    A deadline anchored on ``changed:<fact>`` ("伤亡人数发生变化的，应当及时补报")
    is owed once per change: each change at which the action's condition
    holds opens an occurrence, due by the deadline from that change and met
    by the first completion at or after it; a missed one stays missed.

    Whatever the anchor, an action's clock never starts before the moment its
    condition of application first held: an incident upgraded at 10:00
    starts the new grade's obligations at 10:00.

    Written as text: ``action_done:reply``, ``overdue:reply``,
    ``overdue:reply+5wd``, ``grade_reached:major``, ``overdue:any(reply,visit)``,
    ``action_done:all(reply,visit)``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.3.0 ``overdue``, ``grade_reached`` and
       ``category_assigned``; *action* became *ref*.
    .. versionchanged:: 0.6.0 *refs* and *over*: anchors over several actions.
    """

    event: str = attrs.field(validator=is_identifier)
    ref: str | None = attrs.field(default=None)
    late_by: Offset | None = attrs.field(default=None)
    refs: tuple[str, ...] = attrs.field(default=(), converter=_refs)
    over: Over | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        kind = REF_ANCHORS.get(self.event)
        if self.over is not None or self.refs:
            self._check_several()
        elif kind is not None:
            if self.ref is None:
                raise ValueError(
                    f"anchor {self.event!r} needs the {kind} it refers to "
                    f"(write '{self.event}:<{kind} id>')"
                )
            is_identifier(self, attrs.fields(Anchor).ref, self.ref)
        elif self.ref is not None:
            raise ValueError(
                f"only anchors {sorted(REF_ANCHORS)} name a plan item (got event {self.event!r})"
            )
        if self.late_by is not None:
            if self.event != "overdue":
                raise ValueError(f"'late_by' is only allowed on 'overdue' anchors (got {self})")
            if not isinstance(self.late_by, Offset) or self.late_by.is_zero():
                raise ValueError(f"'late_by' must be a non-zero Offset (got {self.late_by!r})")

    def _check_several(self) -> None:
        if self.event not in MULTI_ANCHORS:
            raise ValueError(
                f"only anchors {list(MULTI_ANCHORS)} may name several actions "
                f"(got event {self.event!r})"
            )
        if self.over not in ("any", "all"):
            raise ValueError(f"'over' must be 'any' or 'all' (got {self.over!r})")
        if self.ref is not None:
            raise ValueError("an anchor over several actions names them in 'refs', not 'ref'")
        if len(self.refs) < 2:
            raise ValueError(
                f"an anchor over several actions needs at least two (got {list(self.refs)!r})"
            )
        for ref in self.refs:
            if not isinstance(ref, str):
                raise TypeError(f"'refs' must hold action ids (got {ref!r})")
            is_identifier(self, attrs.fields(Anchor).refs, ref)
        if len(set(self.refs)) != len(self.refs):
            raise ValueError(f"'refs' names an action twice (got {list(self.refs)!r})")

    @property
    def action(self) -> str | None:
        """
        The action this anchor waits on (``action_done`` and ``overdue``
        on one action).
        """
        return self.ref if REF_ANCHORS.get(self.event) == "action" else None

    @property
    def items(self) -> tuple[str, ...]:
        """
        Every plan item the anchor names: *ref*, or all of *refs*.
        """
        return self.refs if self.over is not None else () if self.ref is None else (self.ref,)

    def __str__(self) -> str:
        late = "" if self.late_by is None else f"+{self.late_by.text()}"
        if self.over is not None:
            return f"{self.event}:{self.over}({','.join(self.refs)}){late}"
        if self.ref is None:
            return self.event
        return f"{self.event}:{self.ref}{late}"


def parse_anchor(text: str) -> Anchor:
    """
    Read an anchor written as text: ``discovered``, ``action_done:reply``,
    ``overdue:reply+5wd``, ``overdue:any(reply,visit)``.

    Raises:
        ValueError: if *text* is not of that form.
    """
    event, colon, rest = text.partition(":")
    if not colon:
        return Anchor(event)
    for over in ("any", "all"):
        if rest.startswith(f"{over}("):
            inner, close, after_close = rest[len(over) + 1 :].partition(")")
            if not close:
                raise ValueError(f"'{over}(' needs its ')' (got {text!r})")
            if after_close and not after_close.startswith("+"):
                raise ValueError(f"unexpected {after_close!r} after '{over}(...)'")
            refs = tuple(part.strip() for part in inner.split(","))
            late = after_close[1:]
            late_by = parse_offset(late) if after_close else None
            return Anchor(event, None, late_by, refs, over)
    ref, plus, late = rest.partition("+")
    return Anchor(event, ref, parse_offset(late) if plus else None)


def anchor_any(event: str, *actions: str, late_by: Offset | None = None) -> Anchor:
    """
    The first of *actions* to be done or overdue: ``anchor_any("overdue",
    "reply", "visit")`` for "任一办理事项逾期的".

    .. versionadded:: 0.6.0
    """
    return Anchor(event, None, late_by, actions, "any")


def anchor_all(event: str, *actions: str, late_by: Offset | None = None) -> Anchor:
    """
    The instant the last of *actions* is done or overdue, once every one is:
    ``anchor_all("action_done", "reply", "visit")`` for "各事项均办结后".

    .. versionadded:: 0.6.0
    """
    return Anchor(event, None, late_by, actions, "all")
