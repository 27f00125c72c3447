"""The SQL stores' rows: the statements both engines run, and the models rows hold.

Every statement is written once, with ``?`` marks, and rendered by the
dialect's :class:`~reasoningbank.stores.sql.style.Style`. An ``experiences``
row keeps the experience as JSON without its items and vector
(:mod:`~reasoningbank.stores.sql.codec`); the vector is in the ``embedding``
column next to its model and dimension, each item is a row of ``items``. Every
statement names the scope: ids are only unique within one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...models import Experience, MemoryItem
from .. import _shared
from . import codec
from .dialect import C, Dialect

# The columns :func:`load` expects, in order.
COLS = "id, json, emb_model, emb_dim, embedding"
TABLES = frozenset({"experiences", "items"})

INSERT_EXPERIENCE = (
    "INSERT INTO experiences (scope, id, task_id, created_at, emb_model, emb_dim, embedding, json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_ITEM = (
    "INSERT INTO items (scope, id, experience_id, hash, version, superseded_by, json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_USAGE = (
    "INSERT INTO item_usage (scope, item_id, task_id, shown, label, created_at) VALUES (?, ?, ?, ?, ?, ?)"
)
GET = f"SELECT {COLS} FROM experiences WHERE scope = ? AND id = ?"
LIST = f"SELECT {COLS} FROM experiences WHERE scope = ? ORDER BY created_at, seq LIMIT ? OFFSET ?"
HAS_VECTOR = "SELECT embedding IS NOT NULL FROM experiences WHERE scope = ? AND id = ?"
DELETE_USAGE = (
    "DELETE FROM item_usage WHERE scope = ? AND item_id IN "
    "(SELECT id FROM items WHERE scope = ? AND experience_id = ?)"
)
DELETE_ITEMS = "DELETE FROM items WHERE scope = ? AND experience_id = ?"
DELETE_EXPERIENCE = "DELETE FROM experiences WHERE scope = ? AND id = ?"
ITEM_JSON = "SELECT json FROM items WHERE scope = ? AND id = ?"
MARK_SUPERSEDED = "UPDATE items SET superseded_by = ?, json = ? WHERE scope = ? AND id = ?"
COUNT = "SELECT COUNT(*) FROM experiences WHERE scope = ?"
COUNT_ITEMS = "SELECT COUNT(*) FROM items WHERE scope = ?"
CURRENT = " AND superseded_by IS NULL"
SCOPES = "SELECT DISTINCT scope FROM experiences ORDER BY scope"
HAS_HASH = "SELECT 1 FROM items WHERE scope = ? AND hash = ? AND superseded_by IS NULL LIMIT 1"


def existing(dialect: Dialect[C], conn: C, table: str, scope: str, ids: Sequence[str]) -> list[str]:
    """Those of ``ids`` that ``table`` (``experiences`` or ``items``) already holds in ``scope``."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    found: list[str] = []
    for cond, values in dialect.style.members("id", ids):
        query = dialect.style.render(f"SELECT id FROM {table} WHERE scope = ? AND ") + cond
        found.extend(str(r[0]) for r in conn.execute(query, (scope, *values)).fetchall())
    return found


def _items(
    dialect: Dialect[C], conn: C, scope: str, experience_ids: Sequence[str], include_superseded: bool
) -> dict[str, list[MemoryItem]]:
    out: dict[str, list[MemoryItem]] = {eid: [] for eid in experience_ids}
    tail = ("" if include_superseded else CURRENT) + " ORDER BY seq"
    for cond, values in dialect.style.members("experience_id", experience_ids):
        query = (
            dialect.style.render("SELECT experience_id, json FROM items WHERE scope = ? AND ") + cond + tail
        )
        for eid, js in conn.execute(query, (scope, *values)).fetchall():
            out[eid].append(MemoryItem.model_validate_json(js))
    return out


def load(
    dialect: Dialect[C], conn: C, scope: str, rows: Sequence[Any], include_superseded: bool
) -> list[Experience]:
    """The experiences of ``rows`` (selected as :data:`COLS`) with their items and vectors."""
    items = _items(dialect, conn, scope, [r[0] for r in rows], include_superseded)
    return [
        codec.assemble(js, items[eid], model, dim, None if vec is None else dialect.decode_vector(vec))
        for eid, js, model, dim, vec in rows
    ]


def load_ids(dialect: Dialect[C], conn: C, scope: str, ids: Sequence[str]) -> dict[str, Experience]:
    """The experiences of ``ids`` (current items only), by id."""
    rows: list[Any] = []
    for cond, values in dialect.style.members("id", ids):
        query = dialect.style.render(f"SELECT {COLS} FROM experiences WHERE scope = ? AND ") + cond
        rows += conn.execute(query, (scope, *values)).fetchall()
    return {e.id: e for e in load(dialect, conn, scope, rows, False)}


def experience_row(dialect: Dialect[Any], exp: Experience) -> tuple[Any, ...]:
    """The values of :data:`INSERT_EXPERIENCE` for ``exp``."""
    ref = exp.query_embedding
    return (
        exp.scope,
        exp.id,
        exp.task_id,
        dialect.encode_time(exp.created_at),
        ref.model if ref else None,
        ref.dim if ref else None,
        dialect.encode_vector(_shared.vector_of(ref)) if ref is not None else None,
        codec.experience_json(exp),
    )


def item_row(scope: str, experience_id: str, item: MemoryItem) -> tuple[Any, ...]:
    """The values of :data:`INSERT_ITEM` for ``item``."""
    return (scope, item.id, experience_id, *codec.item_columns(item))
