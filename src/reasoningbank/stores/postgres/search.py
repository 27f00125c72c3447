"""Top-k search of the PostgreSQL store: exact for small scopes, through HNSW for large ones.

The contract (:meth:`Store.search`) is an exact cosine ranking with ties going
newest first. A scope of at most ``exact_max`` vectors is ranked exactly in the
database (pgvector computes every distance; a few thousand vectors take a few
milliseconds). A larger scope goes through the dimension's HNSW index with
pgvector's strict-order iterative scan, which keeps scanning until enough
rows of *this* scope (and not of the excluded task) are found. The index
returns equal distances in no particular order, so it is asked for more rows
than ``k`` and they are re-ranked by distance, then newest first; if the tie at
the k-th place runs past every row fetched, or the index gave fewer than ``k``,
the query is answered exactly instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from psycopg import sql

from .conn import Conn
from .schema import HNSW_MAX_DIM

DEFAULT_EXACT_MAX = 20_000
DEFAULT_EF_SEARCH = 100  # HNSW candidate list: recall about 0.97 at 100k 384-d vectors (docs/benchmarks.md)
TIE_SLACK = 16  # rows fetched beyond k, to re-rank ties at the k-th place
_EF_SEARCH_MAX = 1000  # pgvector's upper bound for hnsw.ef_search
_MAX_SCAN_TUPLES = 1_000_000  # the iterative scan gives up after this many index tuples

# Cosine distance with NaN (a zero vector has no direction) taken as 1, i.e. score 0,
# as the other stores score a zero vector.
_DIST = "COALESCE(NULLIF(embedding <=> %(q)s, 'NaN'::float8), 1.0)"

Hit = tuple[str, float]  # (experience id, score)


def _excluding(exclude_task_id: str | None) -> str:
    return "" if exclude_task_id is None else " AND task_id <> %(x)s"


def exact(
    conn: Conn, scope: str, q: npt.NDArray[np.float32], k: int, exclude_task_id: str | None
) -> list[Hit]:
    """The exact top-k of the scope, ties newest first."""
    query = (
        f"SELECT id, {_DIST} AS dist FROM experiences "
        f"WHERE scope = %(s)s AND embedding IS NOT NULL{_excluding(exclude_task_id)} "
        "ORDER BY dist, created_at DESC, seq DESC LIMIT %(k)s"
    )
    params = {"q": q, "s": scope, "k": k, "x": exclude_task_id}
    rows = conn.execute(query, params).fetchall()
    return [(str(r[0]), 1.0 - float(r[1])) for r in rows]


def approximate_query(dim: int, excluding: bool) -> sql.Composed:
    """The HNSW query: the ``n`` nearest rows of the scope by the index, re-ranked with ties newest first.

    Parameters ``q`` (the query vector), ``s`` (the scope), ``n`` and, if ``excluding``, ``x``
    (the task to leave out). The expression and the predicate must match the index's text, with
    the dimension a literal.
    """
    indexed = sql.SQL("(embedding::vector({})) <=> %(q)s").format(sql.Literal(dim))
    return sql.SQL(
        "SELECT id, dist FROM (SELECT id, created_at, seq, {indexed} AS dist FROM experiences "
        "WHERE scope = %(s)s AND emb_dim = {dim}{excl} ORDER BY {indexed} LIMIT %(n)s) AS c "
        "ORDER BY dist, created_at DESC, seq DESC"
    ).format(
        indexed=indexed, dim=sql.Literal(dim), excl=sql.SQL(" AND task_id <> %(x)s" if excluding else "")
    )


def index_settings(conn: Conn, n: int, ef_search: int = DEFAULT_EF_SEARCH) -> None:
    """Transaction-local settings for an HNSW scan that must return ``n`` rows of one scope, in order."""
    conn.execute(
        "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'strict_order', "
        "true), set_config('hnsw.max_scan_tuples', %s, true)",
        (str(min(max(ef_search, n), _EF_SEARCH_MAX)), str(_MAX_SCAN_TUPLES)),
    )


def _approximate(
    conn: Conn,
    scope: str,
    q: npt.NDArray[np.float32],
    k: int,
    dim: int,
    exclude_task_id: str | None,
    ef_search: int,
) -> list[Any] | None:
    """Rows ``(id, dist)`` from the HNSW index, re-ranked; None when they cannot be trusted."""
    n = min(k + TIE_SLACK, _EF_SEARCH_MAX)
    index_settings(conn, n, ef_search)
    query = approximate_query(dim, exclude_task_id is not None)
    rows = conn.execute(query, {"q": q, "s": scope, "n": n, "x": exclude_task_id}).fetchall()
    if len(rows) < k:
        return None  # fewer than asked: the scan gave up, or the filter left few; check exactly
    if len(rows) == n and float(rows[-1][1]) <= float(rows[k - 1][1]):
        return None  # the tie at the k-th place may go on beyond the rows fetched
    if any(r[1] is None or np.isnan(float(r[1])) for r in rows[:k]):
        return None
    return rows[:k]


def search(
    conn: Conn,
    scope: str,
    q: npt.NDArray[np.float32],
    k: int,
    *,
    dim: int,
    vectors: int,
    exact_max: int,
    exclude_task_id: str | None,
    ef_search: int = DEFAULT_EF_SEARCH,
) -> list[Hit]:
    """The top-k ``(id, score)`` of the scope for the unit query ``q``, best first.

    Call inside a transaction (the index settings are transaction-local).
    """
    if vectors <= exact_max or dim > HNSW_MAX_DIM or k > _EF_SEARCH_MAX - TIE_SLACK or not np.any(q):
        return exact(conn, scope, q, k, exclude_task_id)
    rows = _approximate(conn, scope, q, k, dim, exclude_task_id, ef_search)
    if rows is None:
        return exact(conn, scope, q, k, exclude_task_id)
    return [(str(r[0]), 1.0 - float(r[1])) for r in rows]
