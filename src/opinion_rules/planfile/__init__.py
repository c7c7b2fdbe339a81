"""
Plan files: located parsing, the condition expression language, field descriptions, reader,
extends, writer, JSON Schema, loaders.

Internal: import from ``opinion_rules`` or its public submodules.
"""
