"""
Tools for plan authors: lint (``check``) and render.

Internal: import from ``opinion_rules`` or its public submodules.
"""
