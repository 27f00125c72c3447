"""The PostgreSQL store's migrations and writes as statements sent to a connection, without a server.

A scripted connection records what it is sent and answers the few SELECTs the
code reads back. The tests against a real server (``test_postgres.py``) cover
behaviour; these pin the SQL, so that they run wherever psycopg is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("psycopg")
pytest.importorskip("pgvector")

import psycopg
from psycopg import sql

from reasoningbank.stores import StoreError
from reasoningbank.stores.postgres import MIGRATIONS, POSTGRES_SCHEMA_VERSION, dialect, schema
from reasoningbank.stores.sql.store import SQLStore
from reasoningbank.testing.store_samples import axis, make_experience

Answer = Callable[[str, Any], list[tuple[Any, ...]]]


class _Cursor:
    def __init__(self, conn: FakeConn, rows: list[tuple[Any, ...]]) -> None:
        self._conn, self._rows = conn, rows
        self.rowcount = len(rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def executemany(self, query: str, params_seq: Any) -> None:
        for params in params_seq:
            self._conn.execute(query, params)

    def close(self) -> None:
        pass


class FakeConn:
    """Records ``(statement text, params)``; ``answer`` gives the rows of each statement."""

    connection = None  # what psycopg.sql needs of a context to render identifiers
    adapters = psycopg.adapters

    def __init__(self, answer: Answer) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.answer = answer
        self.info = type("Info", (), {"dbname": "bank"})()

    def execute(self, query: Any, params: Any = None) -> _Cursor:
        text = query.as_string(self) if isinstance(query, sql.Composable) else query
        self.sent.append((text, params))
        return _Cursor(self, self.answer(text, params))

    def cursor(self) -> _Cursor:
        return _Cursor(self, [])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def texts(self) -> list[str]:
        return [t for t, _ in self.sent]


def _schema_at(version: int | None) -> Answer:
    """A bank schema at ``version`` of the migrations (None: the schema does not exist yet)."""
    renamed = [version is not None and version >= 2]

    def answer(text: str, params: Any) -> list[tuple[Any, ...]]:
        if "FROM pg_extension" in text:
            return [("public",)]
        if text.startswith("ALTER TABLE schema_version RENAME TO schema_migrations"):
            renamed[0] = True
        if text.startswith("SELECT 1 FROM pg_catalog.pg_tables"):
            return [(1,)] if renamed[0] else []
        if text.startswith("SELECT MAX(version)"):
            return [(version,)]
        return []

    return answer


def test_a_new_schema_runs_every_migration_and_records_each_where_it_then_lives() -> None:
    conn = FakeConn(_schema_at(None))
    assert schema.migrate(conn, "bank") == '"bank", "public"'  # type: ignore[arg-type]
    sent = conn.texts()
    assert sent[:5] == [
        "SELECT pg_advisory_xact_lock(%s)",
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'",
        'CREATE SCHEMA IF NOT EXISTS "bank"',
        'SET LOCAL search_path TO "bank", "public"',
        "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = %s AND tablename = %s",
    ]
    assert schema.CREATE_LEGACY_TABLE in sent
    first, second = MIGRATIONS
    start = sent.index(first[0])
    assert sent[start : start + len(first)] == first
    i1 = sent.index("INSERT INTO schema_version (version) VALUES (%s)")
    i2 = sent.index("INSERT INTO schema_migrations (version) VALUES (%s)")
    assert start + len(first) == i1 - 1 < sent.index(second[0]) < i2  # 1 recorded before 2 renames the table
    assert conn.sent[i1][1] == (1,) and conn.sent[i2][1] == (2,)
    assert POSTGRES_SCHEMA_VERSION == 2


def test_migration_2_renames_the_version_table_and_keeps_the_old_name_as_a_view() -> None:
    assert MIGRATIONS[1] == [
        "ALTER TABLE schema_version RENAME TO schema_migrations",
        "CREATE VIEW schema_version AS SELECT version, applied_at FROM schema_migrations",
    ]
    conn = FakeConn(_schema_at(1))  # a bank of the previous release
    schema.migrate(conn, "bank")  # type: ignore[arg-type]
    sent = conn.texts()
    assert not set(sent) & set(MIGRATIONS[0])  # migration 1 is not run again
    assert sent[-4:-2] == MIGRATIONS[1]
    assert sent[-2].startswith("SELECT 1 FROM pg_catalog.pg_tables")  # where to record it, asked anew
    assert conn.sent[-1] == ("INSERT INTO schema_migrations (version) VALUES (%s)", (2,))


def test_a_current_schema_runs_nothing_and_a_newer_one_is_refused() -> None:
    conn = FakeConn(_schema_at(2))
    schema.migrate(conn, "bank")  # type: ignore[arg-type]
    assert not any(t.startswith(("CREATE TABLE", "ALTER", "INSERT")) for t in conn.texts())
    with pytest.raises(StoreError, match=r"schema 'bank' was written by a newer version .* version 3"):
        schema.migrate(FakeConn(_schema_at(3)), "bank")  # type: ignore[arg-type]


class _FakeDialect(dialect.PostgresDialect):
    """The PostgreSQL dialect on one scripted connection instead of a pool."""

    def __init__(self, conn: FakeConn) -> None:  # no super().__init__: it would connect
        self.conn, self.shown, self._closed, self._indexed = conn, "postgresql://fake", False, {8}

    @contextmanager
    def connection(self) -> Iterator[Any]:
        yield self.conn

    @contextmanager
    def read(self) -> Iterator[Any]:
        yield self.conn

    def close(self) -> None:
        self._closed = True


def _store(answer: Answer) -> tuple[SQLStore, FakeConn]:
    conn = FakeConn(answer)
    return SQLStore(_FakeDialect(conn)), conn


def test_add_locks_the_scope_checks_ids_counts_vectors_then_inserts() -> None:
    store, conn = _store(lambda text, params: [(None, None, 0)] if "FROM scopes" in text else [])  # unbound
    store.add(make_experience(1, vec=axis(0)))
    sent = conn.texts()
    assert sent[:4] == [
        "INSERT INTO scopes (scope) VALUES (%s) ON CONFLICT (scope) DO NOTHING",
        "SELECT emb_model, emb_dim, vectors FROM scopes WHERE scope = %s FOR UPDATE",
        "SELECT id FROM experiences WHERE scope = %s AND id = ANY(%s)",
        "SELECT id FROM items WHERE scope = %s AND id = ANY(%s)",
    ]
    assert sent[4].startswith("UPDATE scopes SET vectors = vectors + %(d)s")
    assert conn.sent[4][1]["d"] == 1
    assert sent[5].startswith("INSERT INTO experiences (") and sent[5].endswith("%s, %s)")
    values = conn.sent[5][1]
    assert values[3].tzinfo is not None and list(values[6]) == list(axis(0))  # aware time, the vector itself


def test_delete_removes_usage_items_and_the_experience_and_uncounts_its_vector() -> None:
    def answer(text: str, params: Any) -> list[tuple[Any, ...]]:
        if "FROM scopes" in text:
            return [("m", 8, 1)]
        return [(True,)] if text.startswith("SELECT embedding IS NOT NULL") else []

    store, conn = _store(answer)
    store.delete("s", "e1")
    sent = conn.texts()
    assert sent[2:6] == [
        "SELECT embedding IS NOT NULL FROM experiences WHERE scope = %s AND id = %s",
        "DELETE FROM item_usage WHERE scope = %s AND item_id IN "
        "(SELECT id FROM items WHERE scope = %s AND experience_id = %s)",
        "DELETE FROM items WHERE scope = %s AND experience_id = %s",
        "DELETE FROM experiences WHERE scope = %s AND id = %s",
    ]
    assert conn.sent[6][1]["d"] == -1


def test_list_without_a_limit_sends_null_and_usage_one_array() -> None:
    store, conn = _store(lambda text, params: [])
    assert store.list("s") == []
    assert conn.sent[-1][1] == ("s", None, 0)
    assert store.usage("s", ["a", "b", "a"]) == []
    assert conn.sent[-1] == (
        "SELECT item_id, task_id, shown, label, created_at FROM item_usage "
        "WHERE scope = %s AND item_id = ANY(%s) ORDER BY seq",
        ("s", ["a", "b"]),
    )
