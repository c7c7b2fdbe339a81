"""
Where plan files come from: the formats by suffix, reading a file within
``PLAN_FILE_BYTES``, and the state of one load (the folders ``extends`` and
year schedule files may be read from, and the chain of files being read).

The state is passed down the load as a value: no module-level state, so
two threads loading plans at once never see each other's files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from opinion_rules._limits import PLAN_FILE_BYTES
from opinion_rules._reading import InputError, read_limited, too_large
from opinion_rules.exceptions import PlanLoadError


__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Folders",
    "Load",
    "allowed_folders",
    "check_text_size",
    "read_plan_bytes",
    "real_folder",
    "real_path",
    "reason",
]

#: Plan file formats by suffix.
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
FORMATS = ("yaml", "toml", "json")

Folders = Iterable[str | os.PathLike[str]] | str | os.PathLike[str]


@attrs.frozen
class Load:
    """
    The state of one load, passed down to every base plan it reads: the
    folders ``extends`` may read from, the files being read (outermost
    first, to catch cycles) and how many plans deep the load is.
    """

    allowed: tuple[Path, ...]
    chain: tuple[Path, ...]
    depth: int = 1
    #: The enabled plug-ins (a PluginSet): calendars are found by name in them.
    plugins: Any = None

    def allows(self, target: Path) -> bool:
        return any(target.is_relative_to(folder) for folder in self.allowed)


def reason(exc: BaseException) -> str:
    """
    *exc* as one line of a message.
    """
    return str(exc).replace("\n", " ")


def check_text_size(text: str, source: str) -> None:
    """
    Refuse a text of more than ``PLAN_FILE_BYTES`` (as UTF-8), counting the
    bytes only when the characters alone cannot decide.
    """
    if len(text) > PLAN_FILE_BYTES or (
        4 * len(text) > PLAN_FILE_BYTES
        and len(text.encode("utf-8", "surrogatepass")) > PLAN_FILE_BYTES
    ):
        raise PlanLoadError(source, too_large("plan file", PLAN_FILE_BYTES, None))


def read_plan_bytes(
    path: Path, source: str, *, follow_last_link: bool = True, noun: str = "plan file"
) -> str:
    """
    The text of the plan (or year schedule) file *path*, read within
    ``PLAN_FILE_BYTES`` by :func:`opinion_rules._reading.read_limited`.

    Raises:
        PlanLoadError: naming *source*; undecodable UTF-8 is located.
    """
    try:
        return read_limited(path, PLAN_FILE_BYTES, noun, follow_last_link=follow_last_link)
    except InputError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None


def real_path(path: Path, source: str) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:  # pragma: no cover - the file was just read
        raise PlanLoadError(source, f"cannot resolve the path: {reason(exc)}") from None


def real_folder(path: Path, source: str) -> Path:
    """
    The folder *path* is named in (its own last link not followed), resolved.
    """
    return real_path(path.absolute().parent, source)


def allowed_folders(folders: Folders, source: str) -> tuple[Path, ...]:
    """
    The host's *folders*, resolved; a folder that is not a usable path is
    a :class:`PlanLoadError` naming *source*.
    """
    if isinstance(folders, str | os.PathLike):
        folders = [folders]
    out = []
    for folder in folders:
        try:
            out.append(Path(os.path.realpath(os.fspath(folder))))
        except (OSError, TypeError, ValueError) as exc:
            raise PlanLoadError(
                source, f"allowed folder {folder!r} is not a usable path: {reason(exc)}"
            ) from None
    return tuple(out)
