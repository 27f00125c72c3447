"""The default embedded store: one SQLite file in WAL mode.

:class:`SQLiteStore` is the shared :class:`~reasoningbank.stores.sql.store.SQLStore`
on :class:`~reasoningbank.stores.sqlite.dialect.SQLiteDialect`:

* Numbered migrations recorded in ``schema_migrations``
  (:mod:`~reasoningbank.stores.sqlite.schema`); a file written by a newer
  schema version is refused.
* Every write is one ``BEGIN IMMEDIATE`` transaction, so a crash leaves the
  file holding exactly the committed experiences.
* Query vectors are float32 BLOBs next to their model name and dimension; the
  full experience JSON is kept (items live in their own table); see
  :mod:`~reasoningbank.stores.sql.rows`.
* ``search`` is an exact cosine top-k with numpy over a per-scope matrix cached
  in memory and kept current incrementally, also across processes
  (:mod:`~reasoningbank.stores.sqlite.cache`).
* One connection per thread; several processes may share the file.
* :meth:`SQLiteStore.write_lock` is an OS file lock on ``<bank>.writelock``
  beside the database (:mod:`~reasoningbank.stores.sqlite.filelock`): it serialises
  the read-decide-write blocks of every process and thread on the bank, while
  each write inside stays its own short ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..base import BankNotFoundError
from ..sql.store import SQLStore
from .dialect import SQLiteDialect


class SQLiteStore(SQLStore[sqlite3.Connection]):
    """A :class:`~reasoningbank.stores.base.Store` in one SQLite file.

    The file and its missing directories are created, unless ``create`` is false: then a
    missing file raises :class:`~reasoningbank.stores.base.BankNotFoundError` and nothing is made.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise BankNotFoundError(f"no bank at {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sqlite = SQLiteDialect(self.path)
        super().__init__(self._sqlite)

    @property
    def cache_rebuilds(self) -> int:
        """How often a scope's search matrix was loaded in full."""
        return self._sqlite.cache.rebuilds

    @property
    def cache_extends(self) -> int:
        """How often a scope's search matrix was extended with new rows only."""
        return self._sqlite.cache.extends

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the file."""
        self._check_open()
        return self._sqlite.conn()

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result (``"ok"`` when healthy)."""
        return str(self._conn().execute("PRAGMA integrity_check").fetchone()[0])
