"""One BLAS thread per search while any app in the process serves.

A BLAS thread count is a process-wide setting, so two apps in one process (a test suite, or
a host that mounts more than one) must not undo each other: the first app to start lowers it
and remembers the original, the last one to stop puts it back. An app that stops while
another still serves leaves the limit in place.
"""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_limits


class SharedBlasLimit:
    """Hold BLAS at ``threads`` while at least one holder is inside :meth:`acquire`/:meth:`release`."""

    def __init__(self, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._threads = threads
        self._lock = threading.Lock()
        self._holders = 0
        self._limit: threadpool_limits | None = None

    @property
    def holders(self) -> int:
        return self._holders

    def acquire(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._limit = threadpool_limits(limits=self._threads, user_api="blas")
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            if self._holders == 0:
                raise RuntimeError("the BLAS limit was released more often than it was acquired")
            self._holders -= 1
            if self._holders == 0 and self._limit is not None:
                self._limit.restore_original_limits()
                self._limit = None


PROCESS_BLAS = SharedBlasLimit(1)
