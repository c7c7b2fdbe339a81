"""
Conditions on the state of actions and on when things happened.

Plans make duties depend on other duties and on the order of events:
"经一次催办仍未办结" (a reminder seen, the matter not done), "在签批前升级"
(an upgrade before the sign-off), "自事故发生之日起30日内…发生变化的" (a change
within 30 days of the accident).  These leaves say so:

* :class:`ActionState`: an action is ``done`` or ``overdue`` at the instant
  the condition is read;
* :class:`Before`: one anchor happened, and strictly before another (or the
  other has not happened yet);
* :class:`Within`: the latest occurrence of an anchor lies within an offset
  of another anchor.

The operands are deadline :class:`~opinion_rules.model._deadlines.Anchor`\\ s,
so whatever a deadline can run from, a condition can compare:
``discovered``, ``action_done:reply``, ``overdue:any(a,b)``,
``grade_reached:major``, an event type, ``changed:casualties`` (each recorded
change of a fact).  They read actions and the grade, so they are allowed in
action conditions and owner routings only.  The engine computes them at
every change point (see :mod:`opinion_rules.engine._walk`); nothing here
evaluates anything.
"""

from __future__ import annotations

from typing import Literal

import attrs

from opinion_rules._validators import is_identifier
from opinion_rules.model._anchors import BUILTIN_EVENTS, REF_ANCHORS, Anchor, parse_anchor
from opinion_rules.time._offsets import Offset, parse_offset


__all__ = [
    "STATE_TYPES",
    "ActionState",
    "Before",
    "StateCondition",
    "Within",
    "anchors_of",
    "before",
    "done",
    "overdue",
    "state_events",
    "state_nodes",
    "within",
]

#: The states of an action a condition can test.
State = Literal["done", "overdue"]


def _to_anchor(value: Anchor | str) -> Anchor:
    return parse_anchor(value) if isinstance(value, str) else value


def _is_anchor(_inst: object, attribute: attrs.Attribute[Anchor], value: object) -> None:
    if not isinstance(value, Anchor):
        raise TypeError(f"'{attribute.name}' must be an Anchor or its text (got {value!r})")


@attrs.frozen(repr=False)
class ActionState:
    """
    Action *action* is in *state* at the instant the condition is read.

    ``done``
        its completion has been recorded: its first ``action_done`` event
        (for a continuing or recurring duty, the event that ended it);
    ``overdue``
        its status at that instant is ``overdue``: past its due time and not
        done, or a recurring occurrence missed.  Unknown while its due time
        needs a calendar year the plan lacks.

    "仍未办结" is ``not done(x)``.

    .. versionadded:: 0.6.0
    """

    action: str = attrs.field(validator=is_identifier)
    state: State = attrs.field()

    @state.validator
    def _check_state(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if value not in ("done", "overdue"):
            raise ValueError(f"'state' must be 'done' or 'overdue' (got {value!r})")

    def key(self) -> str:
        """
        The condition in the plan-file language, e.g. ``done(reply)``.
        """
        return f"{self.state}({self.action})"

    def __repr__(self) -> str:
        return f"<{self.key()}>"


@attrs.frozen(repr=False)
class Before:
    """
    *first* has happened, strictly before *second* (which may not have
    happened yet): "在签批前升级" is ``before(grade_reached:major, signed)``.

    Each anchor is its first instant, as for deadlines.  At the same
    instant, *first* is not before *second*.  Once *second* has happened
    without *first* before it, the condition is false for good.

    .. versionadded:: 0.6.0
    """

    first: Anchor = attrs.field(converter=_to_anchor, validator=_is_anchor)
    second: Anchor = attrs.field(converter=_to_anchor, validator=_is_anchor)

    def key(self) -> str:
        """
        The condition in the plan-file language.
        """
        return f"before({self.first}, {self.second})"

    def __repr__(self) -> str:
        return f"<{self.key()}>"


@attrs.frozen(repr=False)
class Within:
    """
    The latest occurrence of *event* so far lies within *offset* of *anchor*:
    at or after *anchor*'s instant and at or before *anchor* + *offset*
    ("自事故发生之日起30日内…发生变化的" is
    ``within(changed:casualties, occurred, 30d)``).

    An event type occurs at each of its events, ``changed:<fact>`` at each
    recorded change of the fact; other anchors occur once.  The end instant
    is counted like a deadline from *anchor* and is included.  Reading the
    latest occurrence makes the condition true at exactly the changes that
    fall in the window, so an action anchored on ``changed:<fact>`` with
    this condition owes one 补报 per change inside the window and none for
    a change after it.

    .. versionadded:: 0.6.0
    """

    event: Anchor = attrs.field(converter=_to_anchor, validator=_is_anchor)
    anchor: Anchor = attrs.field(converter=_to_anchor, validator=_is_anchor)
    offset: Offset = attrs.field(validator=attrs.validators.instance_of(Offset))

    def __attrs_post_init__(self) -> None:
        if self.offset.is_zero():
            raise ValueError("'offset' must be a non-zero period")
        if self.offset != parse_offset(self.offset.text()):
            raise ValueError(
                "a 'within' period is plain days, hours, minutes or working days "
                f"(no clock or day options; got {self.offset!r})"
            )

    def key(self) -> str:
        """
        The condition in the plan-file language.
        """
        return f"within({self.event}, {self.anchor}, {self.offset.text()})"

    def __repr__(self) -> str:
        return f"<{self.key()}>"


StateCondition = ActionState | Before | Within
STATE_TYPES = (ActionState, Before, Within)


def done(action_id: str) -> ActionState:
    """
    Hold once *action_id*'s completion is recorded; ``not_(done(x))`` is "仍未办结".

    .. versionadded:: 0.6.0
    """
    return ActionState(action_id, "done")


def overdue(action_id: str) -> ActionState:
    """
    Hold while *action_id* is overdue (past due and not done).

    .. versionadded:: 0.6.0
    """
    return ActionState(action_id, "overdue")


def before(first: Anchor | str, second: Anchor | str) -> Before:
    """
    Hold once *first* has happened strictly before *second*:
    ``before("grade_reached:major", "signed")`` for "在签批前升级".

    .. versionadded:: 0.6.0
    """
    return Before(first, second)


def within(event: Anchor | str, anchor: Anchor | str, offset: Offset | str) -> Within:
    """
    Hold while the latest *event* lies within *offset* of *anchor*:
    ``within("changed:casualties", "occurred", "30d")``.

    .. versionadded:: 0.6.0
    """
    period = offset if isinstance(offset, Offset) else parse_offset(offset)
    return Within(event, anchor, period)


def anchors_of(condition: StateCondition) -> tuple[Anchor, ...]:
    """
    The anchors *condition* reads (for an action state, its completion or
    lapse as an anchor).
    """
    match condition:
        case ActionState(action, state):
            event = "action_done" if state == "done" else "overdue"
            return (Anchor(event, action),)
        case Before(first, second):
            return (first, second)
        case Within(event, anchor, _offset):
            return (event, anchor)
    raise TypeError(f"not a state condition: {condition!r}")  # pragma: no cover


def state_events(condition: object) -> list[str]:
    """
    The incident event types the state conditions in *condition* name
    (anchors that are event types, not built-ins or plan items).
    """
    return [
        anchor.event
        for node in state_nodes(condition)
        for anchor in anchors_of(node)
        if anchor.event not in BUILTIN_EVENTS and anchor.event not in REF_ANCHORS
    ]


def state_nodes(condition: object) -> list[StateCondition]:
    """
    The state conditions in a condition tree (walked without importing it).
    """
    out: list[StateCondition] = []
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, STATE_TYPES):
            out.append(node)
        stack.extend(getattr(node, "items", ()))
        item = getattr(node, "item", None)
        if item is not None:
            stack.append(item)
    return out
