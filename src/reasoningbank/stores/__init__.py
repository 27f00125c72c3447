"""Stores: where experiences, their memory items and query vectors live.

``open_store`` turns a URL into a store:

* ``memory://`` — :class:`InMemoryStore` (nothing persisted);
* ``sqlite:///bank.db`` — :class:`SQLiteStore` at a relative path,
  ``sqlite:////abs/bank.db`` at an absolute one (SQLAlchemy's convention);
* a plain path ending in ``.db``, ``.sqlite`` or ``.sqlite3``;
* ``postgresql://user@host/db`` (or ``postgres://``) — :class:`~reasoningbank.stores.postgres.PostgresStore`,
  imported only then: it needs the ``postgres`` extra.

``open_store(url, create=False)`` opens an existing bank only: a missing SQLite
file (or a PostgreSQL schema holding no bank) raises :class:`BankNotFoundError`
and nothing is created. Commands that only read open their store so.
"""

from __future__ import annotations

from pathlib import Path

from ._urls import mask_url
from .base import BankNotFoundError, EmbeddingMismatchError, NotFoundError, Store, StoreError
from .exchange import export_jsonl, import_jsonl
from .memory import InMemoryStore
from .sqlite import SQLiteStore

_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def open_store(url: str | Path, *, create: bool = True) -> Store:
    """Open the store named by ``url``; raise ``ValueError`` for an unknown form.

    With ``create=False`` the bank must exist (:class:`BankNotFoundError` otherwise)."""
    text = str(url).strip()
    if text == "memory://":
        return InMemoryStore()
    if text.startswith("sqlite:///"):
        path = text[len("sqlite:///") :]
        if not path:
            raise ValueError(f"store URL {text!r} names no file (expected sqlite:///path/to/bank.db)")
        return SQLiteStore(path, create=create)
    if "://" not in text and text.lower().endswith(_SQLITE_SUFFIXES):
        return SQLiteStore(text, create=create)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore  # psycopg is optional: import it only for such a URL

        return PostgresStore(text, create=create)
    raise ValueError(
        f"unknown store URL {mask_url(text)!r}: use 'memory://', 'sqlite:///path.db', "
        "'postgresql://user@host/db' or a path ending in " + ", ".join(_SQLITE_SUFFIXES)
    )


__all__ = [
    "BankNotFoundError",
    "EmbeddingMismatchError",
    "InMemoryStore",
    "NotFoundError",
    "SQLiteStore",
    "Store",
    "StoreError",
    "export_jsonl",
    "import_jsonl",
    "mask_url",
    "open_store",
]
