"""
Run the command line, or a Python snippet, with the wall clock pinned.

tests/test_docs.py runs every docs example through this, so an example's
output never depends on the day the suite runs (the command line reads the
clock for defaults such as ``--at`` and check's calendar horizon).

Usage: ``python tests/pinned_run.py -c CODE`` or ``python tests/pinned_run.py
ARGS...`` (the arguments of ``opinion-rules``).
"""

from __future__ import annotations

import runpy
import sys
from datetime import datetime, timedelta, timezone

import time_machine


#: The instant the docs are written at: the afternoon of their examples.
DOCS_NOW = datetime(2026, 11, 23, 14, tzinfo=timezone(timedelta(hours=8)))


def main() -> None:
    with time_machine.travel(DOCS_NOW, tick=False):
        if sys.argv[1:2] == ["-c"]:
            code = sys.argv[2]
            sys.argv = ["-c", *sys.argv[3:]]
            exec(compile(code, "<docs>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the docs' own examples
        else:
            sys.argv = ["opinion-rules", *sys.argv[1:]]
            runpy.run_module("opinion_rules", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
