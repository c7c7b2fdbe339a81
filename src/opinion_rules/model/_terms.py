"""
Terms and comparisons between two values of the incident:
"衍生话题热度超过原事件热度" (``heat_derived > heat_origin``),
"负面评论数超过总评论数的30%" (``negative > 0.3 * comments``).

Also the comparison operators every condition uses.  The operand classes
(:class:`~opinion_rules.conditions.MeasureRef` …) live in
:mod:`opinion_rules.model._conditions`; they take the mix-ins defined here,
so that ``measure("comments") * 0.3`` builds an :class:`Arithmetic`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any, Literal

import attrs


__all__ = [
    "ARITHMETIC",
    "CALL_ARGUMENTS",
    "NEGATED",
    "OPERATORS",
    "SYMBOLS",
    "TERM_OPERATORS",
    "Arithmetic",
    "Call",
    "CompareValues",
    "Op",
    "Term",
    "call",
    "calls",
    "term_nodes",
]

Op = Literal["gt", "ge", "lt", "le", "eq", "ne"]

#: Python functions for each comparison operator.
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}
#: The operator that is true exactly when the key is false.
NEGATED: dict[str, str] = {
    "gt": "le",
    "le": "gt",
    "ge": "lt",
    "lt": "ge",
    "eq": "ne",
    "ne": "eq",
}
SYMBOLS: dict[str, str] = {
    "gt": ">",
    "ge": ">=",
    "lt": "<",
    "le": "<=",
    "eq": "=",
    "ne": "!=",
}


def _is_op(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in OPERATORS:
        raise ValueError(f"'{attribute.name}' must be one of {sorted(OPERATORS)} (got {value!r})")


class _Arithmetic:
    """
    Term mix-in: ``measure("a") * 0.3`` or ``param("k") + 1`` builds an
    :class:`Arithmetic` term for :class:`CompareValues`.
    """

    #: Whether the value can be computed with (a grade's rank cannot).
    computable = True

    def _arith(self, op: str, other: object, *, reflected: bool = False) -> Arithmetic:
        if isinstance(other, bool) or not isinstance(other, int | float | _Arithmetic):
            return NotImplemented  # type: ignore[no-any-return]
        left, right = (other, self) if reflected else (self, other)
        return Arithmetic(op, left, right)

    def __add__(self, other: object) -> Arithmetic:
        return self._arith("add", other)

    def __radd__(self, other: object) -> Arithmetic:
        return self._arith("add", other, reflected=True)

    def __sub__(self, other: object) -> Arithmetic:
        return self._arith("sub", other)

    def __rsub__(self, other: object) -> Arithmetic:
        return self._arith("sub", other, reflected=True)

    def __mul__(self, other: object) -> Arithmetic:
        return self._arith("mul", other)

    def __rmul__(self, other: object) -> Arithmetic:
        return self._arith("mul", other, reflected=True)

    def __truediv__(self, other: object) -> Arithmetic:
        return self._arith("div", other)

    def __rtruediv__(self, other: object) -> Arithmetic:
        return self._arith("div", other, reflected=True)


class _Reference(_Arithmetic):
    """
    Marks the operands that are values of the incident: a measure, a fact.
    """


#: Arithmetic operators of terms, with their symbols.
ARITHMETIC: dict[str, str] = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
#: Most operators in one term: enough for any plan's ratio, small enough
#: that nothing walking a term can exhaust the stack.
TERM_OPERATORS = 16


def _is_term(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not (
        isinstance(value, int | float) or (isinstance(value, _Arithmetic) and value.computable)
    ):
        raise TypeError(
            f"'{attribute.name}' must be a number, a parameter, a measure, a fact or an "
            f"arithmetic term (got {value!r}, a {type(value).__name__})"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be finite (got {value!r})")


def _is_arithmetic_op(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ARITHMETIC:
        raise ValueError(f"'{attribute.name}' must be one of {sorted(ARITHMETIC)} (got {value!r})")


@attrs.frozen(repr=False)
class Arithmetic(_Arithmetic):
    """
    ``left op right`` over numbers, parameters, measures and number facts:
    the right side of a :class:`CompareValues` ("总评论数的30%" is
    ``0.3 * comments``).

    ``op`` is ``add``, ``sub``, ``mul`` or ``div``.  A term with an unknown
    value is unknown; one with a not-applicable fact is not applicable; a
    division by zero leaves the comparison unknown.  Build it with Python's
    operators: ``measure("comments") * 0.3``.

    .. versionadded:: 0.6.0
    """

    op: str = attrs.field(validator=_is_arithmetic_op)
    left: Term = attrs.field(validator=_is_term)
    right: Term = attrs.field(validator=_is_term)

    def __attrs_post_init__(self) -> None:
        if sum(1 for _ in term_nodes(self) if isinstance(_, Arithmetic)) > TERM_OPERATORS:
            raise ValueError(f"a term may have at most {TERM_OPERATORS} arithmetic operators")

    def __repr__(self) -> str:
        return f"({self.left!r} {ARITHMETIC[self.op]} {self.right!r})"


#: A term: a number, or a parameter, a measure, a number fact, a
#: :class:`Call` or an :class:`Arithmetic` (all of them :class:`_Arithmetic`).
Term = Any

#: Most arguments of one function call.
CALL_ARGUMENTS = 16


def _arguments(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _are_arguments(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if len(value) > CALL_ARGUMENTS:
        raise ValueError(f"a function call takes at most {CALL_ARGUMENTS} arguments")
    for item in value:
        _is_term(_inst, attribute, item)


@attrs.frozen(repr=False, order=False)
class Call(_Reference):
    """
    ``function(arg, …)``: the value a plug-in's named function
    (:class:`~opinion_rules.hookspecs.Function`) computes from measures,
    number facts, numbers and parameters, e.g. ``heat_index(clicks,
    reposts) > 80``.  Unknown while an argument is unknown; not applicable
    when one is.  Which plug-in provides *function* is settled when the
    plan is loaded or an engine is built with the plug-ins enabled.

    .. versionadded:: 0.6.0
    """

    function: str = attrs.field()
    args: tuple[Term, ...] = attrs.field(converter=_arguments, validator=_are_arguments)

    @function.validator
    def _check_function(self, _attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or not value.isidentifier() or not value.isascii():
            raise ValueError(f"'function' must be a function name (got {value!r})")

    @property
    def id(self) -> str:
        """The function's name (for messages that name what a term reads)."""
        return self.function

    def __repr__(self) -> str:
        return f"{self.function}({', '.join(map(repr, self.args))})"

    # Comparisons build conditions; equality stays structural (use eq/ne).
    def __gt__(self, value: object) -> CompareValues:
        return CompareValues(self, "gt", value)

    def __ge__(self, value: object) -> CompareValues:
        return CompareValues(self, "ge", value)

    def __lt__(self, value: object) -> CompareValues:
        return CompareValues(self, "lt", value)

    def __le__(self, value: object) -> CompareValues:
        return CompareValues(self, "le", value)

    def eq(self, value: object) -> CompareValues:
        """Build ``self == value``."""
        return CompareValues(self, "eq", value)

    def ne(self, value: object) -> CompareValues:
        """Build ``self != value``."""
        return CompareValues(self, "ne", value)


def call(function: str, *args: Term) -> Call:
    """
    Call the plug-in function *function* on *args*: ``call("heat_index",
    measure("clicks"), measure("reposts")) > 80``.

    .. versionadded:: 0.6.0
    """
    return Call(function, args)


def term_nodes(term: object) -> Iterable[object]:
    """
    *term* and every term below it, depth first (iterative).
    """
    stack = [term]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Arithmetic):
            stack.extend((node.right, node.left))
        elif isinstance(node, Call):
            stack.extend(reversed(node.args))


def calls(term: object) -> list[Call]:
    """
    The function calls in *term*, outermost first.
    """
    return [n for n in term_nodes(term) if isinstance(n, Call)]


def _is_number_operand(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, _Reference):
        raise TypeError(
            f"'{attribute.name}' must be a measure or a fact (got {value!r}, "
            f"a {type(value).__name__})"
        )


def _is_compared_term(inst: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    _is_term(inst, attribute, value)
    # A function call compares with constants too: Compare takes only a
    # measure, a fact or the grade on its left.
    if not isinstance(value, _Reference | Arithmetic) and not isinstance(inst.left, Call):
        raise TypeError(
            f"'{attribute.name}' must be a measure, a fact or an arithmetic term; compare "
            f"with a constant or a parameter with Compare (got {value!r})"
        )


@attrs.frozen(repr=False)
class CompareValues:
    """
    ``left op right``: two values of the incident compared, the right one
    possibly computed (a plug-in function's value may also be compared with
    a constant, ``heat_index(clicks, reposts) > 80``):
    "衍生话题热度超过原事件热度" is ``measure("heat_derived") >
    measure("heat_origin")``, "负面评论数超过总评论数的30%" is
    ``measure("negative") > measure("comments") * 0.3``.

    *left* is a measure or a number fact; *right* a measure, a number fact
    or an :class:`Arithmetic` term over them, numbers and parameters.  It is
    unknown while a value it reads is unknown (or a divisor is 0), and false
    when a fact it reads is not applicable.

    .. versionadded:: 0.6.0
    """

    left: Any = attrs.field(validator=_is_number_operand)
    op: Op = attrs.field(validator=_is_op)
    right: Term = attrs.field(validator=_is_compared_term)

    def refs(self) -> tuple[Any, ...]:
        """
        The measures and facts (``MeasureRef``, ``FactRef``) it reads, left
        first, each once (the arguments of function calls included).
        """
        out: list[Any] = []
        for node in (*term_nodes(self.left), *term_nodes(self.right)):
            if isinstance(node, _Reference) and not isinstance(node, Call) and node not in out:
                out.append(node)
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self.left!r} {SYMBOLS[self.op]} {self.right!r}>"
