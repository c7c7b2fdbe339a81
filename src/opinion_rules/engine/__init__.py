"""
Evaluation: the IR, backends behind a protocol and a registry, grading, obligations and statuses,
explanation, the incident check, Engine.

Internal: import from ``opinion_rules`` or its public submodules.
"""
