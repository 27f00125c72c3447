"""The serving process computes each search on one BLAS thread while the app runs.

Requests already run side by side in the server's thread pool; a BLAS that starts its own
threads for each of them oversubscribed 2 cores (16 clients: 39 requests/s against 219).
The thread count is process-wide, so apps that share a process share the limit: one that
stops while another serves must not put the other back on every core.

Each check runs in a fresh process, as a real server does: OpenBLAS in a process that has
already run a long suite was seen to ignore every new thread count (set 1, read back 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _seen(mode: str) -> dict[str, list[int]]:
    pytest.importorskip("fastapi")
    done = subprocess.run(
        [sys.executable, "-m", "tests.server.blas_probe", mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen: dict[str, list[int]] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"], "numpy's BLAS is not visible to threadpoolctl"
    return seen


def test_app_limits_blas_to_one_thread_while_it_serves() -> None:
    seen = _seen("one")
    assert seen["inside"] == [1] * len(seen["before"]), seen
    assert seen["after"] == seen["before"], seen


def test_an_app_that_stops_leaves_the_limit_to_one_still_serving() -> None:
    seen = _seen("two")
    one = [1] * len(seen["before"])
    assert seen["both"] == one and seen["inside"] == one, seen  # the first app's stop lifted it
    assert seen["after"] == seen["before"], seen


def test_a_release_without_an_acquire_is_an_error() -> None:
    from reasoningbank.server.rest.blas import SharedBlasLimit

    limit = SharedBlasLimit(1)
    limit.acquire()
    limit.release()
    with pytest.raises(RuntimeError, match="released more often"):
        limit.release()
    with pytest.raises(ValueError, match="at least 1"):
        SharedBlasLimit(0)
