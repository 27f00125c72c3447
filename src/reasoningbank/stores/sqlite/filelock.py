"""An exclusive lock shared by every thread and process that opens the same lock file.

The SQLite store uses it for :meth:`~reasoningbank.stores.sqlite.SQLiteStore.write_lock`.
Why a file beside the database and not SQLite's own lock:

* holding SQLite's write lock (``BEGIN IMMEDIATE``) for a whole read-decide-write
  block would make every write in the block go through that one connection and
  one open transaction; a write from another connection of the same process
  (another thread's) would then wait on it until the busy timeout and fail;
* the database file itself must not be locked by hand: SQLite's POSIX locks on
  it are dropped when the process closes *any* descriptor of that file.

``flock`` locks belong to an open file description, so two opens in one process
exclude each other like two processes do, and the kernel drops the lock when its
holder dies: a crashed writer never leaves the bank locked. A thread lock in
front makes the threads of one :class:`FileLock` queue without polling the file,
and makes the lock re-entrant for the thread that holds it. The descriptor is
opened per outermost acquisition and closed on release, so a forked child never
shares its parent's lock. On Windows ``msvcrt.locking`` on the first byte stands
in for ``flock`` (not exercised by the test suite, which runs on Linux and macOS).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from ..base import StoreError

_FIRST_SLEEP = 0.0005
_MAX_SLEEP = 0.02


class FileLock:
    """A re-entrant, inter-process exclusive lock on ``path`` (created if missing)."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise StoreError(self._busy())
        try:
            if self._depth == 0:
                self._fd = self._lock_file(deadline)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                _unlock(fd)
                os.close(fd)
        finally:
            self._thread_lock.release()

    def _lock_file(self, deadline: float) -> int:
        fd = self._open()
        sleep = _FIRST_SLEEP
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise StoreError(self._busy())
                time.sleep(sleep)
                sleep = min(sleep * 2, _MAX_SLEEP)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            return os.open(self.path, flags, 0o666)
        except PermissionError:
            pass  # a lock file made by another user: locking needs no write access
        except OSError as exc:
            raise StoreError(f"cannot open the write lock file {self.path}: {exc.strerror or exc}") from exc
        try:
            return os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise StoreError(f"cannot open the write lock file {self.path}: {exc.strerror or exc}") from exc

    def _busy(self) -> str:
        return f"another writer held the write lock {self.path} for more than {self.timeout:g} s"


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
