"""
Read YAML, JSON and TOML into one tree of values that remember where they
are in the file, so every problem in a plan file can be reported as
``file:line:column``.

Only data is built: mappings with string keys, lists, strings, numbers,
booleans and null.  YAML tags, anchors and aliases are refused (aliases can
make a small file expand exponentially, and tags can build objects).

Work is bounded before it is done: lists and mappings may nest at most
:data:`~._limits.PLAN_FILE_DEPTH` deep (counted while the YAML composer
and the JSON parser descend, and by a scan of the TOML text before tomllib
reads it), number literals are at most :data:`~._limits.NUMBER_CHARACTERS`
long (Python refuses to read integers of more than 4,300 digits), and no
text may hold a lone surrogate or a control character other than tab and
line breaks.  Each is a located :class:`FileSyntaxError`.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import attrs
import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from opinion_rules._limits import NUMBER_CHARACTERS, PLAN_FILE_DEPTH, has_lone_surrogate


__all__ = ["FileSyntaxError", "Node", "parse_document", "text_problem"]

_TOO_DEEP = (
    f"lists and mappings nest deeper than {PLAN_FILE_DEPTH} levels; "
    f"expected at most {PLAN_FILE_DEPTH} levels"
)
_TOO_LONG = (
    f"a number has more than {NUMBER_CHARACTERS} characters; "
    f"expected a number of at most {NUMBER_CHARACTERS} characters"
)
_TEXT_EXPECTED = "expected Unicode text without control characters other than tab and line breaks"
# C0 control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """
    Why *text* cannot be plan text, or ``None``: a lone surrogate (from an
    escape such as ``\\ud800``) is not Unicode, and control characters
    (``\\u0000`` …) break terminals and databases.
    """
    if has_lone_surrogate(text):
        return "holds a lone surrogate (an escape such as \\ud800), which is not Unicode text"
    match = _CONTROL.search(text)
    if match is not None:
        return f"holds the control character U+{ord(match.group()):04X}"
    return None


def _checked_text(text: str, line: int, column: int, what: str = "a text") -> str:
    problem = text_problem(text)
    if problem is not None:
        raise FileSyntaxError(f"{what} {problem}; {_TEXT_EXPECTED}", line, column)
    return text


class FileSyntaxError(Exception):
    """
    The text is not valid in its format; *line* and *column* are 1-based.
    """

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@attrs.define(eq=False)
class Node:
    """
    One value and its place.

    *value* is a ``dict[str, Node]``, a ``list[Node]`` or a scalar.  For a
    mapping, *key_places* gives the line and column of each key.  For a
    string written on one line, *text_column* is the column of its first
    character, so an error inside it (an expression) can point at the
    character.
    """

    value: Any
    line: int
    column: int
    key_places: dict[str, tuple[int, int]] = attrs.field(factory=dict)
    text_column: int | None = None

    def plain(self) -> Any:
        """
        The value with every place dropped.
        """
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def parse_document(text: str, fmt: str) -> Node:
    """
    Parse *text* as ``yaml``, ``json`` or ``toml``.

    Raises:
        FileSyntaxError: with the place of the first syntax error.
    """
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:  # not Unicode: no parser (nor libyaml's UTF-8 input) takes it
        raise FileSyntaxError(
            f"the file holds a lone surrogate (U+{ord(surrogate.group()):04X}), which is not "
            f"Unicode text; {_TEXT_EXPECTED}",
            *_text_place(text, surrogate.start()),
        )
    try:
        match fmt:
            case "yaml":
                return _parse_yaml(text)
            case "json":
                return _JsonParser(text).document()
            case "toml":
                return _parse_toml(text)
    except RecursionError:  # pragma: no cover - the bounds above come first
        raise FileSyntaxError(_TOO_DEEP, 1, 1) from None
    raise ValueError(f"unknown format {fmt!r}")  # pragma: no cover - callers pass known formats


# -- YAML -------------------------------------------------------------------------


class _Composer(yaml.composer.Composer):
    """
    A composer that refuses anchors, aliases, explicit tags and nesting
    deeper than :data:`PLAN_FILE_DEPTH` (counted as it descends, so the
    refusal comes before the recursion).
    """

    open_collections = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[attr-defined]  # the parser's
        if isinstance(event, yaml.AliasEvent):
            raise FileSyntaxError(
                "YAML aliases (*name) are not allowed in plan files; write the value out",
                *_mark_place(event.start_mark),
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise FileSyntaxError(
                "YAML anchors (&name) are not allowed in plan files", *_mark_place(event.start_mark)
            )
        tag = getattr(event, "tag", None)
        if tag is not None:  # the parser sets a tag only when one is written
            raise FileSyntaxError(
                f"YAML tags ({tag}) are not allowed in plan files", *_mark_place(event.start_mark)
            )
        collection = isinstance(event, yaml.CollectionStartEvent)
        if collection:
            self.open_collections += 1
            if self.open_collections > PLAN_FILE_DEPTH:
                raise FileSyntaxError(_TOO_DEEP, *_mark_place(event.start_mark))
        try:
            return super().compose_node(parent, index)
        finally:
            if collection:
                self.open_collections -= 1


class _PyLoader(_Composer, yaml.SafeLoader):
    """
    The safe loader with the checking composer, all in Python.
    """


try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Loader: type[Any] = _PyLoader
else:

    class _CLoader(_Composer, CParser, SafeConstructor, Resolver):
        """
        libyaml's scanner and parser (five times faster, which matters for
        a file near ``PLAN_FILE_BYTES``) under the checking composer and the
        safe constructor.
        """

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)

    _Loader = _CLoader


def _mark_place(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _reader_error(
    text: str, exc: yaml.reader.ReaderError, c_parser: bool = False
) -> FileSyntaxError:
    """
    A character the YAML reader refuses, placed: libyaml counts the position
    in UTF-8 bytes, PyYAML in characters.
    """
    index = exc.position
    if c_parser:
        index = len(text.encode("utf-8", "surrogatepass")[: exc.position].decode("utf-8", "ignore"))
    character = f" (U+{exc.character:04X})" if isinstance(exc.character, int) else ""
    return FileSyntaxError(
        f"not valid YAML: {exc.reason}{character}; expected printable text",
        *_text_place(text, index),
    )


#: Characters libyaml reads in places PyYAML refuses them (see _parse_yaml).
_DISAGREE = re.compile("[\t?\ufeff]")


def _parse_yaml(text: str) -> Node:
    """
    *text* read by libyaml when PyYAML has it; a document libyaml refuses is
    read again by the pure-Python parser, whose error (its message and its
    place) is the one reported, so refusals read the same with or without
    libyaml.  A text holding a character on which the two disagree goes to the
    pure parser directly: libyaml takes a tab inside a plain scalar, and a
    ``?`` inside a plain scalar in a flow mapping, as part of the scalar,
    and skips a byte order mark inside the text; PyYAML refuses all three.
    """
    if _Loader is _PyLoader or _DISAGREE.search(text):
        return _parse_yaml_with(_PyLoader, text, c_parser=False)
    try:
        return _parse_yaml_with(_Loader, text, c_parser=True)
    except FileSyntaxError:
        return _parse_yaml_with(_PyLoader, text, c_parser=False)


def _parse_yaml_with(loader_type: type[Any], text: str, *, c_parser: bool) -> Node:
    try:
        loader = loader_type(text)  # PyYAML's reader rejects control characters here
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc, c_parser) from None
    except yaml.YAMLError as exc:  # pragma: no cover - the reader raises only ReaderError
        raise FileSyntaxError(f"not valid YAML: {exc}".replace("\n", " "), 1, 1) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return Node(None, 1, 1)
        return _yaml_node(loader, root, 0)
    except yaml.reader.ReaderError as exc:  # libyaml's reader, while parsing
        raise _reader_error(text, exc, c_parser) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise FileSyntaxError(
            f"not valid YAML: {exc.problem or exc.context}", line, column
        ) from None
    except yaml.YAMLError as exc:
        raise FileSyntaxError(f"not valid YAML: {exc}", 1, 1) from None
    finally:
        loader.dispose()


def _yaml_node(loader: Any, node: yaml.Node, depth: int) -> Node:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    if depth > PLAN_FILE_DEPTH:  # pragma: no cover - the composer refuses it first
        raise FileSyntaxError(_TOO_DEEP, line, column)
    if isinstance(node, yaml.MappingNode):
        out = Node({}, line, column)
        for key_node, value_node in node.value:
            key_place = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = _yaml_scalar(loader, key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                got = key if key is not None else f"a {key_node.id}"
                raise FileSyntaxError(
                    f"mapping keys must be text (got {got!r}); quote the key", *key_place
                )
            _checked_text(key, *key_place, what="a key")
            if key in out.value:
                raise FileSyntaxError(f"key {key!r} appears twice in one mapping", *key_place)
            out.value[key] = _yaml_node(loader, value_node, depth + 1)
            out.key_places[key] = key_place
        return out
    if isinstance(node, yaml.SequenceNode):
        return Node([_yaml_node(loader, item, depth + 1) for item in node.value], line, column)
    value = _yaml_scalar(loader, node)
    text_column = None
    if isinstance(value, str):
        _checked_text(value, line, column)
        if node.start_mark.line == node.end_mark.line:
            quoted = getattr(node, "style", None) in ("'", '"')
            text_column = column + (1 if quoted else 0)
    return Node(value, line, column, text_column=text_column)


_YAML_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _yaml_scalar(loader: Any, node: yaml.Node) -> Any:
    place = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag in _YAML_NUMBERS and len(node.value) > NUMBER_CHARACTERS:
        raise FileSyntaxError(_TOO_LONG, *place)
    try:
        return loader.construct_object(node)
    except (ValueError, TypeError, OverflowError) as exc:
        # A value the resolver took for a date or a number that is not one,
        # e.g. 2025-13-45; quoting makes it text.
        raise FileSyntaxError(
            f"cannot read {node.value!r} as a {node.tag.rsplit(':', 1)[-1]}: {exc}; "
            "quote it if it is text",
            *place,
        ) from None


# -- JSON -------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class _JsonParser:
    """
    A small JSON parser (RFC 8259) that keeps places; strings are decoded by
    the standard library's scanner.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def place(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def fail(self, message: str, index: int) -> FileSyntaxError:
        return FileSyntaxError(f"not valid JSON: {message}", *self.place(index))

    def skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return match.end() if match else index

    def document(self) -> Node:
        index = self.skip(0)
        node, index = self.value(index, 0)
        index = self.skip(index)
        if index != len(self.text):
            raise self.fail("extra data after the document", index)
        return node

    def value(self, index: int, depth: int) -> tuple[Node, int]:
        line, column = self.place(index)
        char = self.text[index : index + 1]
        if char in ("{", "[") and depth >= PLAN_FILE_DEPTH:
            raise FileSyntaxError(_TOO_DEEP, line, column)
        if char == "{":
            return self.mapping(index, depth)
        if char == "[":
            items: list[Node] = []
            index = self.skip(index + 1)
            if self.text.startswith("]", index):
                return Node(items, line, column), index + 1
            while True:
                item, index = self.value(self.skip(index), depth + 1)
                items.append(item)
                index = self.skip(index)
                if self.text.startswith(",", index):
                    index = self.skip(index + 1)
                elif self.text.startswith("]", index):
                    return Node(items, line, column), index + 1
                else:
                    raise self.fail("expected ',' or ']'", index)
        if char == '"':
            text, end = self.string(index)
            _checked_text(text, line, column)
            one_line = "\n" not in self.text[index:end]
            return Node(text, line, column, text_column=column + 1 if one_line else None), end
        for word, constant in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, index):
                return Node(constant, line, column), index + len(word)
        match = _NUMBER.match(self.text, index)
        if match and match.end() > index:
            literal = match.group()
            if len(literal) > NUMBER_CHARACTERS:
                raise FileSyntaxError(_TOO_LONG, line, column)
            number: int | float = (
                float(literal) if match.group(1) or match.group(2) else int(literal)
            )
            return Node(number, line, column), match.end()
        raise self.fail("expected a value", index)

    def string(self, index: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, index + 1, True)  # type: ignore[attr-defined,no-any-return]
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None

    def mapping(self, index: int, depth: int) -> tuple[Node, int]:
        out = Node({}, *self.place(index))
        index = self.skip(index + 1)
        if self.text.startswith("}", index):
            return out, index + 1
        while True:
            if not self.text.startswith('"', index):
                raise self.fail("expected a key in double quotes", index)
            key_place = self.place(index)
            key, index = self.string(index)
            _checked_text(key, *key_place, what="a key")
            if key in out.value:
                raise FileSyntaxError(
                    f"not valid JSON: key {key!r} appears twice in one object", *key_place
                )
            index = self.skip(index)
            if not self.text.startswith(":", index):
                raise self.fail("expected ':'", index)
            value, index = self.value(self.skip(index + 1), depth + 1)
            out.value[key] = value
            out.key_places[key] = key_place
            index = self.skip(index)
            if self.text.startswith(",", index):
                index = self.skip(index + 1)
            elif self.text.startswith("}", index):
                return out, index + 1
            else:
                raise self.fail("expected ',' or '}'", index)


# -- TOML -------------------------------------------------------------------------

_TOML_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)")
_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = re.compile(r"^(\s*)([A-Za-z0-9_\-\"'. ]+?)\s*=\s*")


# What the scan before tomllib looks at: strings and comments (skipped),
# brackets (counted) and runs of digits (measured).
_TOML_TOKEN = re.compile(
    r'''"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*'''
    rf"|(?P<open>[\[{{])|(?P<close>[\]}}])|(?P<digits>[0-9][0-9_]{{{NUMBER_CHARACTERS},}})",
    re.DOTALL,
)


def _scan_toml(text: str) -> None:
    """
    Refuse, before tomllib reads *text* (recursively, and with Python's
    4,300-digit limit on integers), arrays and inline tables nested deeper
    than :data:`PLAN_FILE_DEPTH` and number literals longer than
    :data:`NUMBER_CHARACTERS`.  Table headers add at most two brackets.
    """
    depth = 0
    for match in _TOML_TOKEN.finditer(text):
        if match.lastgroup == "open":
            depth += 1
            if depth > PLAN_FILE_DEPTH:
                raise FileSyntaxError(_TOO_DEEP, *_text_place(text, match.start()))
        elif match.lastgroup == "close":
            depth = max(0, depth - 1)
        elif match.lastgroup == "digits":
            raise FileSyntaxError(_TOO_LONG, *_text_place(text, match.start()))


def _text_place(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _parse_toml(text: str) -> Node:
    _scan_toml(text)
    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_PLACE.search(str(exc))
        lines = text.splitlines() or [""]
        line, column = (int(match[1]), int(match[2])) if match else (len(lines), len(lines[-1]) + 1)
        message = _TOML_PLACE.sub("", str(exc)).replace("(at end of document)", "").strip()
        raise FileSyntaxError(f"not valid TOML: {message}", line, column) from None
    except ValueError as exc:  # pragma: no cover - the scan refuses long numbers first
        raise FileSyntaxError(f"not valid TOML: {exc}", 1, 1) from None
    places = dict(_toml_places(text))
    return _toml_node(value, (), places, (1, 1), 0)


def _split_key(key: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in key.split("."))


def _toml_places(text: str) -> Iterator[tuple[tuple[Any, ...], tuple[int, int, int]]]:
    """
    Yield ``(path, (line, column, text_column))`` for table headers and
    ``key = value`` lines.  tomllib keeps no places, so this scans the lines;
    a value inside an inline table or a multi-line array is placed at the
    line of its key (good enough to find it, and documented).
    """
    table: tuple[Any, ...] = ()
    counts: dict[tuple[Any, ...], int] = {}
    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
                in_multiline = False
            continue
        header = _TOML_HEADER.match(raw)
        if header:
            path = _resolve(_split_key(header[2]), counts)
            if header[1] == "[[":
                counts[path] = counts.get(path, -1) + 1
                path = (*path, counts[path])
            table = path
            yield table, (number, raw.index("[") + 1, 0)
            continue
        key = _TOML_KEY.match(raw)
        if key:
            path = (*table, *_split_key(key[2]))
            value_column = key.end() + 1
            rest = raw[key.end() :]
            text_column = value_column + 1 if rest[:1] in ('"', "'") else 0
            yield path, (number, len(key[1]) + 1, text_column)
            yield (*path, "="), (number, value_column, text_column)
            if rest.count('"""') % 2 == 1 or rest.count("'''") % 2 == 1:
                in_multiline = True


def _resolve(path: tuple[str, ...], counts: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
    # [grades.clause] after [[grades]] means the clause of the last grade.
    out: tuple[Any, ...] = ()
    for part in path:
        out = (*out, part)
        if out in counts and out != path:
            out = (*out, counts[out])
    return out


def _toml_node(
    value: Any,
    path: tuple[Any, ...],
    places: dict[tuple[Any, ...], tuple[int, int, int]],
    inherited: tuple[int, int],
    depth: int,
) -> Node:
    value_place = places.get((*path, "=")) or places.get(path)
    line, column = (value_place[0], value_place[1]) if value_place else inherited
    text_column = value_place[2] if value_place and value_place[2] else None
    if isinstance(value, dict | list) and depth >= PLAN_FILE_DEPTH:
        # Dotted keys and table headers nest without brackets.
        raise FileSyntaxError(_TOO_DEEP, line, column)
    if isinstance(value, dict):
        out = Node({}, line, column)
        for key, item in value.items():
            key_place = places.get((*path, key))
            out.key_places[key] = (key_place[0], key_place[1]) if key_place else (line, column)
            _checked_text(key, *out.key_places[key], what="a key")
            out.value[key] = _toml_node(item, (*path, key), places, (line, column), depth + 1)
        return out
    if isinstance(value, list):
        return Node(
            [
                _toml_node(item, (*path, i), places, (line, column), depth + 1)
                for i, item in enumerate(value)
            ],
            line,
            column,
        )
    if isinstance(value, str):
        _checked_text(value, line, column)
        if text_column and "\n" not in value:
            return Node(value, line, column, text_column=text_column)
    if isinstance(value, int) and abs(value) >= 10**NUMBER_CHARACTERS:  # 0x…, 0o…, 0b…
        raise FileSyntaxError(_TOO_LONG, line, column)
    return Node(value, line, column)
