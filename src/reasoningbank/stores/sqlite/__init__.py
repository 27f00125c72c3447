"""The SQLite store: :class:`SQLiteStore` (the shared SQL store on SQLite) and its schema."""

from __future__ import annotations

from .schema import MIGRATIONS, SQLITE_SCHEMA_VERSION
from .store import SQLiteStore

__all__ = ["MIGRATIONS", "SQLITE_SCHEMA_VERSION", "SQLiteStore"]
