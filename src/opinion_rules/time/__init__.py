"""
Time arithmetic: working calendars and deadline arithmetic (offsets, working days, clocks,
recurrences).

Internal: import from ``opinion_rules`` or its public submodules.
"""
