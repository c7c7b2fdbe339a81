"""
Bounded reading of outside input: files and JSON text.

Plan files, year files, incident files, ``track record``'s standard input
and ``--facts`` all come from outside; none may make reading them block,
recurse past the stack or fill memory.  This module reads them within the
bounds of :mod:`._limits` and reports what is wrong as an
:class:`InputError`, which each caller turns into its own located error
(``PlanLoadError``, ``FactError``, ``RecordFormatError``).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from ._limits import INCIDENT_JSON_DEPTH, NUMBER_CHARACTERS


__all__ = ["InputError", "json_depth_problem", "load_json", "read_limited"]


class InputError(Exception):
    """
    What is wrong with an input, where (1-based *line* and *column*, when
    known), what was expected and what was found.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        expected: str | None = None,
        got: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.expected = expected
        self.got = got


# -- files ----------------------------------------------------------------------------


def read_limited(path: Path, limit: int, noun: str, *, follow_last_link: bool = True) -> str:
    """
    The UTF-8 text of the file *path*, read safely: ``os.stat`` first (a
    regular file of at most *limit* bytes; never a FIFO, device or folder),
    then opened non-blocking (a FIFO swapped in cannot block), checked again
    on the open descriptor to be the same file, and read up to one byte past
    the limit.  *noun* names the file in messages (``plan file``).

    Raises:
        InputError: the first reason it cannot be read; undecodable UTF-8
            is located.
    """
    try:
        before = path.stat()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the file: {_reason(exc)}") from None
    _check_regular(before, limit, noun)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_last_link:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the file: {_reason(exc)}") from None
    try:
        opened = os.fstat(fd)
        _check_regular(opened, limit, noun)
        if (opened.st_dev, opened.st_ino) != (before.st_dev, before.st_ino):
            raise InputError("the file changed while it was opened; expected a stable file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read the file: {_reason(exc)}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(too_large(noun, limit, None))
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot start a character "
            f"here; expected {_a(noun)} saved as UTF-8",
            line=line,
            column=column,
        ) from None


def too_large(noun: str, limit: int, size: int | None) -> str:
    """
    The message for a file over its size limit.
    """
    got = "" if size is None else f" ({size} bytes)"
    return (
        f"the {noun} is larger than {limit} bytes{got}; expected {_a(noun)} of at most {limit} "
        "bytes"
    )


def _check_regular(info: os.stat_result, limit: int, noun: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "a FIFO"
            if stat.S_ISFIFO(info.st_mode)
            else "a device or other special file"
        )
        raise InputError(f"is {kind}, not a regular file; expected {_a(noun)}")
    if info.st_size > limit:
        raise InputError(too_large(noun, limit, info.st_size))


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _reason(exc: BaseException) -> str:
    return str(exc).replace("\n", " ")


# -- JSON -----------------------------------------------------------------------------


def load_json(text: str, *, first_line: int = 1) -> Any:
    """
    Parse the JSON *text* (which starts on line *first_line* of its
    source), refusing nesting deeper than :data:`INCIDENT_JSON_DEPTH` before
    the parser recurses into it, and number literals longer than
    :data:`NUMBER_CHARACTERS` (Python reads no integer of more than 4,300
    digits).

    Raises:
        json.JSONDecodeError: the text is not JSON (for the caller to place).
        InputError: it nests too deeply or holds too long a number, located.
    """
    deep = json_depth_problem(text, INCIDENT_JSON_DEPTH)
    if deep is not None:
        raise InputError(
            f"JSON nested deeper than {INCIDENT_JSON_DEPTH} levels",
            line=first_line + deep[0] - 1,
            column=deep[1],
        )
    try:
        return json.loads(
            text,
            parse_int=lambda literal: _number(literal, int),
            parse_float=lambda literal: _number(literal, float),
        )
    except _LongNumberError as exc:
        at = text.find(exc.literal)
        raise InputError(
            f"a number literal is longer than {NUMBER_CHARACTERS} characters",
            line=first_line + text.count("\n", 0, at),
            column=at - (text.rfind("\n", 0, at) + 1) + 1,
            expected="a shorter number",
            got=f"{exc.literal[:20]}..., {len(exc.literal)} characters",
        ) from None
    except RecursionError:  # pragma: no cover - json_depth_problem catches it first
        raise InputError("JSON nested too deeply to read") from None


class _LongNumberError(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _number(literal: str, kind: type[int | float]) -> int | float:
    if len(literal) > NUMBER_CHARACTERS:
        raise _LongNumberError(literal)
    return kind(literal)


def json_depth_problem(text: str, limit: int) -> tuple[int, int] | None:
    """
    The 1-based line and column of the first ``[`` or ``{`` nested deeper
    than *limit* in the JSON *text*, or ``None``.  Checked before parsing:
    the standard library's parser recurses once per level.
    """
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        bracket = match.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                start = match.start()
                line_start = text.rfind("\n", 0, start) + 1
                return text.count("\n", 0, start) + 1, start - line_start + 1
        elif bracket in ("]", "}"):
            depth -= 1
    return None


# Strings are skipped whole, so brackets inside them do not count.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+"|[\[\]{}]', re.DOTALL)
