"""Numbered migrations, applied in order and recorded, the same way for every SQL engine.

Each engine keeps a list of migrations (each a list of statements; never edit
a released one, append a new one) and a ``schema_migrations`` table with one
row per migration applied. The caller runs :func:`apply` inside one
transaction it holds exclusively (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an
advisory lock), so a bank is migrated completely or not at all, and once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..base import StoreError
from .dialect import Connection
from .style import Style

TABLE = "schema_migrations"


def current_version(conn: Connection, table: str = TABLE) -> int:
    """The newest migration recorded in ``table`` (0 for a new bank)."""
    row = conn.execute(f"SELECT MAX(version) FROM {table}").fetchone()
    return int(row[0] or 0) if row else 0


def apply(
    conn: Connection,
    style: Style,
    migrations: Sequence[Sequence[str]],
    *,
    subject: str,
    table: Callable[[], str] = lambda: TABLE,
) -> None:
    """Apply the migrations the bank on ``conn`` lacks and record each one.

    ``table`` names the table recording them, asked again after each migration
    (one may rename it). ``subject`` names the bank in the error for a bank
    written by a newer reasoningbank, which is refused.
    """
    current = current_version(conn, table())
    latest = len(migrations)
    if current > latest:
        raise StoreError(
            f"{subject} was written by a newer version of reasoningbank (store schema "
            f"version {current}; this version knows up to {latest}); upgrade reasoningbank"
        )
    for version in range(current + 1, latest + 1):
        for stmt in migrations[version - 1]:
            conn.execute(stmt)  # fixed statements of the engine's schema module
        conn.execute(style.render(f"INSERT INTO {table()} (version) VALUES (?)"), (version,))
