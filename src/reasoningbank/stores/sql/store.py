"""One :class:`~reasoningbank.stores.base.Store` for every SQL engine, behind a :class:`Dialect`.

The reads and writes are written here once, with the statements of
:mod:`~reasoningbank.stores.sql.rows`; the engine (SQLite, PostgreSQL) comes
in as a :class:`~reasoningbank.stores.sql.dialect.Dialect`: its connections and
transactions, its spelling of bound values, how it keeps timestamps and
vectors, where a scope's binding lives, its search and its write lock.

* ``add_many`` is one write transaction: each scope of the batch (in sorted
  order, so two batches never deadlock) has its binding checked under the
  dialect's scope lock and its ids checked for duplicates, then every row is
  inserted.
* Reads of an experience with its items run in one read snapshot, so they agree.
* A closed store refuses every call but ``close`` with :class:`StoreError`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, Self

import numpy as np
import numpy.typing as npt

from ...models import Experience, MemoryItem, RetrievedExperience, UsageEvent
from .. import _shared
from ..base import NotFoundError, StoreError
from . import rows as _rows
from .dialect import C, Dialect, Search


class SQLStore(Generic[C]):
    """A store whose rows live in a SQL database reached through ``dialect``."""

    def __init__(self, dialect: Dialect[C]) -> None:
        self._dialect = dialect
        self._closed = False

    # -- plumbing ------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{type(self).__name__} {self._dialect.shown} is closed")

    def _sql(self, text: str) -> str:
        return self._dialect.style.render(text)

    def _one(self, query: str, params: tuple[object, ...]) -> tuple[Any, ...] | None:
        self._check_open()
        with self._dialect.connection() as conn:
            row: tuple[Any, ...] | None = conn.execute(self._sql(query), params).fetchone()
            return row

    def _insert(self, conn: C, query: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            cur = conn.cursor()
            try:
                cur.executemany(self._sql(query), rows)
            finally:
                cur.close()

    def schema_version(self) -> int:
        """The migration version of the bank."""
        self._check_open()
        with self._dialect.connection() as conn:
            return self._dialect.schema_version(conn)

    # -- writes ----------------------------------------------------------------
    @contextmanager
    def write_lock(self, scope: str) -> Iterator[None]:
        """Hold the scope's writer lock (see :meth:`Store.write_lock`; the engine's kind of lock)."""
        self._check_open()
        with self._dialect.write_lock(scope):
            self._check_open()
            yield

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
        self._dialect.prepare_write(by_scope)
        with self._dialect.write() as conn:
            for name in sorted(by_scope):  # a fixed lock order: two batches never deadlock
                self._check_new(conn, name, by_scope[name])
            try:
                self._insert(
                    conn, _rows.INSERT_EXPERIENCE, [_rows.experience_row(self._dialect, e) for e in batch]
                )
                self._insert(
                    conn,
                    _rows.INSERT_ITEM,
                    [_rows.item_row(e.scope, e.id, it) for e in batch for it in e.items],
                )
            except Exception as err:
                if (detail := self._dialect.duplicate(err)) is None:
                    raise
                raise StoreError(f"duplicate experience or item id: {detail}") from err

    def _check_new(self, conn: C, scope: str, exps: Sequence[Experience]) -> None:
        """Refuse ``exps`` if their vectors break the scope's binding or their ids are taken; count them."""
        bound = _shared.check_binding(scope, self._dialect.lock_scope(conn, scope), exps)
        taken = _rows.existing(self._dialect, conn, "experiences", scope, [e.id for e in exps])
        if taken:
            raise StoreError(f"experience {taken[0]!r} already exists in scope {scope!r}")
        taken = _rows.existing(self._dialect, conn, "items", scope, [it.id for e in exps for it in e.items])
        if taken:
            raise StoreError(f"item id {taken[0]!r} already exists in scope {scope!r}")
        self._dialect.count_vectors(conn, scope, bound, sum(e.query_embedding is not None for e in exps))

    def delete(self, scope: str, experience_id: str) -> None:
        self._check_open()
        with self._dialect.write() as conn:
            bound = self._dialect.lock_scope(conn, scope)
            row = conn.execute(self._sql(_rows.HAS_VECTOR), (scope, experience_id)).fetchone()
            if row is None:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            conn.execute(self._sql(_rows.DELETE_USAGE), (scope, scope, experience_id))
            conn.execute(self._sql(_rows.DELETE_ITEMS), (scope, experience_id))
            conn.execute(self._sql(_rows.DELETE_EXPERIENCE), (scope, experience_id))
            self._dialect.count_vectors(conn, scope, bound, -1 if row[0] else 0)

    def record_usage(self, scope: str, events: Sequence[UsageEvent]) -> None:
        self._check_open()
        if not events:
            return
        encode = self._dialect.encode_time
        rows = [(scope, e.item_id, e.task_id, e.shown, e.label, encode(e.created_at)) for e in events]
        with self._dialect.write() as conn:
            self._insert(conn, _rows.INSERT_USAGE, rows)

    def supersede_item(self, scope: str, item_id: str, new_item: MemoryItem) -> MemoryItem:
        self._check_open()
        with self._dialect.write() as conn:
            # FOR UPDATE where the engine has it: a concurrent supersede waits, then finds it superseded
            query = self._sql(_rows.ITEM_JSON) + self._dialect.style.for_update
            row = conn.execute(query, (scope, item_id)).fetchone()
            if row is None:
                raise NotFoundError(f"no item {item_id!r} in scope {scope!r}")
            old = MemoryItem.model_validate_json(row[0])
            stored = _shared.next_version(scope, old, new_item)
            assert stored.experience_id is not None
            marked = old.model_copy(update={"superseded_by": stored.id})
            try:
                conn.execute(
                    self._sql(_rows.INSERT_ITEM), _rows.item_row(scope, stored.experience_id, stored)
                )
            except Exception as err:
                if self._dialect.duplicate(err) is None:
                    raise
                raise StoreError(f"item id {stored.id!r} already exists in scope {scope!r}") from err
            conn.execute(
                self._sql(_rows.MARK_SUPERSEDED), (stored.id, marked.model_dump_json(), scope, item_id)
            )
            return stored

    # -- reads -------------------------------------------------------------
    def usage(self, scope: str, item_ids: Sequence[str]) -> builtins.list[UsageEvent]:
        self._check_open()
        decode = self._dialect.decode_time
        head = self._sql(
            "SELECT item_id, task_id, shown, label, created_at FROM item_usage WHERE scope = ? AND "
        )
        out: builtins.list[UsageEvent] = []
        with self._dialect.read() as conn:
            for cond, values in self._dialect.style.members("item_id", list(dict.fromkeys(item_ids))):
                out += [
                    UsageEvent(
                        item_id=r[0], task_id=r[1], shown=bool(r[2]), label=r[3], created_at=decode(r[4])
                    )
                    for r in conn.execute(head + cond + " ORDER BY seq", (scope, *values)).fetchall()
                ]
        # stable: events of one moment stay in the order they were recorded
        return sorted(out, key=lambda e: e.created_at)

    def get(self, scope: str, experience_id: str, *, include_superseded: bool = False) -> Experience:
        self._check_open()
        with self._dialect.read() as conn:
            row = conn.execute(self._sql(_rows.GET), (scope, experience_id)).fetchone()
            if row is None:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            return _rows.load(self._dialect, conn, scope, [row], include_superseded)[0]

    def list(
        self, scope: str, *, limit: int | None = None, offset: int = 0, include_superseded: bool = False
    ) -> builtins.list[Experience]:
        self._check_open()
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must be >= 0")
        limit_value = self._dialect.style.no_limit if limit is None else limit
        with self._dialect.read() as conn:
            rows = conn.execute(self._sql(_rows.LIST), (scope, limit_value, offset)).fetchall()
            return _rows.load(self._dialect, conn, scope, rows, include_superseded)

    def count(self, scope: str) -> int:
        row = self._one(_rows.COUNT, (scope,))
        return int(row[0]) if row else 0

    def count_items(self, scope: str, *, include_superseded: bool = False) -> int:
        row = self._one(_rows.COUNT_ITEMS + ("" if include_superseded else _rows.CURRENT), (scope,))
        return int(row[0]) if row else 0

    def scopes(self) -> builtins.list[str]:
        self._check_open()
        with self._dialect.connection() as conn:
            rows = conn.execute(_rows.SCOPES).fetchall()
        return [str(r[0]) for r in rows]

    def embedding_model(self, scope: str) -> tuple[str, int] | None:
        self._check_open()
        with self._dialect.connection() as conn:
            return self._dialect.binding(conn, scope)

    def has_item_hash(self, scope: str, content_hash: str) -> bool:
        return self._one(_rows.HAS_HASH, (scope, content_hash)) is not None

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
        with self._dialect.read() as conn:
            hits = self._dialect.search(conn, Search(scope, vector, k, model, exclude_task_id))
            loaded = _rows.load_ids(self._dialect, conn, scope, [eid for eid, _ in hits])
        return [RetrievedExperience(experience=loaded[eid], score=score) for eid, score in hits]

    def close(self) -> None:
        """Release the store; closing again does nothing."""
        self._closed = True
        self._dialect.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._dialect.shown!r})"
