"""SQLite behind the shared SQL store: one file in WAL mode, a connection per thread.

* Every write is one ``BEGIN IMMEDIATE`` transaction, so a crash leaves the
  file holding exactly the committed experiences; SQLite's errors (a read-only
  file, a lock held past the busy timeout) come out as :class:`StoreError`.
* Timestamps are seconds since the epoch (REAL); vectors are float32 BLOBs.
* A scope's binding is the model and dimension of any of its vector rows.
* ``search`` is an exact cosine top-k with numpy over a per-scope matrix cached
  in memory and kept current incrementally, also across processes
  (:mod:`~reasoningbank.stores.sqlite.cache`).
* The write lock is an OS file lock on ``<bank>.writelock`` beside the database
  (:mod:`~reasoningbank.stores.sqlite.filelock`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ...models import Experience
from .. import _shared
from ..sql.dialect import Binding, Hit, Search
from ..sql.migrate import current_version
from ..sql.style import QMARK
from . import conn as _conn
from .cache import SearchCache, binding
from .filelock import FileLock
from .schema import migrate

BUSY_TIMEOUT_MS = 30_000


class SQLiteDialect:
    """The :class:`~reasoningbank.stores.sql.dialect.Dialect` of one SQLite file; migrates it on open."""

    style = QMARK

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = str(path)
        self.cache = SearchCache()
        self._conns = _conn.PerThread(lambda: _conn.connect(path, BUSY_TIMEOUT_MS))
        self.file_lock = FileLock(path.with_name(path.name + ".writelock"), BUSY_TIMEOUT_MS / 1000)
        try:
            migrate(self.conn(), path)
        except sqlite3.Error as err:  # e.g. a file that is no SQLite database at all
            self.close()
            raise _conn.open_error(path, err) from err
        except BaseException:
            self.close()
            raise

    # -- connections & transactions ---------------------------------------
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit), opened on first use."""
        return self._conns.get()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        yield self.conn()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        try:
            with _conn.transaction(self.conn()) as conn:
                yield conn
                # not read by this version (see ``cache``); kept for processes of older versions
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        except sqlite3.Error as err:
            raise _conn.write_error(self.path, err) from err

    def read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return _conn.transaction(self.conn(), "BEGIN")  # a snapshot: it writes nothing to roll back

    @contextmanager
    def write_lock(self, scope: str) -> Iterator[None]:
        """The bank's writer lock (every scope's: SQLite has one writer at a time anyway).

        Re-entrant for the thread that holds it; waits up to the busy timeout, then
        raises :class:`StoreError`. Reads inside are plain autocommit reads, so they
        see every write committed before, by any process.
        """
        self.file_lock.acquire()
        try:
            yield
        finally:
            self.file_lock.release()

    def duplicate(self, err: Exception) -> str | None:
        return str(err) if isinstance(err, sqlite3.IntegrityError) else None

    # -- columns -----------------------------------------------------------
    def encode_time(self, dt: datetime) -> float:
        return _shared.timestamp(dt)

    def decode_time(self, value: Any) -> datetime:
        return datetime.fromtimestamp(value, UTC)

    def encode_vector(self, vector: npt.NDArray[np.float32]) -> bytes:
        return vector.tobytes()

    def decode_vector(self, value: Any) -> list[float]:
        out: list[float] = np.frombuffer(value, np.float32).tolist()
        return out

    # -- bindings and search ---------------------------------------------------
    def binding(self, conn: sqlite3.Connection, scope: str) -> Binding:
        return binding(conn, scope)

    def lock_scope(self, conn: sqlite3.Connection, scope: str) -> Binding:
        return binding(conn, scope)  # the write transaction holds the whole file already

    def count_vectors(self, conn: sqlite3.Connection, scope: str, binding: Binding, delta: int) -> None:
        """Nothing to count: the binding is read from the vector rows themselves."""

    def prepare_write(self, by_scope: Mapping[str, Sequence[Experience]]) -> None:
        """Nothing to prepare."""

    def search(self, conn: sqlite3.Connection, query: Search) -> list[Hit]:
        snap = self.cache.snapshot(conn, query.scope)  # the read's first SELECT (see SearchCache.snapshot)
        q = _shared.query_vector(query.scope, query.vector, query.model, snap.binding if snap else None)
        if snap is None or q is None or query.k == 0:
            return []
        scores = snap.matrix @ q
        mask = None if query.exclude_task_id is None else snap.task_ids != query.exclude_task_id
        return [(snap.ids[i], float(scores[i])) for i in _shared.top_k(scores, mask, query.k)]

    def schema_version(self, conn: sqlite3.Connection) -> int:
        return current_version(conn)

    def close(self) -> None:
        self._conns.close()
