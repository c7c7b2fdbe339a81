"""
The exit codes of ``opinion-rules`` (documented in ``opinion_rules.cli._main``).

Their own module because every command returns one and ``_main`` imports
the commands.
"""

from __future__ import annotations


__all__ = ["EXIT_BAD_INPUT", "EXIT_ENGINE", "EXIT_FAILED", "EXIT_OK"]

EXIT_OK = 0
#: ``check``: a plan has errors; ``track``: the case store cannot be opened or failed.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENGINE = 3
