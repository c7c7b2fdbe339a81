"""
Compiled, incremental matching (the python backend): the generated functions
mean what compile_node means, incremental matching equals matching from
scratch, and no slot name or constant can change the generated code.
"""

from __future__ import annotations

import ast
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from opinion_rules.engine._interpret import compile_node
from opinion_rules.engine._ir import And, Const, Leaf, Neg, Node, Or, Rule
from opinion_rules.engine._matcher import StageMatch, StageMatcher, generate
from opinion_rules.engine._walk import Unknown


SLOTS = ("a", "b", "c", "d")
OPS = ("gt", "ge", "lt", "le", "eq", "ne")
#: Values a slot or a constant may take: ints, floats, bools (1 == 1.0 == True), text.
VALUES = st.one_of(
    st.sampled_from([0, 1, 2, -1, 0.0, 1.0, -0.0, 1.5, True, False, math.nan, math.inf]),
    st.integers(-3, 3),
    st.sampled_from(["x", "y", ""]),
)
#: Numbers and bools only: every comparison between them is defined.
NUMBERS = st.sampled_from([0, 1, 2, -1, 0.0, 1.0, -0.0, 1.5, True, False, math.nan])


def nodes(values: st.SearchStrategy[object] = VALUES) -> st.SearchStrategy[Node]:
    """
    Random IR trees over a few slots.
    """
    leaves = st.one_of(
        st.builds(Leaf, st.sampled_from(SLOTS), st.sampled_from(OPS), values),
        st.builds(Const, st.booleans()),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(And, st.lists(inner, max_size=4).map(tuple)),
            st.builds(Or, st.lists(inner, max_size=4).map(tuple)),
            st.builds(Neg, inner),
        ),
        max_leaves=12,
    )


def snapshots(values: st.SearchStrategy[object] = VALUES) -> st.SearchStrategy[dict[str, object]]:
    """
    Snapshots with missing slots, ``None``, and values of several types.
    """
    return st.dictionaries(st.sampled_from(SLOTS), st.one_of(st.none(), values))


def _outcome(check, snapshot):
    try:
        return ("value", check(snapshot))
    except TypeError as exc:  # e.g. "x" > 1, raised alike by both
        return ("error", str(exc))


@settings(max_examples=300)
@given(node=nodes(), snapshot=snapshots())
def test_generated_matcher_equals_compile_node(node, snapshot):
    """The generated function gives compile_node's result (None included) or raises its error."""
    (check,), _source = generate([node])

    expected = _outcome(compile_node(node), snapshot)

    assert expected == _outcome(check, snapshot)
    if expected[0] == "value":
        assert type(expected[1]) is type(_outcome(check, snapshot)[1])


@settings(max_examples=150)
@given(
    conditions=st.lists(nodes(NUMBERS), min_size=1, max_size=6),
    sequence=st.lists(snapshots(NUMBERS), min_size=1, max_size=8),
)
def test_incremental_matching_equals_matching_each_snapshot_from_scratch(conditions, sequence):
    """Over any sequence of snapshots, re-running only rules whose slots changed changes nothing."""
    rules = [Rule(f"g.r{i}", 1, c) for i, c in enumerate(conditions)]
    matcher = StageMatcher(rules)
    session = StageMatch(matcher)
    previous: dict[str, bool | None] = {}
    for snapshot in sequence:
        expected = {r.id: compile_node(r.condition)(snapshot) for r in rules}
        changed = {k: v for k, v in expected.items() if k not in previous or previous[k] is not v}

        actual = session.match(snapshot)

        assert expected == actual
        assert all(expected[k] is actual[k] for k in expected)
        assert changed == session.changes
        previous = expected


def test_a_slot_going_from_one_to_true_is_matched_again():
    """1 == True in Python, yet a slot changing from 1 to True (or 0 to False) is re-matched."""
    rules = [Rule("g.is", 1, Leaf("a", "eq", value=True)), Rule("g.zero", 1, Leaf("b", "eq", 0))]
    session = StageMatch(StageMatcher(rules))
    session.match({"a": 1, "b": 0})

    assert {"g.is": True, "g.zero": True} == session.match({"a": True, "b": False})
    assert {"g.is": False, "g.zero": False} == session.match({"a": 2, "b": 1.5})
    assert {"g.is": False, "g.zero": False} == session.match({"a": 2.0, "b": 1.5})
    assert {} == session.changes


HOSTILE = [
    "'",
    '"',
    "\\",
    "'''",
    '"""',
    "\n",
    "a'\nimport os\n'",
    "x\")\n__import__('os').system('true')#",
    "\\'; raise SystemExit #",
    "\u2028\u2029\x00\x1b",
    "中文 slot «quoted» \U0001f600",
    "\ud800",
]


#: Every kind of syntax the generator writes; anything else would be injected.
GENERATED_SYNTAX = {
    *("Module", "FunctionDef", "arguments", "arg", "Assign", "If", "Return", "Call"),
    *("Name", "Load", "Store", "Attribute", "Constant", "IfExp", "Compare", "UnaryOp"),
    *("Is", "Not", "USub", "Gt", "GtE", "Lt", "LtE", "Eq", "NotEq"),
}


def _assert_only_generated_code(source: str, texts: set[object]) -> None:
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    syntax = {type(n).__name__ for n in ast.walk(tree)}
    attributes = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    # A negative number is USub applied to a positive literal.
    numbers = {abs(t) for t in texts if isinstance(t, int | float) and not isinstance(t, bool)}
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}

    assert all(isinstance(n, ast.FunctionDef) for n in tree.body)
    assert syntax <= GENERATED_SYNTAX
    assert attributes <= {"s.get"}
    assert names <= {"s", "g", "v", "r", "u"} | {n for n in names if n[:2] in {"_f", "_k"}}
    assert constants <= texts | numbers | {None, True, False}


@settings(max_examples=100)
@given(
    slot=st.one_of(st.sampled_from(HOSTILE), st.text()),
    constant=st.one_of(st.sampled_from(HOSTILE), st.text(), st.floats(), st.integers()),
    present=st.booleans(),
)
def test_hostile_slot_names_and_constants_cannot_inject_code(slot, constant, present):
    """Quotes, newlines, backslashes and any unicode stay data: the source holds only generated code."""
    node = Or((Leaf(slot, "eq", constant), Neg(Leaf(slot, "ne", constant))))
    snapshot = {slot: constant} if present else {}

    (check,), source = generate([node])

    _assert_only_generated_code(source, {slot, constant})
    assert compile_node(node)(snapshot) is check(snapshot)


def test_constants_without_an_exact_literal_are_bound_by_name():
    """Infinity and NaN have no literal: they are bound in the namespace, not written out."""
    (check,), source = generate([And((Leaf("a", "lt", math.inf), Leaf("a", "ne", math.nan)))])

    assert "inf" not in source
    assert "nan" not in source
    assert check({"a": 1}) is True


def _eager_unknown(sequence):
    """The first and last snapshot on which each rule was unknown, visiting every result."""
    seen = {}
    for _stage, results, snapshot in sequence:
        for rule_id, held in results.items():
            if held is None:
                seen[rule_id] = (seen.get(rule_id, (snapshot, snapshot))[0], snapshot)
    return seen


@settings(max_examples=100)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([1, 2]),
            st.lists(st.sampled_from([True, False, None]), min_size=3, max_size=3),
        ),
        max_size=10,
    )
)
def test_unknown_recorded_from_changes_only_keeps_first_and_last(steps):
    """Recording only changed results keeps the first and the last unknown snapshot of each rule."""
    sequence, previous = [], {1: {}, 2: {}}
    unknown = Unknown()
    for index, (stage, values) in enumerate(steps):
        results = {f"{stage}.{i}": v for i, v in enumerate(values)}
        snapshot = {"step": index}
        changes = {k: v for k, v in results.items() if previous[stage].get(k, 0) is not v}
        unknown.record(changes, snapshot, stage)
        sequence.append((stage, results, snapshot))
        previous[stage] = results

    assert _eager_unknown(sequence) == unknown.seen
