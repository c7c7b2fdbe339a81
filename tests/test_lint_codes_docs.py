"""
The command-line reference lists every finding code `check` can report.
"""

from __future__ import annotations

import re

from .conftest import ROOT


def test_every_finding_code_is_in_the_cli_reference():
    """Each kebab-case code the lint modules report has a row in docs/reference/cli.md."""
    sources = (ROOT / "src" / "opinion_rules" / "authoring").glob("_lint*.py")
    codes = {
        code
        for path in sources
        for code in re.findall(r'"([a-z]+(?:-[a-z]+)+)"', path.read_text(encoding="utf-8"))
    }
    documented = set(
        re.findall(
            r"^\| `([a-z]+(?:-[a-z]+)+)` \|",
            (ROOT / "docs/reference/cli.md").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )

    assert codes
    assert set() == codes - documented
