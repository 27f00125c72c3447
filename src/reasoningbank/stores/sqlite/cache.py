"""The SQLite store's in-memory search matrices, one per scope, kept current incrementally.

Each search reads, in its own snapshot, the ``removals`` counter (bumped by
triggers on every DELETE or UPDATE of an ``experiences`` row, from any
connection or process) and the largest ``seq``. Same counter and same ``seq``:
the cached matrix is reused. Same counter, larger ``seq``: only inserts
happened (AUTOINCREMENT ``seq`` values are never reused and writers are
serialised, so every row committed since is above the cached ``seq``), and just
those rows of the scope are appended to the matrix, which grows geometrically.
Otherwise (a removal, or new rows that would sort before cached ones) the
matrix is rebuilt from SQLite.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _shared
from ..sql.dialect import Binding


def binding(conn: sqlite3.Connection, scope: str) -> Binding:
    """The (model, dim) of the scope's vectors, or None if it has none."""
    row = conn.execute(
        "SELECT emb_model, emb_dim FROM experiences WHERE scope = ? AND embedding IS NOT NULL LIMIT 1",
        (scope,),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


class Rows:
    """Growable storage of one scope's unit vectors, ids and task ids.

    Successive :class:`Snapshot` snapshots share it: an append writes past every
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
class Snapshot:
    """One scope's search matrix as of a snapshot (``removals``, ``max_seq``)."""

    removals: int
    max_seq: int
    last_created: float  # created_at of the last row: appended rows must not sort before it
    binding: tuple[str, int]
    rows: Rows
    size: int
    ids: list[str]  # shared with ``rows`` and possibly longer: index it below ``size`` only
    task_ids: npt.NDArray[np.object_]
    matrix: _shared.Matrix

    @classmethod
    def of(
        cls, rows: Rows, binding: tuple[str, int], removals: int, max_seq: int, last_created: float
    ) -> Snapshot:
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


class SearchCache:
    """The :class:`Snapshot` of every scope searched, with counters of how it was kept current."""

    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        self._scope_locks: dict[str, threading.Lock] = {}
        #: How often a scope's search matrix was loaded in full / extended with new rows.
        self.rebuilds = 0
        self.extends = 0

    def _scope_lock(self, scope: str) -> threading.Lock:
        with self._lock:
            lock = self._scope_locks.get(scope)
            if lock is None:
                lock = self._scope_locks[scope] = threading.Lock()
            return lock

    def snapshot(self, conn: sqlite3.Connection, scope: str) -> Snapshot | None:
        """The scope's search matrix as of ``conn``'s read snapshot (None if it has no vectors).

        Call inside a read transaction before any other SELECT: the snapshot then
        starts here, after the snapshot of any matrix cached before.
        """
        with self._scope_lock(scope):
            return self._current(conn, scope)

    def _current(self, conn: sqlite3.Connection, scope: str) -> Snapshot | None:
        removals, max_seq = conn.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'removals'), "
            "(SELECT COALESCE(MAX(seq), 0) FROM experiences)"
        ).fetchone()
        removals, max_seq = int(removals), int(max_seq)
        with self._lock:
            cached = self._snapshots.get(scope)
        if cached is not None and cached.removals == removals:
            if cached.max_seq == max_seq:
                return cached
            if cached.max_seq < max_seq and cached.rows.size == cached.size:
                grown = self._extend(conn, scope, cached, max_seq)
                if grown is not None:
                    with self._lock:
                        self._snapshots[scope] = grown
                        self.extends += 1
                    return grown
        return self._rebuild(conn, scope, removals, max_seq)

    def _extend(
        self, conn: sqlite3.Connection, scope: str, cached: Snapshot, max_seq: int
    ) -> Snapshot | None:
        """``cached`` plus the scope's rows inserted since, or None if they do not go at its end."""
        # ``+scope`` keeps the planner on the rowid range instead of the scope index
        rows = conn.execute(
            "SELECT id, task_id, created_at, embedding FROM experiences "
            "WHERE seq > ? AND seq <= ? AND +scope = ? AND embedding IS NOT NULL ORDER BY created_at, seq",
            (cached.max_seq, max_seq, scope),
        ).fetchall()
        if not rows:
            return dataclasses.replace(cached, max_seq=max_seq)
        dim = cached.binding[1]
        if float(rows[0][2]) < cached.last_created or any(len(r[3]) != 4 * dim for r in rows):
            return None
        cached.rows.append(rows)
        return Snapshot.of(cached.rows, cached.binding, cached.removals, max_seq, float(rows[-1][2]))

    def _rebuild(self, conn: sqlite3.Connection, scope: str, removals: int, max_seq: int) -> Snapshot | None:
        bound = binding(conn, scope)
        if bound is None:
            with self._lock:
                self._snapshots.pop(scope, None)
            return None
        rows = conn.execute(
            "SELECT id, task_id, created_at, embedding FROM experiences "
            "WHERE scope = ? AND embedding IS NOT NULL ORDER BY created_at, seq",
            (scope,),
        ).fetchall()
        store = Rows(bound[1], len(rows) + max(64, len(rows) // 4))
        store.append(rows)
        snap = Snapshot.of(store, bound, removals, max_seq, float(rows[-1][2]))
        with self._lock:
            self._snapshots[scope] = snap
            self.rebuilds += 1
        return snap
