"""
Where past incidents come from: a JSON Lines file, a folder of incident
files, or the case store.  Each source is a generator of cases, read as the
back-test goes: memory holds a chunk, never the whole history.

The text of a file is read here and parsed where it is compared (in a
worker), so a bad incident is reported there with its location.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from opinion_rules._limits import INCIDENT_FILE_BYTES
from opinion_rules._reading import InputError, read_limited
from opinion_rules.backtest._job import Case, Instants, _instants
from opinion_rules.exceptions import BacktestError, UnknownIncidentError
from opinion_rules.store._casestore import CaseStore


__all__ = ["count_cases", "read_folder", "read_jsonl", "read_store", "source_kind"]

#: The first bytes of every SQLite database file.
_SQLITE_MAGIC = b"SQLite format 3\x00"
_URL_PREFIXES = ("postgresql://", "postgres://")


def source_kind(source: str | os.PathLike[str]) -> tuple[str, str]:
    """
    What *source* names, and where: ``("store", target)`` for a
    ``postgresql://`` URL, a ``sqlite:`` path or an SQLite file,
    ``("folder", path)`` for a folder of incident files, ``("jsonl", path)``
    for any other file (JSON Lines).

    Raises:
        BacktestError: *source* does not exist.

    .. versionadded:: 0.6.0
    """
    text = os.fspath(source)
    if text.startswith(_URL_PREFIXES):
        return "store", text
    if text.startswith("sqlite:"):
        name = text.removeprefix("sqlite:")
        name = name.removeprefix("//") if name.startswith("///") else name
        if not Path(name).is_file():
            raise BacktestError(f"{name}: no such store file")
        return "store", name
    path = Path(text)
    if path.is_dir():
        return "folder", text
    if not path.is_file():
        raise BacktestError(f"{text}: no such file or folder")
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise BacktestError(f"{text}: cannot be read ({exc.strerror})") from None
    return ("store" if head == _SQLITE_MAGIC else "jsonl"), text


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Case]:
    """
    The incidents of a JSON Lines file, one per line (blank lines are
    skipped), each located ``file:line``.

    Raises:
        BacktestError: the file cannot be opened.

    .. versionadded:: 0.6.0
    """
    name = os.fspath(path)
    try:
        handle = Path(name).open("rb")  # noqa: SIM115 - closed below, as a generator's file
    except OSError as exc:
        raise BacktestError(f"{name}: cannot be read ({exc.strerror})") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            if len(line) > INCIDENT_FILE_BYTES:
                problem = f"the line is longer than {INCIDENT_FILE_BYTES} bytes"
                yield Case(name, "", line=number, problem=problem)
                continue
            yield Case(name, line.rstrip(b"\r\n"), line=number)


def read_folder(path: str | os.PathLike[str]) -> Iterator[Case]:
    """
    The incidents of the ``*.json`` files in a folder and its subfolders,
    in path order, each located by its file.

    Raises:
        BacktestError: the folder cannot be listed.

    .. versionadded:: 0.6.0
    """
    folder = Path(path)
    if not folder.is_dir():
        raise BacktestError(f"{folder}: no such folder")
    try:
        files = sorted(p for p in folder.rglob("*.json") if not p.is_dir())
    except OSError as exc:
        raise BacktestError(f"{folder}: cannot be listed ({exc.strerror})") from None
    for file in files:
        try:
            text = read_limited(file, INCIDENT_FILE_BYTES, "incident file")
        except InputError as exc:
            where = str(file) if exc.line is None else f"{file}:{exc.line}:{exc.column}"
            yield Case(where, "", problem=exc.message)
            continue
        yield Case(str(file), text)


def read_store(store: CaseStore, at: Instants | Iterable[datetime] = "closing") -> Iterator[Case]:
    """
    The incidents of a case store, in id order, each rebuilt from its log:
    the whole log for ``"closing"``, or, for each listed instant, the
    entries recorded by then (one case per instant; an incident opened
    later is left out at that instant).  Located ``store:ID``.

    .. versionadded:: 0.6.0
    """
    instants = _instants(at)
    for incident_id in store.incident_ids():
        where = f"store:{incident_id}"
        if instants == "closing":
            yield Case(where, store.incident(incident_id))
            continue
        again = False
        for t in instants:
            try:
                incident = store.incident(incident_id, known_at=t)
            except UnknownIncidentError:
                continue
            yield Case(where, incident, at=(t,), again=again)
            again = True


def count_cases(kind: str, target: str, store: Any = None) -> int | None:
    """How many incidents a source holds, when that is cheap to tell (for progress)."""
    if kind == "store" and store is not None:
        return len(store.incident_ids())
    if kind == "folder":
        return sum(1 for _ in Path(target).rglob("*.json"))
    if kind == "jsonl":
        with Path(target).open("rb") as f:
            return sum(1 for line in f if line.strip())
    return None
