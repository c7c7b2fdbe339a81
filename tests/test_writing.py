"""
Files written whole (``opinion_rules._writing``): a reader never sees half a
file, and a failed write leaves the old file as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opinion_rules._writing import whole_file, write_whole


def test_a_file_written_as_work_goes_on_appears_only_at_the_end(tmp_path: Path):
    """whole_file: the target keeps its old text until the block ends, then has the new text."""
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")

    with whole_file(target, prefix=".out.", text=True) as f:
        f.write("新的一行\n")
        seen_during = target.read_text(encoding="utf-8")

    assert ("old\n", "新的一行\n") == (seen_during, target.read_text(encoding="utf-8"))
    assert ["out.jsonl"] == sorted(p.name for p in tmp_path.iterdir())


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path):
    """An error inside the block: the old file stays, the temporary file is removed."""
    target = tmp_path / "out.bin"
    write_whole(target, b"old", prefix=".out.")

    def half_way() -> None:
        with whole_file(target, prefix=".out.") as f:
            f.write(b"half")
            raise RuntimeError("failed half-way")

    with pytest.raises(RuntimeError):
        half_way()

    assert (b"old", ["out.bin"]) == (
        target.read_bytes(),
        sorted(p.name for p in tmp_path.iterdir()),
    )
