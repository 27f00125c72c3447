"""The PostgreSQL store's ``scopes`` rows: each scope's embedding binding and vector count.

Every write of a scope's experiences locks its row first (:func:`lock_scope`),
so the binding check and the count update of one writer never interleave with
another's, and two first batches cannot bind a scope to two models. Search
reads the binding and the count with one key lookup (:func:`scope_row`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conn import Conn


@dataclass(frozen=True)
class ScopeRow:
    """A scope's embedding binding and how many vectors it holds."""

    binding: tuple[str, int] | None
    vectors: int


def _scope_row(row: Any) -> ScopeRow:
    if row is None or row[0] is None:
        return ScopeRow(None, 0 if row is None else int(row[2]))
    return ScopeRow((str(row[0]), int(row[1])), int(row[2]))


def scope_row(conn: Conn, scope: str) -> ScopeRow:
    """The scope's binding and vector count (nothing bound if it was never written)."""
    row = conn.execute("SELECT emb_model, emb_dim, vectors FROM scopes WHERE scope = %s", (scope,)).fetchone()
    return _scope_row(row)


def lock_scope(conn: Conn, scope: str) -> ScopeRow:
    """Lock the scope's row until the transaction ends (creating it), and return it.

    Every write of a scope's experiences goes through here, so the binding check
    and the count update of one writer never interleave with another's.
    """
    conn.execute("INSERT INTO scopes (scope) VALUES (%s) ON CONFLICT (scope) DO NOTHING", (scope,))
    row = conn.execute(
        "SELECT emb_model, emb_dim, vectors FROM scopes WHERE scope = %s FOR UPDATE", (scope,)
    ).fetchone()
    return _scope_row(row)


def add_vectors(conn: Conn, scope: str, binding: tuple[str, int] | None, delta: int) -> None:
    """Count ``delta`` more (or fewer) vectors in the scope; at zero it is bound to no model again."""
    if delta == 0:
        return
    model, dim = binding if binding is not None else (None, None)
    conn.execute(
        "UPDATE scopes SET vectors = vectors + %(d)s, "
        "emb_model = CASE WHEN vectors + %(d)s > 0 THEN COALESCE(emb_model, %(m)s) END, "
        "emb_dim = CASE WHEN vectors + %(d)s > 0 THEN COALESCE(emb_dim, %(n)s) END "
        "WHERE scope = %(s)s",
        {"d": delta, "m": model, "n": dim, "s": scope},
    )
