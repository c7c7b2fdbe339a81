"""
The plan as data: clauses, conditions, windows and deadlines, lifecycle, plan items and their
validation, incident facts, results.

Internal: import from ``opinion_rules`` or its public submodules.
"""
