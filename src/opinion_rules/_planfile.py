"""
Plan files: YAML (primary), TOML and JSON, read into the same model as the
Python API, with every problem located as ``file:line:column``.

Reading never runs anything: the text is parsed by :mod:`._located` into
plain data with places, conditions are parsed by :mod:`._expr`, and the
model classes validate what they are given.  All problems are collected in
one pass and raised together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import tomli_w
import yaml

from ._conditions import AllOf, AnyOf, Condition, Not
from ._deadlines import Anchor, Deadline, Offset
from ._expr import ExpressionError, parse_condition, to_text
from ._located import FileSyntaxError, Node, parse_document
from ._plan import (
    Action,
    Category,
    Clause,
    FactSpec,
    Grade,
    Note,
    Parameter,
    Plan,
    Principle,
    Role,
)
from ._suggest import expected_names
from ._windows import Measure, Window
from .exceptions import PlanLoadError, PlanValidationError, Problem


__all__ = [
    "FORMATS",
    "SUFFIXES",
    "build_plan_schema",
    "dump_plan",
    "load_plan_file",
    "nearest",
    "plan_places",
    "read_plan_text",
]

#: Plan file formats by suffix.
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
FORMATS = ("yaml", "toml", "json")

_DURATION = re.compile(
    r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*", re.IGNORECASE
)
T = TypeVar("T")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION_FORM = "a duration such as '3h', '30m', '1d' or '1h30m'"


def load_plan_file(path: str | Path) -> Plan:
    """
    Read a plan file; the suffix chooses the format.

    Raises:
        PlanLoadError: the file cannot be read or is not valid YAML, TOML
            or JSON (located).
        PlanValidationError: listing every problem, each located.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise PlanLoadError(
            str(path), f"unknown plan file suffix; expected one of {list(SUFFIXES)}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanLoadError(str(path), f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanLoadError(str(path), f"cannot read the file: {exc}") from None
    return read_plan_text(text, fmt, str(path))


def plan_places(path: str | Path) -> dict[str, tuple[int, int]]:
    """
    Line and column of every value in a (readable) plan file, by model path
    such as ``grades[1].criteria``; empty if the file cannot be parsed.
    """
    path = Path(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    try:
        root = parse_document(path.read_text(encoding="utf-8"), fmt or "")
    except (OSError, UnicodeDecodeError, FileSyntaxError, ValueError):
        return {}
    return {p: (n.line, n.column) for p, n in _index(root, "")}


def read_plan_text(text: str, fmt: str, source: str = "<string>") -> Plan:
    """
    Read a plan from *text* in format *fmt* (``yaml``, ``toml``, ``json``);
    *source* names it in messages.
    """
    if fmt not in FORMATS:
        raise PlanLoadError(source, f"unknown plan file format {fmt!r}; expected one of {FORMATS}")
    try:
        root = parse_document(text, fmt)
    except FileSyntaxError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None
    reader = _Reader(source)
    plan = reader.plan(root)
    if reader.problems or plan is None:
        raise PlanValidationError(source, reader.problems)
    return plan


# -- reading ----------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.measures: dict[str, object] = {}
        self.facts: dict[str, object] = {}

    def problem(
        self,
        node: Node,
        path: str,
        message: str,
        expected: str | None = None,
        got: str | None = None,
        *,
        place: tuple[int, int] | None = None,
    ) -> None:
        line, column = place or (node.line, node.column)
        self.problems.append(
            Problem(path, message, expected, got, file=self.source, line=line, column=column)
        )

    # -- shapes --

    def mapping(
        self, node: Node, path: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, Node] | None:
        if not isinstance(node.value, dict):
            self.problem(node, path, "expected a mapping (key: value lines)", got=_got(node))
            return None
        allowed = (*required, *optional)
        for key in node.value:
            if key not in allowed:
                hint = (
                    ""
                    if _IDENTIFIER.fullmatch(key)
                    else " (if it is part of a text, quote the text: in {…} a comma or a"
                    " colon followed by a space ends it)"
                )
                self.problem(
                    node,
                    path,
                    f"unknown key {key!r}{hint}",
                    expected_names(key, allowed),
                    place=node.key_places[key],
                )
        for key in required:
            if key not in node.value:
                self.problem(node, path, f"missing key {key!r}", f"a value for {key!r}")
        return node.value

    def items(self, node: Node, path: str) -> list[Node]:
        if node.value is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, path, "expected a list", got=_got(node))
            return []
        return list(node.value)

    def text(self, node: Node, path: str) -> str | None:
        if isinstance(node.value, str) and node.value.strip():
            return node.value
        hint = "; quote it" if isinstance(node.value, int | float) else ""
        self.problem(node, path, f"expected non-empty text{hint}", got=_got(node))
        return None

    def optional_text(self, node: Node, path: str) -> str | None:
        if isinstance(node.value, str):
            return node.value
        self.problem(node, path, "expected text", got=_got(node))
        return None

    def integer(self, node: Node, path: str) -> int | None:
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        self.problem(node, path, "expected a whole number", got=_got(node))
        return None

    def number(self, node: Node, path: str) -> float | None:
        if isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return node.value
        self.problem(node, path, "expected a number", got=_got(node))
        return None

    def boolean(self, node: Node, path: str) -> bool | None:
        if isinstance(node.value, bool):
            return node.value
        self.problem(node, path, "expected true or false", got=_got(node))
        return None

    def texts(self, node: Node, path: str) -> tuple[str, ...] | None:
        if not isinstance(node.value, list):
            self.problem(node, path, "expected a list", got=_got(node))
            return None
        out = [self.text(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return None if None in out else tuple(o for o in out if o is not None)

    def duration(self, node: Node, path: str) -> timedelta | None:
        parts = self.duration_parts(node, path)
        if parts is None:
            return None
        days, hours, minutes, seconds = parts
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def duration_parts(self, node: Node, path: str) -> tuple[int, int, int, int] | None:
        match = _DURATION.fullmatch(node.value) if isinstance(node.value, str) else None
        if match is None or not any(match.groups()):
            self.problem(node, path, "not a duration", _DURATION_FORM, _got(node))
            return None
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return days, hours, minutes, seconds

    def clause(self, node: Node, path: str) -> Clause | None:
        fields = self.mapping(node, path, ("ref", "text"), ())
        if fields is None or "ref" not in fields or "text" not in fields:
            return None
        ref = self.text(fields["ref"], f"{path}.ref")
        text = self.text(fields["text"], f"{path}.text")
        return Clause(ref, text) if ref is not None and text is not None else None

    def condition(self, node: Node, path: str) -> Condition | None:
        if isinstance(node.value, str):
            try:
                return parse_condition(node.value, self.measures, self.facts)
            except ExpressionError as exc:
                place = None
                if node.text_column is not None:
                    place = (node.line, node.text_column + exc.offset)
                self.problem(
                    node,
                    path,
                    f"{exc.message} (at character {exc.offset + 1} of the condition)",
                    exc.expected,
                    place=place,
                )
                return None
        if isinstance(node.value, dict) and len(node.value) == 1:
            ((word, inner),) = node.value.items()
            sub = _join(path, word)
            if word == "not":
                item = self.condition(inner, sub)
                return Not(item) if item is not None else None
            if word in ("all", "any"):
                items = [
                    self.condition(n, f"{sub}[{i}]") for i, n in enumerate(self.items(inner, sub))
                ]
                if not items:
                    self.problem(inner, sub, f"'{word}' needs at least one condition")
                if not items or None in items:
                    return None
                parts = tuple(i for i in items if i is not None)
                return AllOf(parts) if word == "all" else AnyOf(parts)
        self.problem(
            node,
            path,
            "expected a condition",
            "an expression such as 'clicks_1d > 1000', or a mapping with one key: all, any or not",
            _got(node),
        )
        return None

    def deadline(self, node: Node, path: str) -> Deadline | None:
        fields = self.mapping(node, path, ("anchor",), ("within", "kind", "until"))
        if fields is None or "anchor" not in fields:
            return None
        anchor_text = self.text(fields["anchor"], f"{path}.anchor")
        kind_node = fields.get("kind")
        kind = self.text(kind_node, f"{path}.kind") if kind_node else None
        offset = None
        if "within" in fields:
            parts = self.duration_parts(fields["within"], f"{path}.within")
            if parts is not None:
                days, hours, minutes, seconds = parts
                if seconds:
                    self.problem(
                        fields["within"],
                        f"{path}.within",
                        "seconds are not allowed here",
                        "days, hours or minutes",
                    )
                    return None
                offset = Offset(days=days, hours=hours, minutes=minutes)
        until = self.text(fields["until"], f"{path}.until") if "until" in fields else None
        implied = "offset" if "within" in fields else "until" if "until" in fields else None
        if kind is not None and implied is not None and kind != implied:
            self.problem(
                kind_node or node,
                f"{path}.kind",
                f"kind {kind!r} contradicts {'within' if implied == 'offset' else 'until'!r}",
                f"no 'kind', or kind {implied!r}",
            )
            return None
        if "within" in fields and "until" in fields:
            self.problem(node, path, "a deadline has 'within' or 'until', not both")
            return None
        if anchor_text is None or (implied == "offset" and offset is None):
            return None
        kind = kind or implied or "none"
        try:
            anchor = (
                Anchor("action_done", anchor_text.partition(":")[2])
                if anchor_text.startswith("action_done:")
                else Anchor(anchor_text)
            )
        except (TypeError, ValueError) as exc:
            self.problem(
                fields["anchor"],
                f"{path}.anchor",
                _reason(exc),
                "discovered, posted, action_done:<action id> or an event type",
            )
            return None
        built: Deadline | None = self.build(
            Deadline, node, path, anchor=anchor, kind=kind, offset=offset, until=until
        )
        return built

    def window(self, node: Node, path: str) -> Window | None:
        if node.value == "cumulative":
            return Window("cumulative")
        length = self.duration(node, path)
        if length is None:
            self.problems[-1] = attrs.evolve(
                self.problems[-1],
                expected=f"'cumulative', or {_DURATION_FORM} for a rolling window",
            )
            return None
        window: Window | None = self.build(Window, node, path, kind="rolling", length=length)
        return window

    def build(self, cls: Callable[..., Any], node: Node, path: str, **kwargs: Any) -> Any:
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            self.problem(node, path, _reason(exc))
            return None

    # -- sections --

    def fields(
        self, node: Node, path: str, spec: dict[str, tuple[str, bool]]
    ) -> dict[str, Any] | None:
        """
        Read a mapping whose keys are model fields; *spec* maps each key to
        (kind, required).  Returns the keyword arguments, or None if any
        field was wrong (its problem is recorded).
        """
        raw = self.mapping(
            node,
            path,
            tuple(k for k, (_, req) in spec.items() if req),
            tuple(k for k, (_, req) in spec.items() if not req),
        )
        if raw is None:
            return None
        out: dict[str, Any] = {}
        ok = all(k in raw for k, (_, req) in spec.items() if req)
        for key, value_node in raw.items():
            if key not in spec:
                ok = False
                continue
            kind = spec[key][0]
            value = self.read(kind, value_node, _join(path, key))
            if value is None:
                ok = False
            out[key] = value
        return out if ok else None

    def read(self, kind: str, node: Node, path: str) -> Any:
        match kind:
            case "text":
                return self.text(node, path)
            case "optional_text":
                return self.optional_text(node, path)
            case "int":
                return self.integer(node, path)
            case "number":
                return self.number(node, path)
            case "bool":
                return self.boolean(node, path)
            case "texts":
                return self.texts(node, path)
            case "clause":
                return self.clause(node, path)
            case "condition":
                return self.condition(node, path)
            case "deadline":
                return self.deadline(node, path)
            case "window":
                return self.window(node, path)
            case "duration":
                return self.duration(node, path)
        raise AssertionError(kind)  # pragma: no cover

    def section(
        self,
        root: dict[str, Node],
        key: str,
        cls: Callable[..., Any],
        spec: dict[str, tuple[str, bool]],
    ) -> list[tuple[int, Any]]:
        """
        Build every item of a list section; returns (index in the file, item)
        for the items that could be built.
        """
        if key not in root:
            return []
        out = []
        for i, item in enumerate(self.items(root[key], key)):
            path = f"{key}[{i}]"
            kwargs = self.fields(item, path, spec)
            if kwargs is not None:
                built = self.build(cls, item, path, **kwargs)
                if built is not None:
                    out.append((i, built))
        return out

    def declared_ids(self, root: dict[str, Node], key: str) -> dict[str, object]:
        # Conditions name measures and facts; collect the ids first so an
        # error in one measure does not also make every condition using it fail.
        ids: dict[str, object] = {}
        if key in root and isinstance(root[key].value, list):
            for item in root[key].value:
                if isinstance(item.value, dict) and isinstance(
                    item.value.get("id", Node(None, 0, 0)).value, str
                ):
                    ids[item.value["id"].value] = item
        return ids

    def plan(self, node: Node) -> Plan | None:
        root = self.mapping(node, "", _PLAN_REQUIRED, _PLAN_OPTIONAL)
        if root is None:
            return None
        self.measures = self.declared_ids(root, "measures")
        self.facts = self.declared_ids(root, "facts")
        top: dict[str, Any] = {}
        for key, kind in _PLAN_SCALARS.items():
            if key in root:
                top[key] = self.read(kind, root[key], key)
        if isinstance(top.get("timezone"), str):
            top["timezone"] = self.timezone(root["timezone"], top["timezone"])
        if "metrics" in root:
            top["metrics"] = self.texts(root["metrics"], "metrics")
        sections = {
            key: self.section(root, key, cls, spec) for key, (cls, spec) in _SECTIONS.items()
        }
        # Check the whole plan even when some parts failed, so one pass
        # reports everything: failed scalars get placeholders, failed items
        # are left out, and cross-references to items that exist in the file
        # but failed to build are not reported twice.
        partial = bool(self.problems)
        for key in _PLAN_REQUIRED:
            if key in _PLAN_SCALARS and top.get(key) is None:
                top[key] = "?"
        known_ids = {
            item.value["id"].value
            for key in _SECTIONS
            for item in (
                root[key].value if key in root and isinstance(root[key].value, list) else []
            )
            if isinstance(item.value, dict)
            and "id" in item.value
            and isinstance(item.value["id"].value, str)
        }
        try:
            arguments: dict[str, Any] = {k: v for k, v in top.items() if v is not None}
            arguments.update({key: [item for _, item in items] for key, items in sections.items()})
            plan = Plan(**arguments)
        except PlanValidationError as exc:
            index = dict(_index(node, ""))
            for problem in exc.problems:
                path = _file_path(problem.path, sections)
                if partial and _refers_to(problem.message, known_ids):
                    continue
                target = nearest(index, path) or node
                self.problems.append(
                    attrs.evolve(
                        problem, path=path, file=self.source, line=target.line, column=target.column
                    )
                )
            return None
        except (TypeError, ValueError) as exc:
            self.problem(node, "", _reason(exc))
            return None
        return None if partial else plan

    def timezone(self, node: Node, name: str) -> str | None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(
                node,
                "timezone",
                f"unknown timezone {name!r}",
                "an IANA name such as 'Asia/Shanghai'",
            )
            return None
        return name


_REFERENCE = re.compile(
    r"(?:grade|category|role|action|measure|fact|parameter) '(\w+)' is not (?:defined|declared)"
)


def _refers_to(message: str, ids: set[str]) -> bool:
    match = _REFERENCE.search(message)
    return bool(match and match[1] in ids)


def _file_path(path: str, sections: dict[str, list[tuple[int, Any]]]) -> str:
    # The model numbers only the items that were built; map back to the file.
    match = re.match(r"(\w+)\[(\d+)\]", path)
    if match and match[1] in sections:
        built = sections[match[1]]
        k = int(match[2])
        if k < len(built):
            return f"{match[1]}[{built[k][0]}]{path[match.end() :]}"
    return path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _got(node: Node) -> str:
    value = node.plain()
    kind = {dict: "a mapping", list: "a list", str: "text", bool: "a bool", type(None): "nothing"}
    name = kind.get(type(value), type(value).__name__)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{text[:60]}{'…' if len(text) > 60 else ''}, {name}"


def _reason(exc: BaseException) -> str:
    return str(exc).replace("\n", " ")


def _index(node: Node, path: str) -> Iterator[tuple[str, Node]]:
    yield path, node
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            yield from _index(child, _join(path, key))
    elif isinstance(node.value, list):
        for i, child in enumerate(node.value):
            yield from _index(child, f"{path}[{i}]")


def nearest(index: Mapping[str, T], path: str) -> T | None:
    """
    The entry for *path* in *index*, or for its closest enclosing path
    (``actions[2].owners[0]`` -> ``actions[2].owners`` -> ``actions[2]`` …).
    """
    while path:
        if path in index:
            return index[path]
        shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)
        if shorter == path:  # a top-level name the file lacks: the root is nearest
            return None
        path = shorter
    return None


_CLAUSE = ("clause", False)
_SECTIONS: dict[str, tuple[Callable[..., Any], dict[str, tuple[str, bool]]]] = {
    "parameters": (
        Parameter,
        {
            "id": ("text", True),
            "label": ("text", True),
            "value": ("number", False),
            "unit": ("optional_text", False),
            "clause": _CLAUSE,
        },
    ),
    "roles": (
        Role,
        {"id": ("text", True), "name": ("text", True), "name_en": ("optional_text", False)},
    ),
    "measures": (
        Measure,
        {
            "id": ("text", True),
            "metric": ("text", True),
            "window": ("window", True),
            "aggregate": ("text", False),
            "channels": ("texts", False),
            "label": ("optional_text", False),
        },
    ),
    "facts": (
        FactSpec,
        {
            "id": ("text", True),
            "type": ("text", False),
            "choices": ("texts", False),
            "ordered": ("bool", False),
            "label": ("optional_text", False),
            "clause": _CLAUSE,
        },
    ),
    "grades": (
        Grade,
        {
            "id": ("text", True),
            "name": ("text", True),
            "name_en": ("optional_text", False),
            "rank": ("int", True),
            "criteria": ("condition", True),
            "clause": _CLAUSE,
        },
    ),
    "categories": (
        Category,
        {
            "id": ("text", True),
            "name": ("text", True),
            "name_en": ("optional_text", False),
            "condition": ("condition", True),
            "clause": _CLAUSE,
        },
    ),
    "principles": (
        Principle,
        {"id": ("text", True), "name": ("text", True), "text": ("text", True), "clause": _CLAUSE},
    ),
    "actions": (
        Action,
        {
            "id": ("text", True),
            "title": ("text", True),
            "owners": ("texts", True),
            "channel": ("text", True),
            "condition": ("condition", False),
            "deadline": ("deadline", True),
            "clause": _CLAUSE,
            "stage": ("optional_text", False),
        },
    ),
    "notes": (Note, {"clause": ("clause", True), "reason": ("text", True)}),
}
_PLAN_SCALARS = {
    "id": "text",
    "title": "text",
    "issuer": "text",
    "version": "text",
    "source": "text",
    "timezone": "text",
    "immediate_tolerance": "duration",
    "prompt_tolerance": "duration",
}
_PLAN_REQUIRED = ("id", "title", "issuer", "version", "source", "roles", "grades", "actions")
_PLAN_OPTIONAL = tuple(
    k for k in (*_PLAN_SCALARS, "metrics", *_SECTIONS) if k not in _PLAN_REQUIRED
)


# -- writing ----------------------------------------------------------------------


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """
    The plan as plain data in the file layout, defaults left out.
    """
    out: dict[str, Any] = {
        "id": plan.id,
        "title": plan.title,
        "issuer": plan.issuer,
        "version": plan.version,
        "source": plan.source,
        "timezone": plan.timezone,
    }
    if plan.immediate_tolerance:
        out["immediate_tolerance"] = _duration_text(plan.immediate_tolerance)
    if plan.prompt_tolerance is not None:
        out["prompt_tolerance"] = _duration_text(plan.prompt_tolerance)
    if plan.metrics:
        out["metrics"] = list(plan.metrics)
    groups = {
        "parameters": plan.parameters,
        "roles": plan.roles,
        "measures": plan.measures,
        "facts": plan.facts,
        "grades": plan.grades,
        "categories": plan.categories,
        "principles": plan.principles,
        "actions": plan.actions,
        "notes": plan.notes,
    }
    for key, items in groups.items():
        if items or key in _PLAN_REQUIRED:
            out[key] = [_item_to_data(item) for item in items]
    return out


def _item_to_data(item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in attrs.fields(type(item)):
        value = getattr(item, field.name)
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is not attrs.NOTHING and value == default:
            continue
        out[field.name] = _value_to_data(field.name, value)
    return out


def _value_to_data(name: str, value: Any) -> Any:
    match value:
        case Clause(ref, text):
            return {"ref": ref, "text": text}
        case Window(kind="cumulative"):
            return "cumulative"
        case Window(length=length) if length is not None:
            return _duration_text(length)
        case Deadline():
            return _deadline_to_data(value)
        case tuple():
            return list(value)
    if name in ("criteria", "condition"):
        return to_text(value)
    return value


def _deadline_to_data(deadline: Deadline) -> dict[str, Any]:
    out: dict[str, Any] = {"anchor": str(deadline.anchor)}
    match deadline.kind:
        case "offset":
            assert deadline.offset is not None  # noqa: S101 - checked at construction
            o = deadline.offset
            out["within"] = "".join(
                f"{n}{u}" for n, u in ((o.days, "d"), (o.hours, "h"), (o.minutes, "m")) if n
            )
        case "until":
            out["until"] = deadline.until
        case "none":
            pass
        case kind:
            out["kind"] = kind
    return out


def _duration_text(value: timedelta) -> str:
    if value.microseconds:
        raise ValueError(f"durations in plan files are whole seconds (got {value})")
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n
    )
    return text or "0m"


class _Dumper(yaml.SafeDumper):
    """
    Short lists of scalars in flow style (``owners: [a, b]``), the rest in
    block style, as a person would write them.
    """

    def represent_list(self, data: Any) -> yaml.SequenceNode:
        flow = all(isinstance(v, str | int | float) for v in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    def represent_dict(self, data: Any) -> yaml.MappingNode:
        flow = all(isinstance(v, str | int | float) for v in data.values()) and (
            len(json.dumps(data, ensure_ascii=False)) < 70
        )
        return self.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(dict, _Dumper.represent_dict)


def dump_plan(plan: Plan, fmt: str = "yaml") -> str:
    """
    Write *plan* as a plan file in *fmt* (``yaml``, ``toml`` or ``json``);
    reading the text back gives an equal plan.

    .. versionadded:: 0.2.0
    """
    data = plan_to_data(plan)
    match fmt:
        case "yaml":
            return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
        case "json":
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        case "toml":
            return tomli_w.dumps(data)
    raise ValueError(f"unknown plan file format {fmt!r}; expected one of {FORMATS}")


# -- JSON Schema ------------------------------------------------------------------

_IDENTIFIER_PATTERN = "^[A-Za-z][A-Za-z0-9_]*$"
_DURATION_PATTERN = (
    "^\\s*(\\d+\\s*[dD])?\\s*(\\d+\\s*[hH])?\\s*(\\d+\\s*[mM])?\\s*(\\d+\\s*[sS])?\\s*$"
)


def _kind_schema(kind: str) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    condition: dict[str, Any] = {"$ref": "#/$defs/condition"}
    kinds: dict[str, dict[str, Any]] = {
        "text": text,
        "optional_text": {"type": "string"},
        "int": {"type": "integer", "minimum": 0},
        "number": {"type": "number"},
        "bool": {"type": "boolean"},
        "texts": {"type": "array", "items": text},
        "clause": {"$ref": "#/$defs/clause"},
        "condition": condition,
        "deadline": {"$ref": "#/$defs/deadline"},
        "window": {
            "anyOf": [{"const": "cumulative"}, {"type": "string", "pattern": _DURATION_PATTERN}]
        },
        "duration": {"type": "string", "pattern": _DURATION_PATTERN},
    }
    return kinds[kind]


def _object(spec: dict[str, tuple[str, bool]], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {k: _kind_schema(kind) for k, (kind, _) in spec.items()},
        "required": [k for k, (_, req) in spec.items() if req],
        "additionalProperties": False,
    }
    if "id" in spec:
        out["properties"]["id"] = {"type": "string", "pattern": _IDENTIFIER_PATTERN}
    if description:
        out["description"] = description
    return out


def build_plan_schema() -> dict[str, Any]:
    """
    The JSON Schema (draft 2020-12) of plan files, built from the same field
    tables the reader uses; ``schemas/plan.schema.json`` is this, written out.
    """
    properties: dict[str, Any] = {k: _kind_schema(kind) for k, kind in _PLAN_SCALARS.items()}
    properties["id"] = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}
    properties["metrics"] = {
        "type": "array",
        "items": {"type": "string", "pattern": _IDENTIFIER_PATTERN},
    }
    for key, (_, spec) in _SECTIONS.items():
        properties[key] = {"type": "array", "items": _object(spec)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://opinion-rules.example/schemas/plan.schema.json",
        "title": "opinion_rules plan file",
        "description": "A response plan as data; see docs/reference/plan-file-format.md.",
        "type": "object",
        "properties": properties,
        "required": list(_PLAN_REQUIRED),
        "additionalProperties": False,
        "$defs": {
            "clause": {
                "type": "object",
                "properties": {
                    "ref": {"type": "string", "minLength": 1},
                    "text": {"type": "string", "minLength": 1},
                },
                "required": ["ref", "text"],
                "additionalProperties": False,
            },
            "condition": {
                "description": "An expression such as 'clicks_1d > 1000', "
                "or all/any/not of conditions.",
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "properties": {
                            "all": {
                                "type": "array",
                                "items": {"$ref": "#/$defs/condition"},
                                "minItems": 1,
                            }
                        },
                        "required": ["all"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {
                            "any": {
                                "type": "array",
                                "items": {"$ref": "#/$defs/condition"},
                                "minItems": 1,
                            }
                        },
                        "required": ["any"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"not": {"$ref": "#/$defs/condition"}},
                        "required": ["not"],
                        "additionalProperties": False,
                    },
                ],
            },
            "deadline": {
                "type": "object",
                "properties": {
                    "anchor": {
                        "type": "string",
                        "pattern": "^(action_done:)?[A-Za-z][A-Za-z0-9_]*$",
                    },
                    "within": {"type": "string", "pattern": _DURATION_PATTERN},
                    "kind": {
                        "enum": ["offset", "immediately", "promptly", "end_of_day", "none", "until"]
                    },
                    "until": {"type": "string", "pattern": _IDENTIFIER_PATTERN},
                },
                "required": ["anchor"],
                "additionalProperties": False,
            },
        },
    }
