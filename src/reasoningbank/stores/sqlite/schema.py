"""The SQLite store's schema: numbered migrations, applied in order and recorded.

Every applied migration is a row of ``schema_migrations``
(:mod:`~reasoningbank.stores.sql.migrate`); a file whose newest row is above
:data:`SQLITE_SCHEMA_VERSION` was written by a newer reasoningbank and is refused.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..sql import migrate as migrations
from ..sql.style import QMARK
from .conn import transaction

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
    # 3: item usage events (shown to a task or not, and the task's judged outcome), from
    # which an item's record is computed and net-harmful items are retired.
    [
        """CREATE TABLE item_usage (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,
            item_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            shown INTEGER NOT NULL,
            label TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX item_usage_item ON item_usage (scope, item_id)",
    ],
    # 4: the vector column takes the PostgreSQL store's name, so both engines share one set of
    # statements (:mod:`~reasoningbank.stores.sql.rows`). In the transaction of every migration:
    # a file is renamed completely or not at all.
    ["ALTER TABLE experiences RENAME COLUMN vector TO embedding"],
]

SQLITE_SCHEMA_VERSION = len(MIGRATIONS)
"""The SQLite schema's version: how many migrations a bank file has run (not the data model's)."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file on ``conn`` (an autocommit connection) to :data:`SQLITE_SCHEMA_VERSION`, in one
    transaction."""
    with transaction(conn):
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {migrations.TABLE} ("
            "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
        )
        migrations.apply(conn, QMARK, MIGRATIONS, subject=str(path))
