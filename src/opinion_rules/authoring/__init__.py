"""
Tools for plan authors: lint a plan (what ``opinion-rules check`` reports),
render it as a document, and compare two versions (``opinion-rules diff``).
"""

from __future__ import annotations

from opinion_rules._public import publish
from opinion_rules.authoring._diff import PlanChange, PlanDiff, diff_plans
from opinion_rules.authoring._lint import Finding, lint_plan
from opinion_rules.authoring._render import render_plan


__all__ = ["Finding", "PlanChange", "PlanDiff", "diff_plans", "lint_plan", "render_plan"]

publish(__name__, globals(), __all__)
