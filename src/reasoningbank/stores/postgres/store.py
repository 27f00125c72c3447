"""A shared store on PostgreSQL with pgvector, for many agents on many machines.

Open it with a URL (``open_store("postgresql://user@host/db")``); see
:mod:`~reasoningbank.stores._pg_conn` for the options the URL may carry
(``schema``, ``pool_min_size``, ``pool_max_size``). It needs the ``postgres``
extra (psycopg 3, psycopg-pool, pgvector).

* Numbered migrations recorded in ``schema_version``
  (:mod:`~reasoningbank.stores._pg_schema`), applied once under an advisory lock.
* A pool of connections shared by the threads of a process; every multi-statement
  write is one transaction, every multi-statement read one repeatable-read
  snapshot.
* Every statement names the scope: a scope is a hard tenant partition.
* Each write locks its scope's row in ``scopes``, which holds the scope's
  embedding binding and vector count, so concurrent writers of one scope never
  bind it to two models.
* ``search`` is exact for small scopes and goes through an HNSW index (cosine)
  for large ones (:mod:`~reasoningbank.stores._pg_search`).
* :meth:`PostgresStore.write_lock` serialises a scope's writers across every
  process using the database, with a session advisory lock.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from ..models import Experience, MemoryItem, RetrievedExperience, UsageEvent
from . import _pg_rows as _rows
from . import _pg_schema, _pg_search, _shared
from ._pg_conn import Conn, Pool, connect, lock_key, make_pool, parse_url, psycopg, translated
from ._pg_schema import MIGRATIONS, SCHEMA_VERSION
from .base import NotFoundError, StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore"]

_READ_ONLY_SNAPSHOT = psycopg.IsolationLevel.REPEATABLE_READ
# How long write_lock waits for another holder before giving up (a holder is a learn step: seconds).
WRITE_LOCK_TIMEOUT_S = 600.0


class PostgresStore:
    """A :class:`~reasoningbank.stores.base.Store` in a PostgreSQL schema.

    ``exact_search_max``: scopes with at most this many vectors are searched
    exactly, larger ones through the HNSW index, whose candidate list is
    ``ef_search`` long (longer: better recall, slower).
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        exact_search_max: int = _pg_search.DEFAULT_EXACT_MAX,
        ef_search: int = _pg_search.DEFAULT_EF_SEARCH,
    ) -> None:
        self._target = parse_url(url, min_size=min_size, max_size=max_size)
        self.schema = self._target.schema
        self.exact_search_max = exact_search_max
        self.ef_search = ef_search
        self._closed = False
        self._indexed: set[int] = set()
        self._held = threading.local()  # scopes this thread holds a write_lock on, with depths
        self._lock_pool: Pool | None = None
        self._lock_pool_guard = threading.Lock()
        with connect(self._target) as conn, translated(self._target.shown):
            self._search_path = _pg_schema.migrate(conn, self.schema)
        t = self._target
        self._pool = make_pool(t, self._search_path, min_size=t.min_size, max_size=t.max_size)

    # -- connections & transactions ---------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"PostgresStore {self._target.shown} is closed")

    @contextmanager
    def _conn(self) -> Iterator[Conn]:
        """A pooled autocommit connection; driver failures come out as :class:`StoreError`."""
        self._check_open()
        with translated(self._target.shown), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Conn]:
        """One read-committed transaction: committed when the block ends, rolled back if it raises."""
        with self._conn() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Conn]:
        """One read-only snapshot for several SELECTs (an experience and its items agree)."""
        with self._conn() as conn:
            conn.isolation_level, conn.read_only = _READ_ONLY_SNAPSHOT, True
            try:
                with conn.transaction():
                    yield conn
            finally:
                conn.isolation_level, conn.read_only = None, None

    def _one(self, query: str, params: tuple[object, ...]) -> tuple[Any, ...] | None:
        with self._conn() as conn:
            row: tuple[Any, ...] | None = conn.execute(query, params).fetchone()
            return row

    def schema_version(self) -> int:
        """The migration version of the bank's schema."""
        with self._conn() as conn:
            return _pg_schema.schema_version(conn)

    # -- writes ------------------------------------------------------------
    def add(self, experience: Experience) -> None:
        self.add_many([experience])

    def add_many(self, experiences: Sequence[Experience]) -> None:
        self._check_open()
        batch = _shared.prepare_batch(experiences)
        if not batch:
            return
        by_scope: dict[str, list[Experience]] = {}
        for exp in batch:
            by_scope.setdefault(exp.scope, []).append(exp)
        self._ensure_indexes(by_scope)
        with self._write() as conn:
            for name in sorted(by_scope):  # a fixed lock order: two batches never deadlock
                exps = by_scope[name]
                bound = _shared.check_binding(name, _rows.lock_scope(conn, name).binding, exps)
                taken = _rows.existing(conn, "experiences", name, [e.id for e in exps])
                if taken:
                    raise StoreError(f"experience {taken[0]!r} already exists in scope {name!r}")
                taken = _rows.existing(conn, "items", name, [it.id for e in exps for it in e.items])
                if taken:
                    raise StoreError(f"item id {taken[0]!r} already exists in scope {name!r}")
                _rows.add_vectors(conn, name, bound, sum(e.query_embedding is not None for e in exps))
            _rows.insert(conn, batch)

    def _ensure_indexes(self, by_scope: dict[str, builtins.list[Experience]]) -> None:
        """The HNSW index of every dimension the batch brings, created outside the write transaction.

        A batch its scope's binding refuses is refused here already, before it creates an
        index nobody needs (the check under the scope's lock, in the transaction, stays the
        one that counts).
        """
        dims = {e.query_embedding.dim for exps in by_scope.values() for e in exps if e.query_embedding}
        if not dims - self._indexed:
            return
        with self._conn() as conn:
            for name, exps in by_scope.items():
                _shared.check_binding(name, _rows.scope_row(conn, name).binding, exps)
            for dim in sorted(dims - self._indexed):
                _pg_schema.ensure_hnsw(conn, dim)
                self._indexed.add(dim)

    def delete(self, scope: str, experience_id: str) -> None:
        with self._write() as conn:
            bound = _rows.lock_scope(conn, scope).binding
            conn.execute(
                "DELETE FROM item_usage WHERE scope = %s AND item_id IN "
                "(SELECT id FROM items WHERE scope = %s AND experience_id = %s)",
                (scope, scope, experience_id),
            )
            # the experience's items go with it (ON DELETE CASCADE)
            row = conn.execute(
                "DELETE FROM experiences WHERE scope = %s AND id = %s RETURNING embedding IS NOT NULL",
                (scope, experience_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            _rows.add_vectors(conn, scope, bound, -1 if row[0] else 0)

    def record_usage(self, scope: str, events: Sequence[UsageEvent]) -> None:
        self._check_open()
        if not events:
            return
        rows = [_rows.usage_row(scope, e) for e in events]
        with self._write() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO item_usage (scope, item_id, task_id, shown, label, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )

    def supersede_item(self, scope: str, item_id: str, new_item: MemoryItem) -> MemoryItem:
        with self._write() as conn:
            # FOR UPDATE: a concurrent supersede of the same item waits, then finds it superseded.
            row = conn.execute(
                "SELECT json FROM items WHERE scope = %s AND id = %s FOR UPDATE", (scope, item_id)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no item {item_id!r} in scope {scope!r}")
            old = MemoryItem.model_validate_json(row[0])
            stored = _shared.next_version(scope, old, new_item)
            assert stored.experience_id is not None
            marked = old.model_copy(update={"superseded_by": stored.id})
            _rows.insert_item(conn, scope, stored.experience_id, stored)
            conn.execute(
                "UPDATE items SET superseded_by = %s, json = %s WHERE scope = %s AND id = %s",
                (stored.id, marked.model_dump_json(), scope, item_id),
            )
            return stored

    @contextmanager
    def write_lock(self, scope: str) -> Iterator[None]:
        """Hold the scope's writer lock: no other ``write_lock`` block of this scope runs meanwhile.

        It is a session advisory lock on a connection of its own pool, so it holds
        across every process using this schema of the database, and the writes and
        reads inside (on the main pool, each committed at once) see the latest
        committed state. Re-entrant in one thread. If the process dies, PostgreSQL
        ends its session and the lock with it.
        """
        self._check_open()
        held: dict[str, int] = self._held.__dict__.setdefault("depth", {})
        if held.get(scope, 0) > 0:
            held[scope] += 1
            try:
                yield
            finally:
                held[scope] -= 1
            return
        key = lock_key(self.schema, scope)
        with translated(self._target.shown), self._locks().connection() as conn:
            self._acquire(conn, scope, key)
            held[scope] = 1
            try:
                yield
            finally:
                held.pop(scope, None)
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @staticmethod
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

    def _locks(self) -> Pool:
        """The pool of lock-holding connections, apart from the main pool so that a thread holding a
        lock can always get a connection to write with."""
        with self._lock_pool_guard:
            self._check_open()
            if self._lock_pool is None:

                def release_all(conn: Conn) -> None:  # a lock never stays behind on a pooled session
                    conn.execute("SELECT pg_advisory_unlock_all()")

                self._lock_pool = make_pool(
                    self._target, self._search_path, min_size=0, max_size=64, reset=release_all
                )
            return self._lock_pool

    # -- reads -------------------------------------------------------------
    def usage(self, scope: str, item_ids: Sequence[str]) -> builtins.list[UsageEvent]:
        self._check_open()
        ids = list(dict.fromkeys(item_ids))
        if not ids:
            return []
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT item_id, task_id, shown, label, created_at FROM item_usage "
                "WHERE scope = %s AND item_id = ANY(%s) ORDER BY seq",
                (scope, ids),
            ).fetchall()
        # stable: events of one moment stay in the order they were recorded
        return sorted((_rows.usage_event(r) for r in rows), key=lambda e: e.created_at)

    def get(self, scope: str, experience_id: str, *, include_superseded: bool = False) -> Experience:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_rows.COLS} FROM experiences WHERE scope = %s AND id = %s",
                (scope, experience_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            return _rows.load(conn, scope, [row], include_superseded)[0]

    def list(
        self, scope: str, *, limit: int | None = None, offset: int = 0, include_superseded: bool = False
    ) -> list[Experience]:
        self._check_open()
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must be >= 0")
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_rows.COLS} FROM experiences WHERE scope = %s "
                "ORDER BY created_at, seq LIMIT %s OFFSET %s",
                (scope, limit, offset),
            ).fetchall()
            return _rows.load(conn, scope, rows, include_superseded)

    def count(self, scope: str) -> int:
        row = self._one("SELECT COUNT(*) FROM experiences WHERE scope = %s", (scope,))
        return int(row[0]) if row else 0

    def count_items(self, scope: str, *, include_superseded: bool = False) -> int:
        cond = "" if include_superseded else " AND superseded_by IS NULL"
        row = self._one(f"SELECT COUNT(*) FROM items WHERE scope = %s{cond}", (scope,))
        return int(row[0]) if row else 0

    def scopes(self) -> builtins.list[str]:
        with self._conn() as conn:
            rows = conn.execute("SELECT DISTINCT scope FROM experiences ORDER BY scope").fetchall()
        return [str(r[0]) for r in rows]

    def embedding_model(self, scope: str) -> tuple[str, int] | None:
        with self._conn() as conn:
            return _rows.scope_row(conn, scope).binding

    def has_item_hash(self, scope: str, content_hash: str) -> bool:
        row = self._one(
            "SELECT 1 FROM items WHERE scope = %s AND hash = %s AND superseded_by IS NULL LIMIT 1",
            (scope, content_hash),
        )
        return row is not None

    def search(
        self,
        scope: str,
        vector: npt.NDArray[np.float32],
        k: int,
        *,
        model: str,
        exclude_task_id: str | None = None,
    ) -> builtins.list[RetrievedExperience]:
        self._check_open()
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        with self._read() as conn:
            info = _rows.scope_row(conn, scope)
            q = _shared.query_vector(scope, vector, model, info.binding)
            if info.binding is None or q is None or k == 0:
                return []
            hits = _pg_search.search(
                conn,
                scope,
                q,
                k,
                dim=info.binding[1],
                vectors=info.vectors,
                exact_max=self.exact_search_max,
                exclude_task_id=exclude_task_id,
                ef_search=self.ef_search,
            )
            if not hits:
                return []
            rows = conn.execute(
                f"SELECT {_rows.COLS} FROM experiences WHERE scope = %s AND id = ANY(%s)",
                (scope, [h[0] for h in hits]),
            ).fetchall()
            loaded = {e.id: e for e in _rows.load(conn, scope, rows, False)}
            return [RetrievedExperience(experience=loaded[eid], score=score) for eid, score in hits]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock_pool_guard:
            pools = [self._pool, self._lock_pool]
        for pool in pools:
            if pool is not None:
                pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self._target.shown!r})"
