"""
Scenario files (``*.scenario.yaml``): a plan, an incident and what must hold
at given instants, read with every problem located as ``file:line:column``.

The format is documented in docs/reference/scenario-format.md.  Reading a
scenario builds its incident (inline, or from the incident file it names) but
does not load the plan: :mod:`._scenario_checks` does, once per plan, and
checks the names the expectations use against it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs

from opinion_rules._instants import parse_iso
from opinion_rules._limits import PLAN_FILE_BYTES, instant_problem
from opinion_rules._problems import describe_value
from opinion_rules._reading import InputError, read_limited
from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import FactError, Problem, ScenarioError
from opinion_rules.model._facts import Incident
from opinion_rules.model._incident_files import load_incident
from opinion_rules.model._results import STATUSES
from opinion_rules.planfile._located import FileSyntaxError, Node, parse_document
from opinion_rules.planfile._reader import index_nodes, join, nearest


__all__ = [
    "SCENARIO_SUFFIX",
    "UNDECIDED_KINDS",
    "Check",
    "Expectation",
    "Scenario",
    "read_scenario",
    "scenario_files",
]

#: What a scenario file's name ends with; folders are searched for these.
SCENARIO_SUFFIX = ".scenario.yaml"
#: The kinds an ``undecided`` item names (``kind:id``).
UNDECIDED_KINDS = ("grade", "category", "action", "extension")

_TOP_KEYS = ("name", "plan", "parameters", "incident", "plugins", "checks")
_CHECK_KEYS = (
    "at",
    "name",
    "grade",
    "categories",
    "categories_include",
    "actions",
    "chains",
    "undecided",
)
_ACTION_KEYS = ("status", "due", "owners", "absent")
_CHAIN_KEYS = ("status", "due")
_INSTANT = "an ISO 8601 instant with a UTC offset, e.g. 2026-11-23T12:00:00+08:00"
_PLAN_SUFFIXES = (".yaml", ".yml", ".toml", ".json")


@attrs.frozen
class Expectation:
    """
    One thing a check says must hold.

    Attributes:
        subject: ``grade``, ``categories``, ``categories_include``,
            ``undecided``, ``action`` or ``chain``.
        id: The action or chain id (``""`` for the others).
        key: For an action: ``status``, ``due``, ``owners`` or ``absent``;
            for a chain: ``status`` or ``due``; ``""`` for the others.
        value: The expected value: a grade id or ``None`` (ungraded), a
            frozenset of ids (categories, owners, ``kind:id`` undecided
            items), a status, an aware instant or ``None`` (due), a bool
            (absent).
        line, column: Where it is written (1-based).
    """

    subject: str
    id: str
    key: str
    value: Any
    line: int
    column: int


@attrs.frozen
class Check:
    """
    What must hold at one instant.

    Attributes:
        at: The evaluation instant.
        name: The check's name, if it has one.
        expectations: Only the keys the file writes, in file order.
        line, column: Where the check starts.
    """

    at: datetime
    name: str | None
    expectations: tuple[Expectation, ...]
    line: int
    column: int


@attrs.frozen
class Scenario:
    """
    One scenario file, read.

    Attributes:
        source: The file, as named by the caller (messages use it).
        name: The scenario's name, if it has one.
        plan: The plan file (resolved against the scenario's folder).
        plan_place: Where ``plan`` is written.
        parameters: Values for the plan's parameters
            (:meth:`~opinion_rules.Plan.with_parameters`).
        plugins: The plug-ins the scenario asks for (reserved).
        plugins_place: Where ``plugins`` is written (the root if absent).
        incident: The incident the checks evaluate.
        checks: The checks, in file order.
    """

    source: str
    name: str | None
    plan: Path
    plan_place: tuple[int, int]
    parameters: tuple[tuple[str, int | float], ...]
    plugins: tuple[str, ...]
    plugins_place: tuple[int, int]
    incident: Incident
    checks: tuple[Check, ...]


def scenario_files(path: Path) -> list[Path]:
    """
    *path* itself if it is not a folder, else every ``*.scenario.yaml``
    below it, in name order.
    """
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob(f"*{SCENARIO_SUFFIX}") if p.is_file())


class _Reading:
    """
    The problems found so far in one scenario file, each located.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(
        self, node: Node | tuple[int, int], path: str, message: str, expected: str | None = None
    ) -> None:
        line, column = (node.line, node.column) if isinstance(node, Node) else node
        got = describe_value(node.plain()) if isinstance(node, Node) else None
        self.problems.append(Problem(path, message, expected, got, self.source, line, column))

    def mapping(self, node: Node, path: str, keys: tuple[str, ...]) -> dict[str, Node] | None:
        if not isinstance(node.value, dict):
            self.add(node, path, "is not a mapping", f"a mapping with keys among {list(keys)}")
            return None
        for key in node.value:
            if key not in keys:
                self.add(
                    node.key_places[key],
                    join(path, key),
                    "is not a key here",
                    expected_names(key, [k for k in keys if k != "known_at"]),
                )
        return dict(node.value)

    def text(self, node: Node, path: str) -> str | None:
        if isinstance(node.value, str) and node.value.strip():
            return node.value
        self.add(node, path, "is not a text", "a non-empty text")
        return None

    def names(self, node: Node, path: str) -> frozenset[str] | None:
        if not isinstance(node.value, list):
            self.add(node, path, "is not a list", "a list of ids, e.g. [a, b]")
            return None
        out = [self.text(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return None if None in out else frozenset(n for n in out if n is not None)

    def instant(self, node: Node, path: str, *, nullable: bool = False) -> datetime | None:
        value = node.value
        if value is None and nullable:
            return None
        if isinstance(value, str):
            try:
                value = parse_iso(value)
            except (ValueError, OverflowError):
                self.add(node, path, "is not an ISO 8601 instant", _INSTANT)
                return None
        if not isinstance(value, datetime):
            what = "a date, not an instant" if isinstance(value, date) else "not an instant"
            self.add(node, path, f"is {what}", _INSTANT + (" or null" if nullable else ""))
            return None
        try:
            naive = value.utcoffset() is None
        except (ValueError, OverflowError):  # pragma: no cover - dateutil refuses such offsets
            naive = True
        if naive:
            self.add(node, path, "has no UTC offset (naive datetime)", _INSTANT)
            return None
        outside = instant_problem(value)
        if outside is not None:
            self.add(node, path, outside)
            return None
        return value


def read_scenario(path: str | Path) -> Scenario:
    """
    Read the scenario file *path* and build its incident.

    Raises:
        ScenarioError: the file cannot be read, is not YAML, or does not
            follow the scenario format; every problem located.
        FactError: the incident file it names cannot be read or is wrong
            (located in that file).
    """
    source = str(path)
    path = Path(path)
    try:
        text = read_limited(path, PLAN_FILE_BYTES, "scenario file")
    except InputError as exc:
        problem = Problem("", exc.message, exc.expected, exc.got, source, exc.line, exc.column)
        raise ScenarioError(source, [problem]) from None
    try:
        root = parse_document(text, "yaml")
    except FileSyntaxError as exc:
        problem = Problem("", exc.message, file=source, line=exc.line, column=exc.column)
        raise ScenarioError(source, [problem]) from None
    reading = _Reading(source)
    scenario = _scenario(reading, root, path)
    if reading.problems or scenario is None:
        raise ScenarioError(source, reading.problems)
    return scenario


def _scenario(reading: _Reading, root: Node, path: Path) -> Scenario | None:
    top = reading.mapping(root, "", _TOP_KEYS)
    if top is None:
        return None
    for key in ("plan", "incident", "checks"):
        if key not in top:
            reading.add(root, key, "is missing", _REQUIRED[key])
    name = reading.text(top["name"], "name") if "name" in top else None
    plan = _plan_path(reading, top.get("plan"), path)
    plugins: tuple[str, ...] = ()
    plugins_node = top.get("plugins")
    if plugins_node is not None and plugins_node.value is not None:
        names = reading.names(plugins_node, "plugins")
        if names is not None:
            plugins = tuple(plugins_node.plain())
    parameters = _parameters(reading, top.get("parameters"))
    incident = _incident(reading, top.get("incident"), path)
    checks = list(_checks(reading, top.get("checks")))
    if reading.problems or plan is None or incident is None:
        return None
    return Scenario(
        reading.source,
        name,
        plan,
        (top["plan"].line, top["plan"].column),
        parameters,
        plugins,
        (root.line, root.column) if plugins_node is None else _place(plugins_node),
        incident,
        tuple(checks),
    )


_REQUIRED = {
    "plan": "the plan file, relative to the scenario file, e.g. ../plans/my_plan.yaml",
    "incident": "an incident: a mapping in the incident format, or an incident file's path",
    "checks": "a list of checks, each with 'at' and what must hold then",
}


def _place(node: Node) -> tuple[int, int]:
    return node.line, node.column


def _plan_path(reading: _Reading, node: Node | None, path: Path) -> Path | None:
    if node is None:
        return None
    text = reading.text(node, "plan")
    if text is None:
        return None
    if Path(text).suffix.lower() not in _PLAN_SUFFIXES:
        reading.add(node, "plan", "is not a plan file", f"a path ending in one of {_PLAN_SUFFIXES}")
        return None
    return path.parent / text


def _parameters(reading: _Reading, node: Node | None) -> tuple[tuple[str, int | float], ...]:
    if node is None:
        return ()
    if not isinstance(node.value, dict):
        reading.add(node, "parameters", "is not a mapping", "parameter: number, e.g. {limit: 50}")
        return ()
    out = []
    for name, value in node.value.items():
        if isinstance(value.value, int | float) and not isinstance(value.value, bool):
            out.append((name, value.value))
        else:
            reading.add(value, join("parameters", name), "is not a number", "a number")
    return tuple(sorted(out))


def _incident(reading: _Reading, node: Node | None, path: Path) -> Incident | None:
    if node is None:
        return None
    if isinstance(node.value, str):
        # An incident file: its own errors name it, line and column.
        return load_incident(path.parent / node.value)
    if not isinstance(node.value, dict):
        reading.add(node, "incident", "is not a mapping or a path", _REQUIRED["incident"])
        return None
    try:
        return Incident.from_dict(_json_like(node), source=reading.source)
    except FactError as exc:
        index = dict(index_nodes(node))
        for problem in exc.problems:
            place = nearest(index, problem.path) or node
            reading.problems.append(
                attrs.evolve(
                    problem,
                    path=join("incident", problem.path),
                    file=reading.source,
                    line=place.line,
                    column=place.column,
                )
            )
        return None


def _json_like(node: Node) -> Any:
    """
    *node*'s value as the incident format has it: instants YAML read as
    datetimes (unquoted ``2026-11-23T09:00:00+08:00``) back to ISO text.
    """
    value = node.value
    if isinstance(value, dict):
        return {k: _json_like(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_like(v) for v in value]
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    return value


def _checks(reading: _Reading, node: Node | None) -> Iterator[Check]:
    if node is None:
        return
    if not isinstance(node.value, list) or not node.value:
        reading.add(node, "checks", "is not a non-empty list", _REQUIRED["checks"])
        return
    for i, item in enumerate(node.value):
        check = _check(reading, item, f"checks[{i}]")
        if check is not None:
            yield check


def _check(reading: _Reading, node: Node, path: str) -> Check | None:
    fields = reading.mapping(node, path, (*_CHECK_KEYS, "known_at"))
    if fields is None:
        return None
    if "known_at" in fields:
        reading.add(
            node.key_places["known_at"],
            join(path, "known_at"),
            "is not allowed: an evaluation at 'at' sees what the incident says happened by "
            "then, nothing later",
            "a 'fact' event at the instant the fact was learned",
        )
        del fields["known_at"]
    if "at" not in fields:
        reading.add(node, join(path, "at"), "is missing", _INSTANT)
        return None
    at = reading.instant(fields["at"], join(path, "at"))
    name = reading.text(fields["name"], join(path, "name")) if "name" in fields else None
    expectations = list(_expectations(reading, fields, path))
    if not expectations:
        reading.add(node, path, "checks nothing", f"at least one of {list(_CHECK_KEYS[2:])}")
    if at is None:
        return None
    return Check(at, name, tuple(expectations), node.line, node.column)


def _expectations(
    reading: _Reading, fields: Mapping[str, Node], path: str
) -> Iterator[Expectation]:
    for key, node in fields.items():
        where = join(path, key)
        match key:
            case "grade":
                if node.value is None or node.value == "none":
                    yield Expectation("grade", "", "", None, *_place(node))
                elif (grade := reading.text(node, where)) is not None:
                    yield Expectation("grade", "", "", grade, *_place(node))
            case "categories" | "categories_include" | "undecided":
                names = reading.names(node, where)
                if names is not None and key == "undecided":
                    names = _undecided(reading, node, where, names)
                if names is not None:
                    yield Expectation(key, "", "", names, *_place(node))
            case "actions":
                yield from _items(reading, node, where, "action", _ACTION_KEYS)
            case "chains":
                yield from _items(reading, node, where, "chain", _CHAIN_KEYS)


def _undecided(
    reading: _Reading, node: Node, path: str, names: frozenset[str]
) -> frozenset[str] | None:
    expected = f"'kind:id' with kind one of {list(UNDECIDED_KINDS)}, e.g. 'grade:major'"
    ok = True
    for i, item in enumerate(node.value):
        kind, colon, _ = str(item.value).partition(":")
        if not colon or kind not in UNDECIDED_KINDS:
            reading.add(item, f"{path}[{i}]", "is not an undecided item", expected)
            ok = False
    return names if ok else None


def _items(
    reading: _Reading, node: Node, path: str, subject: str, keys: tuple[str, ...]
) -> Iterator[Expectation]:
    if not isinstance(node.value, dict) or not node.value:
        reading.add(node, path, "is not a non-empty mapping", f"{subject} ids, each with {keys}")
        return
    for item_id, item in node.value.items():
        where = join(path, item_id)
        if isinstance(item.value, str):  # the short form: ``report: overdue``
            status = _status(reading, item, where)
            if status is not None:
                yield Expectation(subject, item_id, "status", status, *_place(item))
            continue
        fields = reading.mapping(item, where, keys)
        if fields is None:
            continue
        if not fields:
            reading.add(item, where, "checks nothing", f"at least one of {list(keys)}")
        if "absent" in fields and len(fields) > 1:
            reading.add(
                item.key_places["absent"],
                join(where, "absent"),
                "cannot go with other keys",
                "either 'absent: true' or what must hold of the applying action",
            )
            continue
        for key, value in fields.items():
            expected = _item_value(reading, key, value, join(where, key))
            if expected is not _BAD:
                yield Expectation(subject, item_id, key, expected, *_place(value))


_BAD = object()


def _item_value(reading: _Reading, key: str, node: Node, path: str) -> Any:
    out: Any = _BAD
    match key:
        case "status":
            out = _status(reading, node, path)
        case "due":
            due = reading.instant(node, path, nullable=True)
            out = due if due is not None or node.value is None else _BAD
        case "owners":
            out = reading.names(node, path)
        case "absent":
            if isinstance(node.value, bool):
                out = node.value
            else:
                reading.add(node, path, "is not true or false", "true (the action must not apply)")
    return _BAD if out is None and key != "due" else out


def _status(reading: _Reading, node: Node, path: str) -> str | None:
    if node.value in STATUSES:
        return str(node.value)
    reading.add(node, path, "is not a status", f"one of {list(STATUSES)}")
    return None
