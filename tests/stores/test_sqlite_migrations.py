"""Migration 4 of the SQLite store (the vector column becomes ``embedding``), on banks of version 3."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from reasoningbank.stores import SQLiteStore, StoreError
from reasoningbank.stores.sqlite import MIGRATIONS, SQLITE_SCHEMA_VERSION, schema
from reasoningbank.testing.store_samples import MODEL, axis
from tests.stores.old_banks import old_bank


def _version_3_bank(path: Path) -> None:
    """A bank as the previous release wrote it: two experiences, one with a vector."""
    old_bank(path, 3, {1: axis(1), 2: None})


def _columns(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[1] for r in conn.execute("PRAGMA table_info(experiences)")]
    finally:
        conn.close()


def test_a_version_3_bank_gets_the_embedding_column_and_keeps_its_vectors(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    _version_3_bank(path)
    assert "vector" in _columns(path)
    with SQLiteStore(path) as store:
        assert store.schema_version() == SQLITE_SCHEMA_VERSION == 4
        ref = store.get("s", "e1").query_embedding
        assert ref is not None and np.array_equal(np.asarray(ref.vector, np.float32), axis(1))
        assert store.get("s", "e2").query_embedding is None
        assert [h.experience.id for h in store.search("s", axis(1), 2, model=MODEL)] == ["e1"]
    cols = _columns(path)
    assert "embedding" in cols and "vector" not in cols


def test_a_failing_migration_leaves_the_bank_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bank.db"
    _version_3_bank(path)
    with monkeypatch.context() as patch:  # a migration 5 that fails after 4 renamed the column
        patch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, ["SELECT no_such_column FROM experiences"]])
        with pytest.raises(StoreError, match="no_such_column"):
            SQLiteStore(path)
    assert "vector" in _columns(path)  # the rename went back with the rest of the transaction
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == 3
    conn.close()
    with SQLiteStore(path) as store:  # and the real migrations still apply
        assert store.schema_version() == 4
        assert store.count("s") == 2


COMMITTED_BANKS = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "runs").glob("*/*/bank.db"))


@pytest.mark.parametrize("committed", COMMITTED_BANKS[:3] + COMMITTED_BANKS[-2:], ids=lambda p: p.parent.name)
def test_a_committed_bank_opens_and_finds_each_current_item_by_hash(tmp_path: Path, committed: Path) -> None:
    """Exact duplicates are looked up by the ``items.hash`` column that every migration since the
    first has filled: banks written by earlier releases need no backfill (issue 25, item 7)."""
    import shutil

    from reasoningbank.models import item_hash

    copy = tmp_path / "bank.db"
    shutil.copy(committed, copy)  # never the committed file: opening migrates it
    with SQLiteStore(copy) as store:
        items = [it for e in store.list("default") for it in e.items]
        assert items
        assert all(store.has_item_hash("default", item_hash(it.title, it.content)) for it in items)
        assert not store.has_item_hash("default", item_hash("No such lesson", "anywhere"))
