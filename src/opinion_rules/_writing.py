"""
Writing a file whole: through a temporary file in the same folder, renamed
into place, so that a reader (a calendar app, an image viewer) never sees
half of it, and a failed write leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path


__all__ = ["write_whole"]


def write_whole(path: Path, data: bytes, *, prefix: str, mode: int | None = None) -> None:
    """
    Write *data* to *path* whole; the temporary file's name starts with
    *prefix*, and *mode* (if given) is set before the rename (a temporary
    file is created 0600).

    Raises:
        OSError: the file cannot be written; nothing is left behind.
    """
    tmp: Path | None = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=prefix, delete=False) as f:
            tmp = Path(f.name)
            f.write(data)
        if mode is not None:
            tmp.chmod(mode)
        tmp.replace(path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
