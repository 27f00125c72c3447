"""SQLiteStore.search latency against a plain numpy top-k over the same vectors.

Run: ``python benchmarks/retrieval.py [--sizes 1000 10000 100000] [--repeats 50]``

For each bank size a fresh SQLite file (in a temporary directory) is filled
with random 384-d unit vectors in batches; then the median latency of
``store.search`` (k=1 and k=10, cache warm) is compared with ``matrix @ q`` +
``argpartition`` over an in-memory numpy matrix of the same vectors, measured
in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reasoningbank.models import EmbeddingRef, Experience
from reasoningbank.stores import SQLiteStore

DIM = 384
MODEL = "bench-random-384"
BATCH = 5000


def random_units(rng: np.random.Generator, n: int) -> npt.NDArray[np.float32]:
    mat = rng.standard_normal((n, DIM)).astype(np.float32)
    out: npt.NDArray[np.float32] = mat / np.linalg.norm(mat, axis=1, keepdims=True)
    return out


def build(path: Path, matrix: npt.NDArray[np.float32]) -> SQLiteStore:
    store = SQLiteStore(path)
    for start in range(0, len(matrix), BATCH):
        store.add_many(
            [
                Experience(
                    id=f"e{i}",
                    scope="bench",
                    task_id=f"t{i}",
                    query=f"benchmark query {i}",
                    query_embedding=EmbeddingRef(model=MODEL, dim=DIM, vector=matrix[i].tolist()),
                )
                for i in range(start, min(start + BATCH, len(matrix)))
            ]
        )
    return store


def numpy_topk(matrix: npt.NDArray[np.float32], q: npt.NDArray[np.float32], k: int) -> list[int]:
    scores = matrix @ q
    idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return [int(i) for i in idx[np.argsort(-scores[idx])]]


def search(store: SQLiteStore, k: int, q: npt.NDArray[np.float32]) -> object:
    return store.search("bench", q, k, model=MODEL)


def median_ms(fn: Callable[[npt.NDArray[np.float32]], object], queries: npt.NDArray[np.float32]) -> float:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=50, help="queries per measurement")
    args = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            matrix = random_units(rng, n)
            t0 = time.perf_counter()
            store = build(Path(tmp) / f"bank-{n}.db", matrix)
            build_s = time.perf_counter() - t0
            queries = random_units(rng, args.repeats)
            t0 = time.perf_counter()
            first = store.search("bench", queries[0], 10, model=MODEL)  # cold: loads the matrix
            cold_ms = (time.perf_counter() - t0) * 1000
            expected = [f"e{i}" for i in numpy_topk(matrix, queries[0], 10)]
            if [h.experience.id for h in first] != expected:
                sys.exit(f"store and numpy disagree at n={n}: {first} vs {expected}")
            for k in (1, 10):
                st = median_ms(partial(search, store, k), queries)
                npy = median_ms(partial(numpy_topk, matrix, k=k), queries)
                rows.append((n, k, st, npy, st / npy, build_s, cold_ms))
            store.close()

    print(f"{'n':>8} {'k':>3} {'store ms':>10} {'numpy ms':>10} {'ratio':>7} {'build s':>8} {'cold ms':>8}")
    for n, k, st, npy, ratio, build_s, cold_ms in rows:
        print(f"{n:>8} {k:>3} {st:>10.3f} {npy:>10.3f} {ratio:>7.1f} {build_s:>8.1f} {cold_ms:>8.1f}")


if __name__ == "__main__":
    main()
