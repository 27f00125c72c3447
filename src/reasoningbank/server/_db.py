"""The service's own small SQLite files in its state dir (API keys, learning jobs).

One connection per thread (the REST app answers from a thread pool and the job
worker has its own thread), WAL so readers never wait for the writer, and
``synchronous = FULL``: a job is acknowledged with 202 only after its row is
on disk, so a power cut must not lose it either. Each file records how many of
its numbered migrations ran in ``PRAGMA user_version`` and refuses a file
written by a newer version.

The file is created private (0600, in a 0700 state dir: :mod:`.private`)
before SQLite opens it, and SQLite gives its WAL sidecars the same mode.
``secure_delete`` is on, so a row deleted or shrunk (a job's dropped request)
is overwritten with zeros rather than left in a free page of the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from ..stores.sqlite.conn import PerThread, transaction
from .private import private_dir, touch_private

BUSY_TIMEOUT_MS = 30_000


class StateError(RuntimeError):
    """The service's state file cannot be used (not SQLite, written by a newer version, closed)."""


class Database:
    """A SQLite file with numbered migrations; ``write()`` is one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: Path, migrations: Sequence[Sequence[str]]) -> None:
        self.path = path
        self._migrations = migrations
        self._conns = PerThread(self._connect)
        self._closed = False
        try:
            private_dir(path.parent)
            touch_private(path)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateError(f"{path}: not a usable reasoningbank state file ({exc})") from exc

    def conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StateError(f"{self.path} is closed")
        return self._conns.get()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self.conn())

    def _migrate(self) -> None:
        with self.write() as conn:
            done = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if done > len(self._migrations):
                raise StateError(
                    f"{self.path} was written by a newer reasoningbank (schema {done}, this version "
                    f"knows {len(self._migrations)}); upgrade reasoningbank"
                )
            for statements in self._migrations[done:]:
                for sql in statements:
                    conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {len(self._migrations)}")

    def close(self) -> None:
        self._closed = True
        self._conns.close()
