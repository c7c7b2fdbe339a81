"""
The append-only case store: records and batches, agenda, SQLite and PostgreSQL dialects.

Internal: import from ``opinion_rules`` or its public submodules.
"""
