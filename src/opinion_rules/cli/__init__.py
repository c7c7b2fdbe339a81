"""
The ``opinion-rules`` command line.

Internal: import from ``opinion_rules`` or its public submodules.
"""
