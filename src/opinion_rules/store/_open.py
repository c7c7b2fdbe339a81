"""
Opening a case store by path or URL, in the dialect the target names.
"""

from __future__ import annotations

import os

from opinion_rules._problems import describe_value
from opinion_rules.exceptions import StoreUnavailableError
from opinion_rules.store._casestore import CaseStore
from opinion_rules.store._postgres import PostgresStore
from opinion_rules.store._sqlite import SQLiteStore


__all__ = ["open_store"]


def open_store(target: str | os.PathLike[str], *, create: bool = True) -> CaseStore:
    """
    Open the case store at *target*: a ``postgresql://`` (or
    ``postgres://``) URL opens a :class:`~opinion_rules.store.PostgresStore`,
    anything else is the path of a :class:`~opinion_rules.store.SQLiteStore` file.

    Args:
        target: The path or URL.
        create: Whether a missing store may be created: an SQLite file that
            does not exist, or PostgreSQL tables that do not exist yet.  With
            ``create=False`` a missing store is :class:`StoreNotFoundError`,
            so that a mistyped path is not taken for a new, empty store.

    Raises:
        StoreNotFoundError: the store does not exist and *create* is false.
        StoreUnavailableError: the database cannot be opened or reached, is
            not a case store, or psycopg is missing for a PostgreSQL URL.

    .. versionadded:: 0.4.0
    .. versionchanged:: 0.5.0 *create*; an existing empty file is refused.
    """
    if not isinstance(target, str | os.PathLike):
        raise StoreUnavailableError(
            describe_value(target), "is not a path or a postgresql:// URL; expected one of them"
        )
    text = os.fspath(target)
    if isinstance(text, str) and text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text, create=create)  # psycopg is imported only here
    return SQLiteStore(text, create=create)
