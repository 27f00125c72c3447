"""The serving process computes each search on one BLAS thread while the app runs.

Requests already run side by side in the server's thread pool; a BLAS that starts its own
threads for each of them oversubscribed 2 cores (16 clients: 39 requests/s against 219).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tests.server.helpers import make_service, scripted


def blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_app_limits_blas_to_one_thread_while_it_serves(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from reasoningbank.server.rest.app import create_app
    from tests.server.live import serve

    np.ones((4, 4)) @ np.ones(4)  # numpy's BLAS is loaded
    before = blas_threads()
    assert before, "numpy's BLAS is not visible to threadpoolctl"
    svc = make_service(tmp_path, scripted(), start=False)
    with serve(create_app(svc)):
        inside = blas_threads()
        threads = sorted(t.name for t in threading.enumerate())
        assert inside == [1] * len(before), (
            f"BLAS threads {inside} (before {before}); threads alive: {threads}"
        )
    assert blas_threads() == before
