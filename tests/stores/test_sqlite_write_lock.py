"""The SQLite store's write lock across processes and store objects (the conformance suite
covers threads sharing one store)."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.stores import SQLiteStore, StoreError
from reasoningbank.stores.sqlite import filelock as _filelock
from reasoningbank.testing.store_samples import axis, make_experience


def hold_lock(path: str, entered: Any, release: Any, crash: bool) -> None:
    """Enter a write-lock block, say so, then leave it when told (or die inside it)."""
    store = SQLiteStore(path)
    with store.write_lock("s"):
        store.add(make_experience(1, vec=axis(0)))
        entered.set()
        if crash:
            os._exit(3)  # no cleanup at all: the kernel must drop the lock
        release.wait(60)
    store.close()


def _holder(path: Path, crash: bool) -> tuple[Any, Any, Any]:
    ctx = mp.get_context("spawn")
    entered, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=hold_lock, args=(str(path), entered, release, crash))
    proc.start()
    assert entered.wait(60), "the holder never entered its block"
    return proc, entered, release


def test_another_process_waits_then_gives_up_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    proc, _, release = _holder(path, crash=False)
    try:
        store = SQLiteStore(path)
        store._sqlite.file_lock.timeout = 0.3
        started = time.monotonic()
        with (
            pytest.raises(StoreError, match=r"another writer held the write lock .*bank\.db\.writelock"),
            store.write_lock("s"),
        ):
            pass
        assert time.monotonic() - started >= 0.3
        assert store.count("s") == 1  # reads are not held back, and see the holder's write
        store.add(make_experience(2, vec=axis(1)))  # nor are plain writes
    finally:
        release.set()
        proc.join(30)
    with store.write_lock("s"):  # free once the holder left
        assert store.count("s") == 2
    store.close()


def test_a_process_that_dies_holding_the_lock_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    proc, _, _ = _holder(path, crash=True)
    proc.join(30)
    assert proc.exitcode == 3
    with SQLiteStore(path) as store:
        store._sqlite.file_lock.timeout = 10
        with store.write_lock("s"):
            assert store.count("s") == 1


def test_two_store_objects_in_one_process_exclude_each_other(tmp_path: Path) -> None:
    a, b = SQLiteStore(tmp_path / "bank.db"), SQLiteStore(tmp_path / "bank.db")
    order: list[str] = []
    with a.write_lock("s"):
        waiter = threading.Thread(target=lambda: _enter_and_note(b, order))
        waiter.start()
        time.sleep(0.2)
        order.append("a leaves")
    waiter.join(10)
    assert order == ["a leaves", "b entered"]
    a.close()
    b.close()


def _enter_and_note(store: SQLiteStore, order: list[str]) -> None:
    with store.write_lock("s"):
        order.append("b entered")


def test_the_lock_file_sits_beside_the_bank_and_a_read_only_one_still_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bank.db"
    with SQLiteStore(path) as store, store.write_lock("s"):
        pass
    assert (tmp_path / "bank.db.writelock").is_file()
    real_open = os.open

    def no_write(file: Any, flags: int, *args: Any) -> int:  # a lock file made by another user
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(_filelock.os, "open", no_write)
    with SQLiteStore(path) as store, store.write_lock("s"):
        store.add(make_experience(1, vec=axis(0)))
    (tmp_path / "bank.db.writelock").unlink()
    with (
        SQLiteStore(path) as store,
        pytest.raises(StoreError, match="cannot open the write lock file"),
        store.write_lock("s"),
    ):
        pass
