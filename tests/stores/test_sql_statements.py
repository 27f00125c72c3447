"""The shared SQL store's statements as each driver is sent them, checked without a database.

The PostgreSQL store's tests need a server; these pin, without one, that the
statements written once in :mod:`reasoningbank.stores.sql.rows` reach psycopg
spelled as the PostgreSQL store spelled them before they were shared (with the
vector column's one name, ``embedding``), and reach sqlite3 as they are.
"""

from __future__ import annotations

import pytest

from reasoningbank.stores.sql import rows
from reasoningbank.stores.sql.style import PYFORMAT, QMARK

# The PostgreSQL store's own statements before the SQL stores shared theirs, verbatim.
POSTGRES_BEFORE = {
    rows.INSERT_EXPERIENCE: "INSERT INTO experiences (scope, id, task_id, created_at, emb_model, emb_dim, "
    "embedding, json) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
    rows.INSERT_ITEM: "INSERT INTO items (scope, id, experience_id, hash, version, superseded_by, json) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
    rows.INSERT_USAGE: "INSERT INTO item_usage (scope, item_id, task_id, shown, label, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s)",
    rows.GET: "SELECT id, json, emb_model, emb_dim, embedding FROM experiences WHERE scope = %s AND id = %s",
    rows.LIST: "SELECT id, json, emb_model, emb_dim, embedding FROM experiences WHERE scope = %s "
    "ORDER BY created_at, seq LIMIT %s OFFSET %s",
    rows.DELETE_USAGE: "DELETE FROM item_usage WHERE scope = %s AND item_id IN "
    "(SELECT id FROM items WHERE scope = %s AND experience_id = %s)",
    rows.ITEM_JSON: "SELECT json FROM items WHERE scope = %s AND id = %s",
    rows.MARK_SUPERSEDED: "UPDATE items SET superseded_by = %s, json = %s WHERE scope = %s AND id = %s",
    rows.COUNT: "SELECT COUNT(*) FROM experiences WHERE scope = %s",
    rows.COUNT_ITEMS + rows.CURRENT: "SELECT COUNT(*) FROM items WHERE scope = %s AND superseded_by IS NULL",
    rows.SCOPES: "SELECT DISTINCT scope FROM experiences ORDER BY scope",
    rows.HAS_HASH: "SELECT 1 FROM items WHERE scope = %s AND hash = %s AND superseded_by IS NULL LIMIT 1",
}


@pytest.mark.parametrize("shared", list(POSTGRES_BEFORE))
def test_postgres_is_sent_its_statements_as_before(shared: str) -> None:
    assert PYFORMAT.render(shared) == POSTGRES_BEFORE[shared]
    assert QMARK.render(shared) == shared  # sqlite3 takes the ? marks as written
    assert shared.count("?") == POSTGRES_BEFORE[shared].count("%s")


def test_the_lock_for_a_supersede_is_postgres_only() -> None:
    assert PYFORMAT.render(rows.ITEM_JSON) + PYFORMAT.for_update == (
        "SELECT json FROM items WHERE scope = %s AND id = %s FOR UPDATE"
    )
    assert QMARK.for_update == ""  # SQLite has no FOR UPDATE: BEGIN IMMEDIATE holds the file


def test_a_literal_percent_is_not_taken_for_a_value_by_psycopg() -> None:
    assert PYFORMAT.render("SELECT 1 WHERE a LIKE '5%' AND b = ?") == "SELECT 1 WHERE a LIKE '5%%' AND b = %s"


def test_an_id_list_is_one_array_for_postgres_and_chunks_for_sqlite() -> None:
    ids = [f"e{i}" for i in range(1001)]
    assert PYFORMAT.members("id", ids) == [("id = ANY(%s)", (ids,))]
    chunks = QMARK.members("id", ids)
    assert [len(values) for _, values in chunks] == [500, 500, 1]
    assert chunks[2] == ("id IN (?)", ("e1000",))
    assert chunks[0][0] == "id IN (" + ",".join("?" * 500) + ")"
    assert [v for _, values in chunks for v in values] == ids
    assert PYFORMAT.members("id", []) == QMARK.members("id", []) == []  # no ids: no statement to run


def test_no_limit_is_spelled_as_each_engine_reads_it() -> None:
    assert (QMARK.no_limit, PYFORMAT.no_limit) == (-1, None)  # SQLite: LIMIT -1; PostgreSQL: LIMIT NULL
