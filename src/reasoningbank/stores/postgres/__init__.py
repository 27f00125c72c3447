"""The PostgreSQL store: :class:`PostgresStore` (the shared SQL store on PostgreSQL with pgvector).

Importing it without the ``postgres`` extra raises an ``ImportError`` naming the
extra (:mod:`~reasoningbank.stores.postgres.conn`).
"""

from __future__ import annotations

from . import conn  # noqa: F401  (first: without the extra, its ImportError names the extra)
from .dialect import WRITE_LOCK_TIMEOUT_S
from .schema import MIGRATIONS, POSTGRES_SCHEMA_VERSION
from .store import PostgresStore

__all__ = ["MIGRATIONS", "POSTGRES_SCHEMA_VERSION", "WRITE_LOCK_TIMEOUT_S", "PostgresStore"]
