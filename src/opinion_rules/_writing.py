"""
Writing a file whole: through a temporary file in the same folder, renamed
into place, so that a reader (a calendar app, an image viewer) never sees
half of it, and a failed write leaves the old file as it was: all at once
(:func:`write_whole`) or as work goes on (:func:`whole_file`).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload


__all__ = ["whole_file", "write_whole"]


def write_whole(path: Path, data: bytes, *, prefix: str, mode: int | None = None) -> None:
    """
    Write *data* to *path* whole; the temporary file's name starts with
    *prefix*, and *mode* (if given) is set before the rename (a temporary
    file is created 0600).

    Raises:
        OSError: the file cannot be written; nothing is left behind.
    """
    with whole_file(path, prefix=prefix, mode=mode) as f:
        f.write(data)


@overload
def whole_file(
    path: Path, *, prefix: str, mode: int | None = None, text: Literal[False] = False
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
@overload
def whole_file(
    path: Path, *, prefix: str, mode: int | None = None, text: Literal[True]
) -> contextlib.AbstractContextManager[IO[str]]: ...
def whole_file(
    path: Path, *, prefix: str, mode: int | None = None, text: bool = False
) -> contextlib.AbstractContextManager[IO[Any]]:
    """
    A temporary file beside *path* (its name starting with *prefix*) to
    write as work goes on (UTF-8 text if *text*); renamed to *path* when
    the ``with`` block ends without an error, removed when it raises.

    Raises:
        OSError: the file cannot be created or renamed; nothing is left behind.
    """
    return _whole_file(path, prefix, mode, text)


@contextlib.contextmanager
def _whole_file(path: Path, prefix: str, mode: int | None, text: bool) -> Iterator[IO[Any]]:
    tmp: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w" if text else "wb",
            encoding="utf-8" if text else None,
            dir=path.parent,
            prefix=prefix,
            delete=False,
        ) as f:
            tmp = Path(f.name)
            yield f
        if mode is not None:
            tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
