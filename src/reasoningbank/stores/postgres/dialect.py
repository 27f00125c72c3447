"""PostgreSQL with pgvector behind the shared SQL store: pools, snapshots, advisory locks.

* A pool of autocommit connections shared by the threads of a process; every
  multi-statement write is one read-committed transaction, every multi-statement
  read one read-only repeatable-read snapshot.
* Timestamps are ``TIMESTAMPTZ``; vectors are pgvector values.
* Each write locks its scope's row in ``scopes``, which holds the scope's
  binding and vector count (:mod:`~reasoningbank.stores.postgres.scopes`).
* ``search`` is exact for small scopes and goes through an HNSW index (cosine)
  for large ones (:mod:`~reasoningbank.stores.postgres.search`); a batch creates
  the index of a new dimension before its write transaction.
* The write lock is a session advisory lock per scope, held on a connection of
  a pool of its own, so it spans every process using the schema.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ...models import Experience
from .. import _shared
from ..base import BankNotFoundError, StoreError
from ..sql.codec import aware
from ..sql.dialect import Binding, Hit, Search
from ..sql.migrate import current_version
from ..sql.style import PYFORMAT
from . import schema as _schema
from . import scopes as _scopes
from . import search as _search
from .conn import Conn, Pool, connect, lock_key, make_pool, parse_url, psycopg, translated

_READ_ONLY_SNAPSHOT = psycopg.IsolationLevel.REPEATABLE_READ
# How long write_lock waits for another holder before giving up (a holder is a learn step: seconds).
WRITE_LOCK_TIMEOUT_S = 600.0


class PostgresDialect:
    """The :class:`~reasoningbank.stores.sql.dialect.Dialect` of one schema; migrates it on open."""

    style = PYFORMAT

    def __init__(
        self,
        url: str,
        *,
        min_size: int,
        max_size: int,
        exact_search_max: int,
        ef_search: int,
        create: bool = True,
    ) -> None:
        self.target = parse_url(url, min_size=min_size, max_size=max_size)
        self.shown = self.target.shown
        self.exact_search_max = exact_search_max
        self.ef_search = ef_search
        self._closed = False
        self._indexed: set[int] = set()
        self._held = threading.local()  # scopes this thread holds a write_lock on, with depths
        self._lock_pool: Pool | None = None
        self._lock_pool_guard = threading.Lock()
        with connect(self.target) as conn, translated(self.shown):
            if not create and not _schema.holds_bank(conn, self.target.schema):
                raise BankNotFoundError(f"no bank at {self.shown} (schema {self.target.schema!r} holds none)")
            self.search_path = _schema.migrate(conn, self.target.schema)
        t = self.target
        self._pool = make_pool(t, self.search_path, min_size=t.min_size, max_size=t.max_size)

    # -- connections & transactions ---------------------------------------
    @contextmanager
    def connection(self) -> Iterator[Conn]:
        with translated(self.shown), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Conn]:
        with self.connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Conn]:
        with self.connection() as conn:
            conn.isolation_level, conn.read_only = _READ_ONLY_SNAPSHOT, True
            try:
                with conn.transaction():
                    yield conn
            finally:
                conn.isolation_level, conn.read_only = None, None

    def duplicate(self, err: Exception) -> str | None:
        if not isinstance(err, psycopg.errors.UniqueViolation):
            return None
        return str(err.diag.message_detail or err)

    @contextmanager
    def write_lock(self, scope: str) -> Iterator[None]:
        """The scope's session advisory lock, on a connection of the lock pool; re-entrant in one thread.

        The writes and reads inside (on the main pool, each committed at once) see the
        latest committed state. If the process dies, PostgreSQL ends its session and
        the lock with it.
        """
        held: dict[str, int] = self._held.__dict__.setdefault("depth", {})
        if held.get(scope, 0) > 0:
            held[scope] += 1
            try:
                yield
            finally:
                held[scope] -= 1
            return
        key = lock_key(self.target.schema, scope)
        with translated(self.shown), self._locks().connection() as conn:
            _acquire(conn, scope, key)
            held[scope] = 1
            try:
                yield
            finally:
                held.pop(scope, None)
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _locks(self) -> Pool:
        """The pool of lock-holding connections, apart from the main pool so that a thread holding a
        lock can always get a connection to write with."""
        with self._lock_pool_guard:
            if self._closed:
                raise StoreError(f"PostgresStore {self.shown} is closed")
            if self._lock_pool is None:

                def release_all(conn: Conn) -> None:  # a lock never stays behind on a pooled session
                    conn.execute("SELECT pg_advisory_unlock_all()")

                self._lock_pool = make_pool(
                    self.target, self.search_path, min_size=0, max_size=64, reset=release_all
                )
            return self._lock_pool

    # -- columns -----------------------------------------------------------
    def encode_time(self, dt: datetime) -> datetime:
        return aware(dt)

    def decode_time(self, value: Any) -> datetime:
        out: datetime = value.astimezone(UTC)
        return out

    def encode_vector(self, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return vector  # pgvector's adapter sends it as a vector value

    def decode_vector(self, value: Any) -> list[float]:
        out: list[float] = value.to_list()
        return out

    # -- bindings, indexes and search --------------------------------------------
    def binding(self, conn: Conn, scope: str) -> Binding:
        return _scopes.scope_row(conn, scope).binding

    def lock_scope(self, conn: Conn, scope: str) -> Binding:
        return _scopes.lock_scope(conn, scope).binding

    def count_vectors(self, conn: Conn, scope: str, binding: Binding, delta: int) -> None:
        _scopes.add_vectors(conn, scope, binding, delta)

    def prepare_write(self, by_scope: Mapping[str, Sequence[Experience]]) -> None:
        """The HNSW index of every dimension the batch brings, created outside the write transaction.

        A batch its scope's binding refuses is refused here already, before it creates an
        index nobody needs (the check under the scope's lock, in the transaction, stays the
        one that counts).
        """
        dims = {e.query_embedding.dim for exps in by_scope.values() for e in exps if e.query_embedding}
        if not dims - self._indexed:
            return
        with self.connection() as conn:
            for name, exps in by_scope.items():
                _shared.check_binding(name, _scopes.scope_row(conn, name).binding, exps)
            for dim in sorted(dims - self._indexed):
                _schema.ensure_hnsw(conn, dim)
                self._indexed.add(dim)

    def search(self, conn: Conn, query: Search) -> list[Hit]:
        info = _scopes.scope_row(conn, query.scope)
        q = _shared.query_vector(query.scope, query.vector, query.model, info.binding)
        if info.binding is None or q is None or query.k == 0:
            return []
        return _search.search(
            conn,
            query.scope,
            q,
            query.k,
            dim=info.binding[1],
            vectors=info.vectors,
            exact_max=self.exact_search_max,
            exclude_task_id=query.exclude_task_id,
            ef_search=self.ef_search,
        )

    def schema_version(self, conn: Conn) -> int:
        return current_version(conn)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock_pool_guard:
            pools = [self._pool, self._lock_pool]
        for pool in pools:
            if pool is not None:
                pool.close()


def _acquire(conn: Conn, scope: str, key: int) -> None:
    timeout_ms = max(1, int(WRITE_LOCK_TIMEOUT_S * 1000))
    conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{timeout_ms}ms",))
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    except psycopg.errors.LockNotAvailable as err:
        raise StoreError(
            f"gave up after {WRITE_LOCK_TIMEOUT_S:g} s waiting for the write lock of scope {scope!r} "
            "(another writer holds it)"
        ) from err
