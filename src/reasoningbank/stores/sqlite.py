"""The default embedded store: one SQLite file in WAL mode.

* Numbered migrations recorded in ``schema_migrations``; a file written by a
  newer schema version is refused.
* Every write is one ``BEGIN IMMEDIATE`` transaction, so a crash leaves the
  file holding exactly the committed experiences.
* Query vectors are float32 BLOBs next to their model name and dimension; the
  full experience JSON is kept (items live in their own table).
* ``search`` is an exact cosine top-k with numpy over a per-scope matrix that is
  cached in memory and kept current incrementally. Each search reads, in its
  own snapshot, the ``removals`` counter (bumped by triggers on every DELETE or
  UPDATE of an ``experiences`` row, from any connection or process) and the
  largest ``seq``. Same counter and same ``seq``: the cache is reused. Same
  counter, larger ``seq``: only inserts happened (AUTOINCREMENT ``seq`` values
  are never reused and writers are serialised, so every row committed since is
  above the cached ``seq``), and just those rows of the scope are appended to
  the matrix, which grows geometrically. Otherwise (a removal, or new rows that
  would sort before cached ones) the matrix is rebuilt from SQLite.
* One connection per thread; several processes may share the file.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..models import EmbeddingRef, Experience, MemoryItem, RetrievedExperience, item_hash
from . import _shared
from .base import NotFoundError, StoreError

BUSY_TIMEOUT_MS = 30_000

# Each migration is a list of statements, applied in one transaction. Never edit
# a released migration: append a new one.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE experiences (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            emb_model TEXT,
            emb_dim INTEGER,
            vector BLOB,
            json TEXT NOT NULL,
            UNIQUE (scope, id)
        )""",
        "CREATE INDEX experiences_order ON experiences (scope, created_at, seq)",
        "CREATE INDEX experiences_task ON experiences (scope, task_id)",
        """CREATE TABLE items (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            experience_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            version INTEGER NOT NULL,
            superseded_by TEXT,
            json TEXT NOT NULL,
            UNIQUE (scope, id)
        )""",
        "CREATE INDEX items_experience ON items (scope, experience_id)",
        "CREATE INDEX items_hash ON items (scope, hash)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO meta (key, value) VALUES ('generation', 0)",
    ],
    # 2: a counter of removed or rewritten experience rows, kept by triggers so that
    # every connection (and any tool editing the file) maintains it. The search cache
    # appends rows while it is unchanged and rebuilds when it moves.
    [
        "INSERT INTO meta (key, value) VALUES ('removals', 0)",
        """CREATE TRIGGER experiences_removed AFTER DELETE ON experiences
        BEGIN UPDATE meta SET value = value + 1 WHERE key = 'removals'; END""",
        """CREATE TRIGGER experiences_rewritten AFTER UPDATE ON experiences
        BEGIN UPDATE meta SET value = value + 1 WHERE key = 'removals'; END""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


class _Rows:
    """Growable storage of one scope's unit vectors, ids and task ids.

    Successive :class:`_Cache` snapshots share it: an append writes past every
    snapshot's end (or into a new, larger array), so a search still holding an
    older snapshot never sees its rows change. Appends happen under the scope's
    lock, only onto the newest snapshot.
    """

    __slots__ = ("ids", "matrix", "size", "task_ids")

    def __init__(self, dim: int, capacity: int) -> None:
        self.matrix: _shared.Matrix = np.empty((capacity, dim), dtype=np.float32)
        self.task_ids: npt.NDArray[np.object_] = np.empty(capacity, dtype=object)
        self.ids: list[str] = []
        self.size = 0

    def append(self, rows: Sequence[Any]) -> None:
        """Append ``(id, task_id, created_at, vector)`` rows, normalising the vectors."""
        m = len(rows)
        if m == 0:
            return
        start, end = self.size, self.size + m
        capacity, dim = self.matrix.shape
        if end > capacity:
            capacity = max(end, capacity + capacity // 2, 64)
            matrix = np.empty((capacity, dim), dtype=np.float32)
            matrix[:start] = self.matrix[:start]
            task_ids = np.empty(capacity, dtype=object)
            task_ids[:start] = self.task_ids[:start]
            self.matrix, self.task_ids = matrix, task_ids
        block = self.matrix[start:end]
        block[...] = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float32).reshape(m, dim)
        # the same arithmetic as _shared.normalise_rows, in place
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        np.divide(block, norms, out=block)
        self.task_ids[start:end] = [r[1] for r in rows]
        self.ids.extend(str(r[0]) for r in rows)
        self.size = end


@dataclasses.dataclass(frozen=True)
class _Cache:
    """One scope's search matrix as of a snapshot (``removals``, ``max_seq``)."""

    removals: int
    max_seq: int
    last_created: float  # created_at of the last row: appended rows must not sort before it
    binding: tuple[str, int]
    rows: _Rows
    size: int
    ids: list[str]  # shared with ``rows`` and possibly longer: index it below ``size`` only
    task_ids: npt.NDArray[np.object_]
    matrix: _shared.Matrix

    @classmethod
    def of(
        cls, rows: _Rows, binding: tuple[str, int], removals: int, max_seq: int, last_created: float
    ) -> _Cache:
        n = rows.size
        return cls(
            removals=removals,
            max_seq=max_seq,
            last_created=last_created,
            binding=binding,
            rows=rows,
            size=n,
            ids=rows.ids,
            task_ids=rows.task_ids[:n],
            matrix=rows.matrix[:n],
        )


class SQLiteStore:
    """A :class:`~reasoningbank.stores.base.Store` in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._cache: dict[str, _Cache] = {}
        self._cache_lock = threading.Lock()
        self._scope_locks: dict[str, threading.Lock] = {}
        #: How often a scope's search matrix was loaded in full / extended with new rows.
        self.cache_rebuilds = 0
        self.cache_extends = 0
        self._closed = False
        self._migrate(self._conn())

    # -- connections & transactions ---------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"SQLiteStore {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.close()
                raise StoreError(f"could not switch {self.path} to WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            # not read by this version (see ``_matrix``); kept for processes of older versions
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

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

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
            )
            row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            current = int(row[0] or 0)
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer version of reasoningbank (store schema "
                    f"version {current}; this version knows up to {SCHEMA_VERSION}); upgrade reasoningbank"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[version - 1]:
                    conn.execute(stmt)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self) -> int:
        """The migration version of the open file."""
        row = self._conn().execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    # -- row <-> model -----------------------------------------------------
    @staticmethod
    def _binding(conn: sqlite3.Connection, scope: str) -> tuple[str, int] | None:
        row = conn.execute(
            "SELECT emb_model, emb_dim FROM experiences WHERE scope = ? AND vector IS NOT NULL LIMIT 1",
            (scope,),
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    @staticmethod
    def _items(
        conn: sqlite3.Connection, scope: str, experience_ids: Sequence[str], include_superseded: bool
    ) -> dict[str, list[MemoryItem]]:
        out: dict[str, list[MemoryItem]] = {eid: [] for eid in experience_ids}
        cond = "" if include_superseded else " AND superseded_by IS NULL"
        for start in range(0, len(experience_ids), 500):
            chunk = list(experience_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT experience_id, json FROM items WHERE scope = ? AND experience_id IN ({marks})"
                f"{cond} ORDER BY seq",
                (scope, *chunk),
            ).fetchall()
            for eid, js in rows:
                out[eid].append(MemoryItem.model_validate_json(js))
        return out

    def _load(
        self, conn: sqlite3.Connection, scope: str, rows: Sequence[Any], include_superseded: bool
    ) -> list[Experience]:
        items = self._items(conn, scope, [r[0] for r in rows], include_superseded)
        out = []
        for eid, js, model, dim, blob in rows:
            data = json.loads(js)
            data["items"] = items[eid]
            if blob is not None:
                vec = np.frombuffer(blob, dtype=np.float32)
                data["query_embedding"] = EmbeddingRef(model=model, dim=dim, vector=vec.tolist())
            out.append(Experience.model_validate(data))
        return out

    _COLS = "id, json, emb_model, emb_dim, vector"

    @staticmethod
    def _existing(conn: sqlite3.Connection, table: str, scope: str, ids: Sequence[str]) -> list[str]:
        found: list[str] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT id FROM {table} WHERE scope = ? AND id IN ({marks})", (scope, *chunk)
            ).fetchall()
            found.extend(str(r[0]) for r in rows)
        return found

    # -- writes ------------------------------------------------------------
    def add(self, experience: Experience) -> None:
        self.add_many([experience])

    def add_many(self, experiences: Sequence[Experience]) -> None:
        batch = _shared.prepare_batch(experiences)
        if not batch:
            return
        with self._write() as conn:
            by_scope: dict[str, list[Experience]] = {}
            for exp in batch:
                by_scope.setdefault(exp.scope, []).append(exp)
            for name, exps in by_scope.items():
                _shared.check_binding(name, self._binding(conn, name), exps)
                taken = self._existing(conn, "experiences", name, [e.id for e in exps])
                if taken:
                    raise StoreError(f"experience {taken[0]!r} already exists in scope {name!r}")
                taken = self._existing(conn, "items", name, [it.id for e in exps for it in e.items])
                if taken:
                    raise StoreError(f"item id {taken[0]!r} already exists in scope {name!r}")
            exp_rows = []
            item_rows = []
            for exp in batch:
                ref = exp.query_embedding
                blob = _shared.vector_of(ref).tobytes() if ref is not None else None
                exp_rows.append(
                    (
                        exp.scope,
                        exp.id,
                        exp.task_id,
                        _shared.timestamp(exp.created_at),
                        ref.model if ref else None,
                        ref.dim if ref else None,
                        blob,
                        exp.model_dump_json(exclude={"items", "query_embedding"}),
                    )
                )
                for it in exp.items:
                    item_rows.append(
                        (
                            exp.scope,
                            it.id,
                            exp.id,
                            item_hash(it.title, it.content),
                            it.version,
                            it.superseded_by,
                            it.model_dump_json(),
                        )
                    )
            try:
                conn.executemany(
                    "INSERT INTO experiences (scope, id, task_id, created_at, emb_model, emb_dim, vector, "
                    "json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    exp_rows,
                )
                conn.executemany(
                    "INSERT INTO items (scope, id, experience_id, hash, version, superseded_by, json) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    item_rows,
                )
            except sqlite3.IntegrityError as err:
                raise StoreError(f"duplicate experience or item id: {err}") from err

    def delete(self, scope: str, experience_id: str) -> None:
        with self._write() as conn:
            cur = conn.execute("DELETE FROM experiences WHERE scope = ? AND id = ?", (scope, experience_id))
            if cur.rowcount == 0:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            conn.execute("DELETE FROM items WHERE scope = ? AND experience_id = ?", (scope, experience_id))

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
                conn.execute(
                    "INSERT INTO items (scope, id, experience_id, hash, version, superseded_by, json) "
                    "VALUES (?, ?, ?, ?, ?, NULL, ?)",
                    (
                        scope,
                        stored.id,
                        stored.experience_id,
                        item_hash(stored.title, stored.content),
                        stored.version,
                        stored.model_dump_json(),
                    ),
                )
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
                f"SELECT {self._COLS} FROM experiences WHERE scope = ? AND id = ?", (scope, experience_id)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            return self._load(conn, scope, [row], include_superseded)[0]

    def list(
        self, scope: str, *, limit: int | None = None, offset: int = 0, include_superseded: bool = False
    ) -> list[Experience]:
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must be >= 0")
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {self._COLS} FROM experiences WHERE scope = ? ORDER BY created_at, seq "
                "LIMIT ? OFFSET ?",
                (scope, -1 if limit is None else limit, offset),
            ).fetchall()
            return self._load(conn, scope, rows, include_superseded)

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
        return self._binding(self._conn(), scope)

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

    def _scope_lock(self, scope: str) -> threading.Lock:
        with self._cache_lock:
            lock = self._scope_locks.get(scope)
            if lock is None:
                lock = self._scope_locks[scope] = threading.Lock()
            return lock

    def _matrix(self, conn: sqlite3.Connection, scope: str) -> _Cache | None:
        """The scope's search matrix as of ``conn``'s read snapshot.

        Call inside a read transaction, holding the scope's lock, before any
        other SELECT: the snapshot then starts here, after the snapshot of any
        cache stored before.
        """
        removals, max_seq = conn.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'removals'), "
            "(SELECT COALESCE(MAX(seq), 0) FROM experiences)"
        ).fetchone()
        removals, max_seq = int(removals), int(max_seq)
        with self._cache_lock:
            cached = self._cache.get(scope)
        if cached is not None and cached.removals == removals:
            if cached.max_seq == max_seq:
                return cached
            if cached.max_seq < max_seq and cached.rows.size == cached.size:
                grown = self._extend(conn, scope, cached, max_seq)
                if grown is not None:
                    with self._cache_lock:
                        self._cache[scope] = grown
                        self.cache_extends += 1
                    return grown
        return self._rebuild(conn, scope, removals, max_seq)

    def _extend(self, conn: sqlite3.Connection, scope: str, cached: _Cache, max_seq: int) -> _Cache | None:
        """``cached`` plus the scope's rows inserted since, or None if they do not go at its end."""
        # ``+scope`` keeps the planner on the rowid range instead of the scope index
        rows = conn.execute(
            "SELECT id, task_id, created_at, vector FROM experiences "
            "WHERE seq > ? AND seq <= ? AND +scope = ? AND vector IS NOT NULL ORDER BY created_at, seq",
            (cached.max_seq, max_seq, scope),
        ).fetchall()
        if not rows:
            return dataclasses.replace(cached, max_seq=max_seq)
        dim = cached.binding[1]
        if float(rows[0][2]) < cached.last_created or any(len(r[3]) != 4 * dim for r in rows):
            return None
        cached.rows.append(rows)
        return _Cache.of(cached.rows, cached.binding, cached.removals, max_seq, float(rows[-1][2]))

    def _rebuild(self, conn: sqlite3.Connection, scope: str, removals: int, max_seq: int) -> _Cache | None:
        binding = self._binding(conn, scope)
        if binding is None:
            with self._cache_lock:
                self._cache.pop(scope, None)
            return None
        rows = conn.execute(
            "SELECT id, task_id, created_at, vector FROM experiences WHERE scope = ? AND vector IS NOT NULL "
            "ORDER BY created_at, seq",
            (scope,),
        ).fetchall()
        store = _Rows(binding[1], len(rows) + max(64, len(rows) // 4))
        store.append(rows)
        cache = _Cache.of(store, binding, removals, max_seq, float(rows[-1][2]))
        with self._cache_lock:
            self._cache[scope] = cache
            self.cache_rebuilds += 1
        return cache

    def search(
        self,
        scope: str,
        vector: npt.NDArray[np.float32],
        k: int,
        *,
        model: str,
        exclude_task_id: str | None = None,
    ) -> builtins.list[RetrievedExperience]:
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        with self._read() as conn:
            with self._scope_lock(scope):
                cache = self._matrix(conn, scope)
            q = _shared.query_vector(scope, vector, model, cache.binding if cache else None)
            if cache is None or q is None or k == 0:
                return []
            scores = cache.matrix @ q
            mask = None if exclude_task_id is None else cache.task_ids != exclude_task_id
            hits = _shared.top_k(scores, mask, k)
            if not hits:
                return []
            ids = [cache.ids[i] for i in hits]
            marks = ",".join("?" * len(ids))
            rows = conn.execute(
                f"SELECT {self._COLS} FROM experiences WHERE scope = ? AND id IN ({marks})", (scope, *ids)
            ).fetchall()
            loaded = {e.id: e for e in self._load(conn, scope, rows, False)}
            return [
                RetrievedExperience(experience=loaded[cache.ids[i]], score=float(scores[i])) for i in hits
            ]

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
