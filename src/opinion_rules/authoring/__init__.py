"""
Tools for plan authors: lint a plan (what ``opinion-rules check`` reports) and
render it as a document.
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.authoring._lint import Finding, lint_plan
from opinion_rules.authoring._render import render_plan


__all__ = ["Finding", "lint_plan", "render_plan"]

publish(__name__, globals(), __all__)
