"""Connections to a SQLite file: opening one, one per thread, transactions, errors for a person.

:class:`PerThread` and :func:`transaction` serve the SQLite store and the
service's own state files (:mod:`reasoningbank.server._db`) alike.


``sqlite3`` says "file is not a database" or "attempt to write a readonly
database" without naming the file, and as exceptions callers of a store do not
expect. A bank path that points at a text file, a read-only copy of a bank, or
a directory is a user's mistake: it must reach them as one clear line naming
the file, not a traceback (the CLI prints a :class:`StoreError` as such a line).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..base import StoreError


def connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL journal, the busy timeout, foreign keys and secure delete on."""
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as err:
        raise open_error(path, err) from err
    try:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"could not switch {path} to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # A deleted lesson (one that held a secret a redaction rule missed) is zeroed in the
        # file, not left in a free page until a VACUUM.
        conn.execute("PRAGMA secure_delete = ON")
    except sqlite3.Error as err:
        conn.close()
        raise open_error(path, err) from err
    except BaseException:
        conn.close()
        raise
    return conn


def open_error(path: Path, err: sqlite3.Error) -> StoreError:
    """What went wrong opening ``path``, for a person."""
    text = str(err)
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a ReasoningBank bank (SQLite: {text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"{path} is read-only (SQLite: {text}); a bank needs write access to its file and its directory"
        )
    return StoreError(f"cannot open the bank {path} (SQLite: {text})")


def write_error(path: Path, err: sqlite3.Error) -> StoreError:
    """What went wrong writing to ``path``, for a person; nothing of the write was kept."""
    text = str(err)
    if "readonly" in text or "read-only" in text:
        return StoreError(f"cannot write to {path}: it is read-only (SQLite: {text}); nothing was stored")
    if "not a database" in text or "malformed" in text:
        return StoreError(f"cannot write to {path}: not a ReasoningBank bank (SQLite: {text})")
    return StoreError(f"cannot write to {path} (SQLite: {text}); nothing was stored")


@contextmanager
def transaction(conn: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """One transaction on an autocommit connection: committed at the block's end, rolled back if it raises."""
    conn.execute(begin)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


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
