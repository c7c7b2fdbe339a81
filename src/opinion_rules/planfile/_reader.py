"""
The reader of located plan-file data, and the shape of a field kind.

A :class:`FieldKind` is one kind of value a plan file holds (a text, a
period, a deadline, a calendar …): how it is read from a located node
(recording located problems), how a model value is written back as plain
data, and its JSON Schema fragment.  A *spec* maps the keys of a mapping to
``(kind, required)``; :meth:`Reader.fields` reads one, :func:`write_fields`
writes one and :func:`object_schema` describes one, so the three never
drift apart.  The kinds themselves are listed in :mod:`._fields`.

A :class:`Reader` reads one document and collects every problem, each
located as ``file:line:column``; nothing is raised while reading.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import Problem
from opinion_rules.planfile._located import Node
from opinion_rules.planfile._sources import SUFFIXES, Load, reason


__all__ = [
    "IDENTIFIER_PATTERN",
    "FieldKind",
    "Reader",
    "Spec",
    "clip",
    "got",
    "index_nodes",
    "join",
    "nearest",
    "object_schema",
    "write_fields",
]

T = TypeVar("T")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The JSON Schema pattern of an id.
IDENTIFIER_PATTERN = "^[A-Za-z][A-Za-z0-9_]*$"


@attrs.frozen(eq=False)
class FieldKind:
    """
    One kind of plan-file value, described once.

    Args:
        name: The kind's name, unique in the table of kinds.
        read: ``read(reader, node, path)``: the model value, or ``None``
            with the problem recorded on *reader*.
        write: The model value as plain data in the file layout.
        schema: The JSON Schema fragment of a value of this kind.
        definition: A schema shared under ``$defs/<name>``, when *schema*
            refers to it.
        fields: The keys of a mapping kind, each with its own kind.
    """

    name: str
    read: Callable[[Reader, Node, str], Any]
    write: Callable[[Any], Any]
    schema: dict[str, Any]
    definition: dict[str, Any] | None = None
    fields: Mapping[str, tuple[FieldKind, bool]] = attrs.field(factory=dict)


#: The keys of a mapping whose keys are model fields: key -> (kind, required).
Spec = Mapping[str, tuple[FieldKind, bool]]


class Reader:
    """
    Reads one plan (or year schedule) document from *source*, whose folder
    is *folder*, as part of the load *load*; the problems found are in
    :attr:`problems`, in the order found.
    """

    def __init__(self, source: str, folder: Path, load: Load) -> None:
        self.source = source
        self.folder = folder
        self.load = load
        self.problems: list[Problem] = []
        # What conditions may name: the ids of the file's measures and facts.
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

    def mapping(
        self, node: Node, path: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, Node] | None:
        """
        The keys of a mapping node; unknown and missing keys are problems
        (the mapping is still returned).
        """
        if not isinstance(node.value, dict):
            self.problem(node, path, "expected a mapping (key: value lines)", got=got(node))
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
        """
        The items of a list node; nothing (``null``) is an empty list.
        """
        if node.value is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, path, "expected a list", got=got(node))
            return []
        return list(node.value)

    def fields(self, node: Node, path: str, spec: Spec) -> dict[str, Any] | None:
        """
        Read a mapping whose keys are model fields, each by its kind in
        *spec*.  Returns the keyword arguments, or None if any field was
        wrong (its problem is recorded).
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
            value = spec[key][0].read(self, value_node, join(path, key))
            if value is None:
                ok = False
            out[key] = value
        return out if ok else None

    def build(self, cls: Callable[..., Any], node: Node, path: str, **kwargs: Any) -> Any:
        """
        ``cls(**kwargs)``, or None with the model's refusal as a problem.
        """
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            self.problem(node, path, reason(exc))
            return None

    def confined(
        self, node: Node, name: str, path: str = "extends", what: str = "plan file"
    ) -> Path | None:
        """
        The real path of the *what* (a plan or year schedule file) *name*,
        relative to this file's folder, or ``None`` with a problem at *path*
        if it is not such a file or leaves the allowed folders (after
        following symlinks).
        """
        if Path(name).suffix.lower() not in SUFFIXES:
            self.problem(
                node,
                path,
                f"{clip(name)!r} is not a {what}",
                f"a path ending in one of {list(SUFFIXES)}",
            )
            return None
        try:
            target = Path(os.path.realpath(self.folder / name))
        except (OSError, ValueError) as exc:  # pragma: no cover - texts are checked on reading
            self.problem(node, path, f"{clip(name)!r} is not a usable path: {reason(exc)}")
            return None
        if self.load.allows(target):
            return target
        if not self.load.allowed:
            self.problem(
                node,
                path,
                f"a plan read from text may "
                f"{'extend only plan files' if path == 'extends' else 'read files only'} "
                f"in allowed folders, and none were given ({path} {clip(name)!r})",
                "read_plan_text(..., allowed_dirs=[folder]), or load the plan from its file",
            )
            return None
        folders = ", ".join(str(folder) for folder in self.load.allowed)
        self.problem(
            node,
            path,
            f"{clip(name)!r} is outside the folders plans may "
            f"{'extend' if path == 'extends' else 'read files'} from ({folders})",
            f"a {what} in one of them; the host can allow more folders "
            "(--allow-dir DIR, or allowed_dirs=[...])",
        )
        return None


def write_fields(item: Any, spec: Spec) -> dict[str, Any]:
    """
    The attrs instance *item* as a mapping in the file layout: its fields in
    the model's order, each written by its kind in *spec*, defaults left out.
    """
    out: dict[str, Any] = {}
    for field in attrs.fields(type(item)):
        value = getattr(item, field.name)
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        if default is not attrs.NOTHING and value == default:
            continue
        out[field.name] = spec[field.name][0].write(value)
    return out


def object_schema(spec: Spec) -> dict[str, Any]:
    """
    The JSON Schema of a mapping read by :meth:`Reader.fields` with *spec*.
    """
    out: dict[str, Any] = {
        "type": "object",
        "properties": {k: kind.schema for k, (kind, _) in spec.items()},
        "required": [k for k, (_, req) in spec.items() if req],
        "additionalProperties": False,
    }
    if "id" in spec:
        out["properties"]["id"] = {"type": "string", "pattern": IDENTIFIER_PATTERN}
    return out


def clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def got(node: Node) -> str:
    """
    A short rendering of *node*'s value and its type, for a message.
    """
    value = node.plain()
    kind = {dict: "a mapping", list: "a list", str: "text", bool: "a bool", type(None): "nothing"}
    name = kind.get(type(value), type(value).__name__)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{text[:60]}{'…' if len(text) > 60 else ''}, {name}"


def index_nodes(node: Node, path: str = "") -> Iterator[tuple[str, Node]]:
    """
    Every node under *node* with its path, such as ``grades[1].criteria``.
    """
    yield path, node
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            yield from index_nodes(child, join(path, key))
    elif isinstance(node.value, list):
        for i, child in enumerate(node.value):
            yield from index_nodes(child, f"{path}[{i}]")


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


def object_kind(
    name: str, model: type[Any], spec: Spec, schema: dict[str, Any] | None = None
) -> FieldKind:
    """
    The kind of a mapping of *spec*'s keys built into one *model* instance
    (read with places, written with :func:`write_fields`).
    """

    def read(reader: Reader, node: Node, path: str) -> Any:
        fields = reader.fields(node, path, spec)
        return None if fields is None else reader.build(model, node, path, **fields)

    return FieldKind(
        name,
        read,
        lambda item: write_fields(item, spec),
        object_schema(spec) if schema is None else schema,
        fields=spec,
    )


def list_kind(name: str, model: type[Any], spec: Spec) -> FieldKind:
    """
    The kind of a list of mappings, each built into a *model* instance; the
    list is refused as a whole if any item is.
    """
    item_kind = object_kind(name, model, spec)

    def read(reader: Reader, node: Node, path: str) -> tuple[Any, ...] | None:
        out = [
            item_kind.read(reader, item, f"{path}[{i}]")
            for i, item in enumerate(reader.items(node, path))
        ]
        return None if None in out else tuple(out)

    return FieldKind(
        name,
        read,
        lambda items: [write_fields(item, spec) for item in items],
        {"type": "array", "items": object_schema(spec)},
        fields=spec,
    )
