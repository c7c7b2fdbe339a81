"""
The condition language of plan files: parsed here, never run as Python.

``sites_1d >= 2 and clicks_1d > 1000 or reposts > 100`` becomes the same
condition tree the Python API builds.  :func:`to_text` writes a tree back so
that parsing the text gives an equal tree (``load → dump → load``).

Grammar (``not`` binds tightest, then ``and``, then ``or``)::

    expr    := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | atom
    atom    := "(" expr ")" | "always" | "seen" "(" NAME ")"
             | "category" "(" NAME ")" | ("all" | "any") "(" expr ("," expr)* ")"
             | operand OP value | operand "in" "[" value ("," value)* "]"
             | operand OP sum               (two values compared: CompareValues)
             | ("done" | "overdue") "(" NAME ")" | "before" "(" ANCHOR "," ANCHOR ")"
             | "within" "(" ANCHOR "," ANCHOR "," PERIOD ")"   (ANCHOR as deadlines write it)
    operand := "grade" | NAME | call     (a measure or a fact the plan declares)
    value   := NUMBER | STRING | "true" | "false" | NAME | "$" NAME
    sum     := product (("+" | "-") product)*
    product := factor (("*" | "/") factor)*
    factor  := NUMBER | "$" NAME | NAME | call | "(" sum ")"
    call    := NAME "(" [sum ("," sum)*] ")"   (a plug-in function: CompareValues)
    OP      := ">" | ">=" | "<" | "<=" | "==" | "!="

After a measure or a number fact, a NAME on the right that the plan
declares as a measure or a fact is that value (``heat_derived >
heat_origin``); any arithmetic (``negative > 0.3 * comments``) makes the
comparison a :class:`~opinion_rules.conditions.CompareValues`.  A lone
constant or ``$parameter`` stays a :class:`~opinion_rules.conditions.Compare`.
A divisor that is 0 leaves the comparison unknown (lint warns about it).

Nesting is bounded (:data:`~._limits.CONDITION_DEPTH`): both the open
parentheses, ``not`` and ``all(``/``any(`` at any point of the text, and the
``and``/``or``/``not`` levels of the tree built, so that no deep input can
exhaust the stack here or in anything that walks the tree later.  Names in
``seen(...)``, ``category(...)`` and ``$parameter`` must be identifiers, and
numbers finite and at most :data:`~._limits.NUMBER_CHARACTERS` long; every
problem is an :class:`ExpressionError` with its character offset.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence

from opinion_rules._limits import CONDITION_DEPTH, NUMBER_CHARACTERS
from opinion_rules._suggest import expected_names
from opinion_rules.model._anchors import Anchor, parse_anchor
from opinion_rules.model._conditions import (
    AllOf,
    Always,
    AnyOf,
    Arithmetic,
    CategoryIs,
    Compare,
    CompareValues,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    Operand,
    Param,
    Term,
)
from opinion_rules.model._state_conditions import ActionState, Before, Within
from opinion_rules.model._terms import Call
from opinion_rules.planfile._expr_text import KEYWORDS, OPS, to_text, value_text
from opinion_rules.planfile._located import text_problem
from opinion_rules.time._offsets import parse_offset


__all__ = ["ExpressionError", "parse_condition", "to_text"]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<period>(?:[0-9]+(?:wd|d|h|m))+)(?![\w.])
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'[^']*')
    | (?P<op>>=|<=|==|!=|>|<|=)
    | (?P<arith>[-+*/])
    | (?P<punct>[()\[\],])
    | (?P<param>\$[^\W\d]\w*)
    | (?P<anchor>[^\W\d]\w*:(?:(?:any|all)\([\w\s,]*\)|[^\W\d]\w*)(?:\+[0-9A-Za-z]+)?)
    | (?P<name>[^\W\d]\w*)
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
#: Words that open a state condition when followed by '(' (not reserved otherwise).
_STATE_WORDS = ("done", "overdue", "before", "within")
_OPS = OPS
_KEYWORDS = KEYWORDS
# What the model accepts as an id (see _validators.is_identifier).
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_IDENTIFIER_FORM = "an identifier: a letter, then letters, digits or '_'"


class ExpressionError(Exception):
    """
    The expression cannot be parsed; *offset* is the 0-based character.
    """

    def __init__(self, message: str, offset: int, expected: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.expected = expected


class _Token:
    __slots__ = ("kind", "offset", "text")

    def __init__(self, kind: str, text: str, offset: int) -> None:
        self.kind = kind
        self.text = text
        self.offset = offset


def _tokens(text: str) -> list[_Token]:
    out = []
    index = 0
    while index < len(text):
        match = _TOKEN.match(text, index)
        if match is None or match.lastgroup is None:  # only trailing whitespace is left
            break
        kind = match.lastgroup
        token = _Token(kind, match.group(kind), match.start(kind))
        if kind == "bad":
            raise ExpressionError(f"unexpected character {token.text!r}", token.offset)
        if kind == "op" and token.text == "=":
            raise ExpressionError("'=' is not an operator", token.offset, "'==' to compare")
        out.append(token)
        index = match.end()
    out.append(_Token("end", "", len(text)))
    return out


def parse_condition(
    text: str,
    measures: Mapping[str, object],
    facts: Mapping[str, object],
    *,
    depth: int = 0,
) -> Condition:
    """
    Parse *text*; bare names resolve to the plan's *measures* or *facts*.

    *depth* is how many levels the condition is already nested in (a
    ``{not: ...}`` or ``{all: [...]}`` around it in a plan file); the text
    may use the rest of :data:`~._limits.CONDITION_DEPTH`.

    Raises:
        ExpressionError: for the first problem, with its character offset.
    """
    parser = _Parser(_tokens(text), measures, facts, CONDITION_DEPTH - depth)
    try:
        return parser.parse()
    except (TypeError, ValueError) as exc:  # a model class refused a value
        raise ExpressionError(str(exc), parser.token.offset) from None


def _too_deep(offset: int) -> ExpressionError:
    return ExpressionError(
        f"the condition nests deeper than {CONDITION_DEPTH} levels",
        offset,
        f"at most {CONDITION_DEPTH} levels of all, any, not, and, or and parentheses",
    )


class _Parser:
    def __init__(
        self,
        tokens: list[_Token],
        measures: Mapping[str, object],
        facts: Mapping[str, object],
        limit: int,
    ) -> None:
        self.tokens = tokens
        self.position = 0
        self.measures = measures
        self.facts = facts
        self.limit = limit
        # Open parentheses, 'not', 'all(' and 'any(' around the current token.
        self.nesting = 0
        # Levels of and/or/not below each composite built (by id; the tree
        # keeps them alive while parsing).
        self.depths: dict[int, int] = {}

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > self.limit:
            raise _too_deep(token.offset)

    def leave(self) -> None:
        self.nesting -= 1

    def composite(self, node: Condition, items: Sequence[Condition], offset: int) -> Condition:
        depth = 1 + max(self.depths.get(id(item), 0) for item in items)
        if depth > self.limit:
            raise _too_deep(offset)
        self.depths[id(node)] = depth
        return node

    @property
    def token(self) -> _Token:
        return self.tokens[self.position]

    def advance(self) -> _Token:
        token = self.token
        self.position += 1
        return token

    def is_word(self, word: str) -> bool:
        return self.token.kind == "name" and self.token.text == word

    def expect(self, text: str) -> _Token:
        if self.token.text != text or self.token.kind == "string":
            raise self.unexpected(f"'{text}'")
        return self.advance()

    def unexpected(self, expected: str) -> ExpressionError:
        token = self.token
        found = "end of the expression" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"unexpected {found}", token.offset, expected)

    def parse(self) -> Condition:
        if self.token.kind == "end":
            raise ExpressionError("the condition is empty", 0, "a condition such as 'clicks > 1'")
        condition = self.disjunction()
        if self.token.kind != "end":
            raise self.unexpected("'and', 'or' or the end of the condition")
        return condition

    def chain(self, word: str, item: Callable[[], Condition]) -> list[Condition]:
        items = [item()]
        while self.is_word(word):
            self.advance()
            items.append(item())
        return items

    def disjunction(self) -> Condition:
        offset = self.token.offset
        items = self.chain("or", self.conjunction)
        return items[0] if len(items) == 1 else self.composite(AnyOf(tuple(items)), items, offset)

    def conjunction(self) -> Condition:
        offset = self.token.offset
        items = self.chain("and", self.unary)
        return items[0] if len(items) == 1 else self.composite(AllOf(tuple(items)), items, offset)

    def unary(self) -> Condition:
        if self.is_word("not"):
            token = self.advance()
            self.enter(token)
            item = self.unary()
            self.leave()
            return self.composite(Not(item), (item,), token.offset)
        return self.atom()

    def atom(self) -> Condition:
        token = self.token
        if token.kind == "punct" and token.text == "(":
            self.enter(self.advance())
            inner = self.disjunction()
            self.expect(")")
            self.leave()
            return inner
        if token.kind != "name":
            raise self.unexpected("a condition (a name, 'not', '(' …)")
        if token.text == "always":
            self.advance()
            return Always()
        if token.text in ("seen", "category"):
            self.advance()
            self.expect("(")
            name = self.name()
            self.expect(")")
            return EventSeen(name) if token.text == "seen" else CategoryIs(name)
        if token.text in _STATE_WORDS and self.tokens[self.position + 1].text == "(":
            return self.state(token)
        if token.text in ("all", "any") and self.tokens[self.position + 1].text == "(":
            self.advance()
            self.enter(self.expect("("))
            items = [self.disjunction()]
            while self.token.text == ",":
                self.advance()
                items.append(self.disjunction())
            self.expect(")")
            self.leave()
            node = AllOf(tuple(items)) if token.text == "all" else AnyOf(tuple(items))
            return self.composite(node, items, token.offset)
        operand = self.operand()
        if self.is_word("in") and not isinstance(operand, Call):
            self.advance()
            self.expect("[")
            values = [self.value()]
            while self.token.text == ",":
                self.advance()
                values.append(self.value())
            self.expect("]")
            return OneOf(operand, tuple(values))
        if self.token.kind != "op":
            raise self.unexpected("a comparison: >, >=, <, <=, ==, != or 'in'")
        op = _OPS[self.advance().text]
        right = self.sum(self.numeric(operand))
        if isinstance(right, MeasureRef | FactRef | Arithmetic | Call) or isinstance(operand, Call):
            return CompareValues(operand, op, right)  # type: ignore[arg-type]
        return Compare(operand, op, right)  # type: ignore[arg-type]

    def numeric(self, operand: Operand | Call) -> bool:
        """
        Whether names on the right of *operand* may be measures and facts
        (not bare words): after a measure, a function call, or a fact not
        declared as text, bool or enum.
        """
        if isinstance(operand, MeasureRef | Call):
            return True
        if isinstance(operand, FactRef):
            return _declared_type(self.facts.get(operand.id)) in (None, "number")
        return False

    def sum(self, numeric: bool) -> Term | int | float | str | bool | Param:
        left = self.product(numeric)
        while self.token.kind in ("arith", "number") and self.token.text[0] in "+-":
            op = "add" if self.token.text == "+" else "sub"
            self.split_sign()
            left = Arithmetic(op, self.arithmetic(left), self.arithmetic(self.product(numeric)))
        return left

    def split_sign(self) -> None:
        """
        Step over a '+' or '-'; a number read with its sign ("a -1") loses it.
        """
        token = self.token
        if token.kind == "number":
            token.kind, token.text, token.offset = "number", token.text[1:], token.offset + 1
        else:
            self.advance()

    def product(self, numeric: bool) -> Term | int | float | str | bool | Param:
        left = self.factor(numeric)
        while self.token.kind == "arith" and self.token.text in "*/":
            token = self.advance()
            right = self.arithmetic(self.factor(numeric))
            left = Arithmetic("mul" if token.text == "*" else "div", self.arithmetic(left), right)
        return left

    def arithmetic(self, term: object) -> Term:
        if isinstance(term, bool) or not isinstance(
            term, int | float | Param | MeasureRef | FactRef | Arithmetic | Call
        ):
            raise ExpressionError(
                f"{value_text(term)} cannot be computed with",
                self.tokens[self.position - 1].offset,
                "a number, a $parameter, a measure or a number fact",
            )
        return term

    def factor(self, numeric: bool) -> Term | int | float | str | bool | Param:
        token = self.token
        if token.kind == "punct" and token.text == "(":
            self.enter(self.advance())
            inner = self.sum(numeric)
            self.expect(")")
            self.leave()
            return inner
        if self.at_call():
            return self.call()
        named = token.text in self.measures or token.text in self.facts
        if numeric and token.kind == "name" and token.text not in _KEYWORDS and named:
            return self.operand()  # never grade here
        return self.value()

    def state(self, token: _Token) -> Condition:
        """
        ``done(x)``, ``overdue(x)``, ``before(a, b)``, ``within(e, a, 30d)``.
        """
        self.advance()
        self.expect("(")
        condition: Condition
        if token.text in ("done", "overdue"):
            condition = ActionState(self.name(), token.text)  # type: ignore[arg-type]
        else:
            first = self.anchor()
            self.expect(",")
            second = self.anchor()
            if token.text == "before":
                condition = Before(first, second)
            else:
                self.expect(",")
                if self.token.kind != "period":
                    raise self.unexpected("a period such as 30d, 5wd or 2h")
                condition = Within(first, second, parse_offset(self.advance().text))
        self.expect(")")
        return condition

    def anchor(self) -> Anchor:
        token = self.token
        if token.kind not in ("anchor", "name") or token.text in _KEYWORDS:
            raise self.unexpected(
                "an anchor: an event type, action_done:<action>, changed:<fact> …"
            )
        self.advance()
        try:
            return parse_anchor(token.text)
        except ValueError as exc:
            raise ExpressionError(
                str(exc), token.offset, "an anchor as deadlines write it"
            ) from None

    def name(self) -> str:
        if self.token.kind != "name" or self.token.text in _KEYWORDS:
            raise self.unexpected("a name")
        token = self.advance()
        if not _IDENTIFIER.match(token.text):
            raise ExpressionError(
                f"{token.text!r} is not an identifier", token.offset, _IDENTIFIER_FORM
            )
        return token.text

    def at_call(self) -> bool:
        """
        Whether a function call starts here: a name that is not a keyword,
        then '('.
        """
        token = self.token
        return (
            token.kind == "name"
            and token.text not in _KEYWORDS
            and self.tokens[self.position + 1].text == "("
        )

    def call(self) -> Call:
        """
        ``name(sum, …)``: a plug-in function applied to terms.
        """
        name = self.name()
        self.enter(self.expect("("))
        args: list[Term] = []
        if self.token.text != ")":
            args.append(self.arithmetic(self.sum(True)))
            while self.token.text == ",":
                self.advance()
                args.append(self.arithmetic(self.sum(True)))
        self.expect(")")
        self.leave()
        return Call(name, tuple(args))

    def operand(self) -> Operand | Call:
        if self.at_call():
            return self.call()
        token = self.advance()
        if token.text == "grade":
            return GradeRef()
        if token.text in _KEYWORDS:
            self.position -= 1
            raise self.unexpected("a measure, a fact or 'grade'")
        is_measure, is_fact = token.text in self.measures, token.text in self.facts
        if is_measure and is_fact:
            raise ExpressionError(
                f"{token.text!r} is both a measure and a fact", token.offset, "distinct ids"
            )
        if is_measure:
            return MeasureRef(token.text)
        if is_fact:
            return FactRef(token.text)
        known = [*self.measures, *self.facts, "grade"]
        raise ExpressionError(
            f"unknown name {token.text!r}",
            token.offset,
            f"a measure, a fact or 'grade': {expected_names(token.text, known)}",
        )

    def value(self) -> int | float | str | Param:
        token = self.advance()
        match token.kind:
            case "number":
                return _number(token)
            case "string":
                return _string(token)
            case "param":
                if not _IDENTIFIER.match(token.text[1:]):
                    raise ExpressionError(
                        f"{token.text!r} is not a parameter name",
                        token.offset,
                        f"'$' and {_IDENTIFIER_FORM}",
                    )
                return Param(token.text[1:])
            case "name" if token.text in ("true", "false"):
                return token.text == "true"
            case "name" if token.text not in _KEYWORDS:
                return token.text
        self.position -= 1
        raise self.unexpected('a value: a number, a word, "text", true, false or $parameter')


def _declared_type(spec: object) -> object:
    """
    The ``type`` a fact declares: from a :class:`FactSpec`, or from the
    plan file's node; ``None`` when *spec* says nothing about it.
    """
    kind = getattr(spec, "type", None)
    if isinstance(kind, str):
        return kind
    value = getattr(spec, "value", None)
    if isinstance(value, dict):
        node = value.get("type")
        return getattr(node, "value", "text") if node is not None else "text"
    return None


def _number(token: _Token) -> int | float:
    text = token.text
    if len(text) > NUMBER_CHARACTERS:
        raise ExpressionError(
            f"the number has more than {NUMBER_CHARACTERS} characters",
            token.offset,
            f"a number of at most {NUMBER_CHARACTERS} characters",
        )
    if not any(c in text for c in ".eE"):
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ExpressionError(
            "the number is too large", token.offset, "a number a float can hold (below 1e308)"
        )
    return value


def _string(token: _Token) -> str:
    if token.text.startswith("'"):
        value = token.text[1:-1]
    else:
        try:
            value = str(json.loads(token.text))
        except json.JSONDecodeError:
            raise ExpressionError(
                "bad escape in a string", token.offset, 'JSON escapes such as \\"'
            ) from None
    problem = text_problem(value)
    if problem is not None:
        raise ExpressionError(f"the string {problem}", token.offset, "text without it")
    return value


# -- writing ----------------------------------------------------------------------
