"""One SQLite connection per thread, opened on first use and all closed together.

A ``sqlite3`` connection must not run statements of two threads at once, and
a transaction belongs to its connection: each thread gets its own. Used by the
SQLite store and by the service's own state files (:mod:`reasoningbank.server._db`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable


class PerThread:
    """The connections ``open_conn`` makes, one per thread that asks."""

    def __init__(self, open_conn: Callable[[], sqlite3.Connection]) -> None:
        self._open = open_conn
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection; a thread asking again gets a new one."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
