"""The default embedded store: one SQLite file in WAL mode.

* Numbered migrations recorded in ``schema_migrations``
  (:mod:`~reasoningbank.stores._sqlite_schema`); a file written by a newer
  schema version is refused.
* Every write is one ``BEGIN IMMEDIATE`` transaction, so a crash leaves the
  file holding exactly the committed experiences.
* Query vectors are float32 BLOBs next to their model name and dimension; the
  full experience JSON is kept (items live in their own table); see
  :mod:`~reasoningbank.stores._sqlite_rows`.
* ``search`` is an exact cosine top-k with numpy over a per-scope matrix cached
  in memory and kept current incrementally, also across processes
  (:mod:`~reasoningbank.stores._sqlite_cache`).
* One connection per thread; several processes may share the file.
* :meth:`SQLiteStore.write_lock` is an OS file lock on ``<bank>.writelock``
  beside the database (:mod:`~reasoningbank.stores._filelock`): it serialises
  the read-decide-write blocks of every process and thread on the bank, while
  each write inside stays its own short ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import builtins
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..models import Experience, MemoryItem, RetrievedExperience, UsageEvent
from . import _shared
from . import _sqlite_rows as _rows
from ._filelock import FileLock
from ._sqlite_cache import SearchCache
from ._sqlite_conn import connect, open_error, write_error
from ._sqlite_schema import MIGRATIONS, SCHEMA_VERSION, migrate
from ._sqlite_schema import schema_version as _schema_version
from .base import NotFoundError, StoreError

BUSY_TIMEOUT_MS = 30_000

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]


class SQLiteStore:
    """A :class:`~reasoningbank.stores.base.Store` in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._cache = SearchCache()
        self._closed = False
        self._write_lock = FileLock(
            self.path.with_name(self.path.name + ".writelock"), BUSY_TIMEOUT_MS / 1000
        )
        try:
            migrate(self._conn(), self.path)
        except sqlite3.Error as err:  # e.g. a file that is no SQLite database at all
            self.close()
            raise open_error(self.path, err) from err
        except BaseException:
            self.close()
            raise

    @property
    def cache_rebuilds(self) -> int:
        """How often a scope's search matrix was loaded in full."""
        return self._cache.rebuilds

    @property
    def cache_extends(self) -> int:
        """How often a scope's search matrix was extended with new rows only."""
        return self._cache.extends

    # -- connections & transactions ---------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"SQLiteStore {self.path} is closed")

    def _conn(self) -> sqlite3.Connection:
        self._check_open()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, BUSY_TIMEOUT_MS)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; SQLite's errors (a read-only file, a lock held
        past the busy timeout) leave nothing written and come out as :class:`StoreError`."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                # not read by this version (see ``_sqlite_cache``); kept for processes of older versions
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise write_error(self.path, err) from err

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several SELECTs."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def schema_version(self) -> int:
        """The migration version of the open file."""
        return _schema_version(self._conn())

    # -- writes ------------------------------------------------------------
    @contextmanager
    def write_lock(self, scope: str) -> Iterator[None]:
        """Hold the bank's writer lock (every scope's: SQLite has one writer at a time anyway).

        Re-entrant for the thread that holds it. Waits up to the busy timeout, then
        raises :class:`StoreError`. Reads inside are plain autocommit reads, so they see
        every write committed before, by any process.
        """
        self._check_open()
        self._write_lock.acquire()
        try:
            self._check_open()
            yield
        finally:
            self._write_lock.release()

    def add(self, experience: Experience) -> None:
        self.add_many([experience])

    def add_many(self, experiences: Sequence[Experience]) -> None:
        self._check_open()
        batch = _shared.prepare_batch(experiences)
        if not batch:
            return
        with self._write() as conn:
            by_scope: dict[str, list[Experience]] = {}
            for exp in batch:
                by_scope.setdefault(exp.scope, []).append(exp)
            for name, exps in by_scope.items():
                _shared.check_binding(name, _rows.binding(conn, name), exps)
                taken = _rows.existing(conn, "experiences", name, [e.id for e in exps])
                if taken:
                    raise StoreError(f"experience {taken[0]!r} already exists in scope {name!r}")
                taken = _rows.existing(conn, "items", name, [it.id for e in exps for it in e.items])
                if taken:
                    raise StoreError(f"item id {taken[0]!r} already exists in scope {name!r}")
            try:
                conn.executemany(_rows.INSERT_EXPERIENCE, [_rows.experience_row(exp) for exp in batch])
                conn.executemany(
                    _rows.INSERT_ITEM,
                    [_rows.item_row(exp.scope, exp.id, it) for exp in batch for it in exp.items],
                )
            except sqlite3.IntegrityError as err:
                raise StoreError(f"duplicate experience or item id: {err}") from err

    def delete(self, scope: str, experience_id: str) -> None:
        with self._write() as conn:
            cur = conn.execute("DELETE FROM experiences WHERE scope = ? AND id = ?", (scope, experience_id))
            if cur.rowcount == 0:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            conn.execute(
                "DELETE FROM item_usage WHERE scope = ? AND item_id IN "
                "(SELECT id FROM items WHERE scope = ? AND experience_id = ?)",
                (scope, scope, experience_id),
            )
            conn.execute("DELETE FROM items WHERE scope = ? AND experience_id = ?", (scope, experience_id))

    def record_usage(self, scope: str, events: Sequence[UsageEvent]) -> None:
        self._check_open()
        if not events:
            return
        rows = [
            (scope, e.item_id, e.task_id, int(e.shown), e.label, _shared.timestamp(e.created_at))
            for e in events
        ]
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO item_usage (scope, item_id, task_id, shown, label, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def usage(self, scope: str, item_ids: Sequence[str]) -> builtins.list[UsageEvent]:
        self._check_open()
        ids = list(dict.fromkeys(item_ids))
        out: builtins.list[UsageEvent] = []
        with self._read() as conn:
            for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT item_id, task_id, shown, label, created_at FROM item_usage "
                    f"WHERE scope = ? AND item_id IN ({marks}) ORDER BY seq",
                    (scope, *chunk),
                ).fetchall()
                out += [
                    UsageEvent(
                        item_id=r[0],
                        task_id=r[1],
                        shown=bool(r[2]),
                        label=r[3],
                        created_at=datetime.fromtimestamp(r[4], UTC),
                    )
                    for r in rows
                ]
        return sorted(out, key=lambda e: e.created_at)

    def supersede_item(self, scope: str, item_id: str, new_item: MemoryItem) -> MemoryItem:
        with self._write() as conn:
            row = conn.execute(
                "SELECT json FROM items WHERE scope = ? AND id = ?", (scope, item_id)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no item {item_id!r} in scope {scope!r}")
            old = MemoryItem.model_validate_json(row[0])
            stored = _shared.next_version(scope, old, new_item)
            assert stored.experience_id is not None
            marked = old.model_copy(update={"superseded_by": stored.id})
            try:
                conn.execute(_rows.INSERT_ITEM, _rows.item_row(scope, stored.experience_id, stored))
            except sqlite3.IntegrityError as err:
                raise StoreError(f"item id {stored.id!r} already exists in scope {scope!r}") from err
            conn.execute(
                "UPDATE items SET superseded_by = ?, json = ? WHERE scope = ? AND id = ?",
                (stored.id, marked.model_dump_json(), scope, item_id),
            )
            return stored

    # -- reads -------------------------------------------------------------
    def get(self, scope: str, experience_id: str, *, include_superseded: bool = False) -> Experience:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_rows.COLS} FROM experiences WHERE scope = ? AND id = ?", (scope, experience_id)
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
                f"SELECT {_rows.COLS} FROM experiences WHERE scope = ? ORDER BY created_at, seq "
                "LIMIT ? OFFSET ?",
                (scope, -1 if limit is None else limit, offset),
            ).fetchall()
            return _rows.load(conn, scope, rows, include_superseded)

    def count(self, scope: str) -> int:
        row = self._conn().execute("SELECT COUNT(*) FROM experiences WHERE scope = ?", (scope,)).fetchone()
        return int(row[0])

    def count_items(self, scope: str, *, include_superseded: bool = False) -> int:
        cond = "" if include_superseded else " AND superseded_by IS NULL"
        row = self._conn().execute(f"SELECT COUNT(*) FROM items WHERE scope = ?{cond}", (scope,)).fetchone()
        return int(row[0])

    def scopes(self) -> builtins.list[str]:
        rows = self._conn().execute("SELECT DISTINCT scope FROM experiences ORDER BY scope").fetchall()
        return [str(r[0]) for r in rows]

    def embedding_model(self, scope: str) -> tuple[str, int] | None:
        return _rows.binding(self._conn(), scope)

    def has_item_hash(self, scope: str, content_hash: str) -> bool:
        row = (
            self._conn()
            .execute(
                "SELECT 1 FROM items WHERE scope = ? AND hash = ? AND superseded_by IS NULL LIMIT 1",
                (scope, content_hash),
            )
            .fetchone()
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
            snap = self._cache.snapshot(conn, scope)
            q = _shared.query_vector(scope, vector, model, snap.binding if snap else None)
            if snap is None or q is None or k == 0:
                return []
            scores = snap.matrix @ q
            mask = None if exclude_task_id is None else snap.task_ids != exclude_task_id
            hits = _shared.top_k(scores, mask, k)
            if not hits:
                return []
            ids = [snap.ids[i] for i in hits]
            marks = ",".join("?" * len(ids))
            rows = conn.execute(
                f"SELECT {_rows.COLS} FROM experiences WHERE scope = ? AND id IN ({marks})", (scope, *ids)
            ).fetchall()
            loaded = {e.id: e for e in _rows.load(conn, scope, rows, False)}
            return [RetrievedExperience(experience=loaded[snap.ids[i]], score=float(scores[i])) for i in hits]

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result (``"ok"`` when healthy)."""
        return str(self._conn().execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        with self._conns_lock:
            conns, self._conns = self._conns, []
        self._closed = True
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"
