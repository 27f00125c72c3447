"""Rows of the PostgreSQL store and the models they hold: reading, writing, locking a scope.

The row layout is the SQLite store's (see :mod:`~reasoningbank.stores._codec`):
an experience's JSON without items and vector, the vector in a pgvector column
next to its model and dimension, one row per item. Every statement names the
scope; ids are only unique within one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from psycopg import errors

from ..models import Experience, MemoryItem, UsageEvent
from . import _codec, _shared
from ._pg_conn import Conn
from .base import StoreError

# The columns :func:`load` expects, in order.
COLS = "id, json, emb_model, emb_dim, embedding"

_INSERT_EXPERIENCE = (
    "INSERT INTO experiences (scope, id, task_id, created_at, emb_model, emb_dim, embedding, json) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
_INSERT_ITEM = (
    "INSERT INTO items (scope, id, experience_id, hash, version, superseded_by, json) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
_TABLES = frozenset({"experiences", "items"})


@dataclass(frozen=True)
class ScopeRow:
    """A scope's embedding binding and how many vectors it holds."""

    binding: tuple[str, int] | None
    vectors: int


def _scope_row(row: Any) -> ScopeRow:
    if row is None or row[0] is None:
        return ScopeRow(None, 0 if row is None else int(row[2]))
    return ScopeRow((str(row[0]), int(row[1])), int(row[2]))


def scope_row(conn: Conn, scope: str) -> ScopeRow:
    """The scope's binding and vector count (nothing bound if it was never written)."""
    row = conn.execute("SELECT emb_model, emb_dim, vectors FROM scopes WHERE scope = %s", (scope,)).fetchone()
    return _scope_row(row)


def lock_scope(conn: Conn, scope: str) -> ScopeRow:
    """Lock the scope's row until the transaction ends (creating it), and return it.

    Every write of a scope's experiences goes through here, so the binding check
    and the count update of one writer never interleave with another's.
    """
    conn.execute("INSERT INTO scopes (scope) VALUES (%s) ON CONFLICT (scope) DO NOTHING", (scope,))
    row = conn.execute(
        "SELECT emb_model, emb_dim, vectors FROM scopes WHERE scope = %s FOR UPDATE", (scope,)
    ).fetchone()
    return _scope_row(row)


def add_vectors(conn: Conn, scope: str, binding: tuple[str, int] | None, delta: int) -> None:
    """Count ``delta`` more (or fewer) vectors in the scope; at zero it is bound to no model again."""
    if delta == 0:
        return
    model, dim = binding if binding is not None else (None, None)
    conn.execute(
        "UPDATE scopes SET vectors = vectors + %(d)s, "
        "emb_model = CASE WHEN vectors + %(d)s > 0 THEN COALESCE(emb_model, %(m)s) END, "
        "emb_dim = CASE WHEN vectors + %(d)s > 0 THEN COALESCE(emb_dim, %(n)s) END "
        "WHERE scope = %(s)s",
        {"d": delta, "m": model, "n": dim, "s": scope},
    )


def existing(conn: Conn, table: str, scope: str, ids: Sequence[str]) -> list[str]:
    """Those of ``ids`` that ``table`` (``experiences`` or ``items``) already holds in ``scope``."""
    if table not in _TABLES:
        raise ValueError(f"unknown table {table!r}")
    if not ids:
        return []
    rows = conn.execute(
        f"SELECT id FROM {table} WHERE scope = %s AND id = ANY(%s)",
        (scope, list(ids)),
    ).fetchall()
    return [str(r[0]) for r in rows]


def insert(conn: Conn, batch: Sequence[Experience]) -> None:
    """Insert the experiences and their items (ids already checked; a race still raises StoreError)."""
    exp_rows = []
    for exp in batch:
        ref = exp.query_embedding
        exp_rows.append(
            (
                exp.scope,
                exp.id,
                exp.task_id,
                _codec.aware(exp.created_at),
                ref.model if ref else None,
                ref.dim if ref else None,
                _shared.vector_of(ref) if ref is not None else None,
                _codec.experience_json(exp),
            )
        )
    item_rows = [(exp.scope, it.id, exp.id, *_codec.item_columns(it)) for exp in batch for it in exp.items]
    try:
        with conn.cursor() as cur:
            cur.executemany(_INSERT_EXPERIENCE, exp_rows)
            if item_rows:
                cur.executemany(_INSERT_ITEM, item_rows)
    except errors.UniqueViolation as err:
        raise StoreError(f"duplicate experience or item id: {(err.diag.message_detail or err)!s}") from err


def insert_item(conn: Conn, scope: str, experience_id: str, item: MemoryItem) -> None:
    try:
        conn.execute(_INSERT_ITEM, (scope, item.id, experience_id, *_codec.item_columns(item)))
    except errors.UniqueViolation as err:
        raise StoreError(f"item id {item.id!r} already exists in scope {scope!r}") from err


def _items(
    conn: Conn, scope: str, experience_ids: Sequence[str], include_superseded: bool
) -> dict[str, list[MemoryItem]]:
    out: dict[str, list[MemoryItem]] = {eid: [] for eid in experience_ids}
    if not experience_ids:
        return out
    cond = "" if include_superseded else " AND superseded_by IS NULL"
    rows = conn.execute(
        "SELECT experience_id, json FROM items "
        f"WHERE scope = %s AND experience_id = ANY(%s){cond} ORDER BY seq",
        (scope, list(experience_ids)),
    ).fetchall()
    for eid, js in rows:
        out[eid].append(MemoryItem.model_validate_json(js))
    return out


def load(conn: Conn, scope: str, rows: Sequence[Any], include_superseded: bool) -> list[Experience]:
    """The experiences of ``rows`` (selected as :data:`COLS`) with their items and vectors."""
    items = _items(conn, scope, [r[0] for r in rows], include_superseded)
    return [
        _codec.assemble(js, items[eid], model, dim, None if vec is None else vec.to_list())
        for eid, js, model, dim, vec in rows
    ]


def usage_row(scope: str, event: UsageEvent) -> tuple[Any, ...]:
    return (scope, event.item_id, event.task_id, event.shown, event.label, _codec.aware(event.created_at))


def usage_event(row: Sequence[Any]) -> UsageEvent:
    """A usage event from ``item_id, task_id, shown, label, created_at``."""
    return UsageEvent(
        item_id=row[0], task_id=row[1], shown=bool(row[2]), label=row[3], created_at=row[4].astimezone(UTC)
    )
