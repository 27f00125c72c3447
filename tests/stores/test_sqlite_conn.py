"""SQLite's errors on a file that is no bank, or that refuses writes, come out as StoreError
naming the file, and leave the file as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoningbank.stores import SQLiteStore, StoreError
from reasoningbank.testing.store_samples import axis, make_experience


def test_a_text_file_is_no_bank(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 100)
    with pytest.raises(
        StoreError, match=r"notes\.db is not a ReasoningBank bank \(SQLite: file is not a database\)"
    ):
        SQLiteStore(path)
    assert path.read_text() == "not a database\n" * 100


def test_a_directory_is_no_bank(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open the bank .*SQLite: unable to open database file"):
        SQLiteStore(tmp_path)


def test_a_refused_write_is_a_store_error_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    with SQLiteStore(path) as store:
        store.add(make_experience(1, vec=axis(0)))
    store = SQLiteStore(path)
    store._conn().execute("PRAGMA query_only = ON")  # refuses writes as a read-only file does
    with pytest.raises(StoreError, match=r"cannot write to .*bank\.db: it is read-only .*nothing was stored"):
        store.add(make_experience(2, vec=axis(1)))
    with pytest.raises(StoreError, match="read-only"):
        store.delete("s", "e1")
    store.close()
    with SQLiteStore(path) as again:
        assert [e.id for e in again.list("s")] == ["e1"]


def test_a_deleted_experience_leaves_no_copy_of_its_text_in_the_file(tmp_path: Path) -> None:
    """Issue 25: deleting the lesson that held a missed secret removes the secret from the bank file."""
    path = tmp_path / "bank.db"
    marker = "zq" + "-marker-" * 40  # long enough to sit in a page of its own text
    with SQLiteStore(path) as store:
        store.add(make_experience(1, vec=axis(0)))
        leaky = make_experience(2, vec=axis(1)).model_copy(update={"query": marker})
        store.add(leaky)
        store.delete("s", leaky.id)
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("bank.db"))
    assert marker.encode() not in raw
