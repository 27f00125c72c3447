"""Rows of the SQLite store and the models they hold: reading, writing, looking up ids.

An ``experiences`` row keeps the experience as JSON without its items and
vector (:mod:`~reasoningbank.stores._codec`, shared with the PostgreSQL store);
the vector is a float32 BLOB next to its model name and dimension, and each
item is a row of ``items``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..models import Experience, MemoryItem
from . import _codec, _shared

# The columns :func:`load` expects, in order.
COLS = "id, json, emb_model, emb_dim, vector"
_CHUNK = 500  # ids per ``IN (...)``: below SQLite's limit on bound parameters

INSERT_EXPERIENCE = (
    "INSERT INTO experiences (scope, id, task_id, created_at, emb_model, emb_dim, vector, json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_ITEM = (
    "INSERT INTO items (scope, id, experience_id, hash, version, superseded_by, json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def binding(conn: sqlite3.Connection, scope: str) -> tuple[str, int] | None:
    """The (model, dim) of the scope's vectors, or None if it has none."""
    row = conn.execute(
        "SELECT emb_model, emb_dim FROM experiences WHERE scope = ? AND vector IS NOT NULL LIMIT 1",
        (scope,),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[start : start + _CHUNK]) for start in range(0, len(ids), _CHUNK)]


def existing(conn: sqlite3.Connection, table: str, scope: str, ids: Sequence[str]) -> list[str]:
    """Those of ``ids`` that ``table`` (``experiences`` or ``items``) already holds in ``scope``."""
    found: list[str] = []
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT id FROM {table} WHERE scope = ? AND id IN ({marks})", (scope, *chunk)
        ).fetchall()
        found.extend(str(r[0]) for r in rows)
    return found


def _items(
    conn: sqlite3.Connection, scope: str, experience_ids: Sequence[str], include_superseded: bool
) -> dict[str, list[MemoryItem]]:
    out: dict[str, list[MemoryItem]] = {eid: [] for eid in experience_ids}
    cond = "" if include_superseded else " AND superseded_by IS NULL"
    for chunk in _chunks(experience_ids):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT experience_id, json FROM items WHERE scope = ? AND experience_id IN ({marks})"
            f"{cond} ORDER BY seq",
            (scope, *chunk),
        ).fetchall()
        for eid, js in rows:
            out[eid].append(MemoryItem.model_validate_json(js))
    return out


def load(
    conn: sqlite3.Connection, scope: str, rows: Sequence[Any], include_superseded: bool
) -> list[Experience]:
    """The experiences of ``rows`` (selected as :data:`COLS`) with their items and vectors."""
    items = _items(conn, scope, [r[0] for r in rows], include_superseded)
    return [
        _codec.assemble(
            js, items[eid], model, dim, None if blob is None else np.frombuffer(blob, np.float32).tolist()
        )
        for eid, js, model, dim, blob in rows
    ]


def experience_row(exp: Experience) -> tuple[Any, ...]:
    """The values of :data:`INSERT_EXPERIENCE` for ``exp``."""
    ref = exp.query_embedding
    return (
        exp.scope,
        exp.id,
        exp.task_id,
        _shared.timestamp(exp.created_at),
        ref.model if ref else None,
        ref.dim if ref else None,
        _shared.vector_of(ref).tobytes() if ref is not None else None,
        _codec.experience_json(exp),
    )


def item_row(scope: str, experience_id: str, item: MemoryItem) -> tuple[Any, ...]:
    """The values of :data:`INSERT_ITEM` for ``item``."""
    return (scope, item.id, experience_id, *_codec.item_columns(item))
