"""Run in a fresh process by test_rest_blas: serve one app, or two overlapping, and print the
BLAS thread counts seen before, inside and after as JSON (a process the earlier tests of a
suite have not touched, as a real server's is)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from reasoningbank.server.rest.app import create_app
from tests.server.helpers import make_service, scripted
from tests.server.live import serve


def blas_threads() -> list[int]:
    return [int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"]


def main(mode: str) -> None:
    np.ones((4, 4)) @ np.ones(4)  # numpy's BLAS is loaded
    seen: dict[str, list[int]] = {"before": blas_threads()}
    with tempfile.TemporaryDirectory() as tmp:
        second = make_service(Path(tmp) / "b", scripted(), start=False)
        with serve(create_app(second)):
            if mode == "two":
                first = make_service(Path(tmp) / "a", scripted(), start=False)
                with serve(create_app(first)):
                    seen["both"] = blas_threads()
            seen["inside"] = blas_threads()
        seen["after"] = blas_threads()
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])
