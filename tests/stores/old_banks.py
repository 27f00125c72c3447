"""SQLite banks as earlier releases wrote them, for the migration tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from reasoningbank.stores.sqlite import MIGRATIONS
from reasoningbank.testing.store_samples import DIM, MODEL, make_experience


def old_bank(path: Path, version: int, vectors: dict[int, np.ndarray | None]) -> None:
    """A bank at migration ``version`` with experience ``e<n>`` (scope ``s``) for each ``n``.

    ``vectors[n]`` is its query vector (None: it has none); ``created_at`` is ``n`` seconds.
    The vector column has the name of that version (``vector`` before migration 4).
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(
        "CREATE TABLE schema_migrations ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    for number, statements in enumerate(MIGRATIONS[:version], start=1):
        for stmt in statements:
            conn.execute(stmt)
        conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (number,))
    column = "vector" if version < 4 else "embedding"
    for n, vec in vectors.items():
        conn.execute(
            f"INSERT INTO experiences (scope, id, task_id, created_at, emb_model, emb_dim, {column}, json) "
            "VALUES ('s', ?, ?, ?, ?, ?, ?, ?)",
            (
                f"e{n}",
                f"task-{n}",
                float(n),
                None if vec is None else MODEL,
                None if vec is None else DIM,
                None if vec is None else vec.astype(np.float32).tobytes(),
                make_experience(n).model_dump_json(exclude={"items", "query_embedding"}),
            ),
        )
    conn.close()
