"""The PostgreSQL store's write lock across processes, as agents on several machines would use it.

Eight spawned processes (each with its own store and connection pool, sharing
only the database) run read-decide-write blocks on one scope; a killed holder
must not keep the lock.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from typing import Any

import pytest

from reasoningbank.models import MemoryItem, item_hash
from reasoningbank.testing.store_conformance import axis, make_experience

pytestmark = pytest.mark.postgres

PROCESSES = 8
ROUNDS = 25
LESSON = ("Shared lesson", "Check the cart first.")


def check_then_add(url: str, worker: int, start: Any, out: Any) -> None:
    """One process: ROUNDS blocks of "is the lesson stored? then add an experience (with it if not)"."""
    from reasoningbank.stores.postgres import PostgresStore

    try:
        with PostgresStore(url) as store:
            start.wait(timeout=120)
            added = []
            for n in range(ROUNDS):
                exp = make_experience(worker * 1000 + n, vec=axis(n % 8), items=0)
                with store.write_lock("s"):
                    if not store.has_item_hash("s", item_hash(*LESSON)):
                        lesson = MemoryItem(id=f"lesson-{exp.id}", title=LESSON[0], content=LESSON[1])
                        exp = exp.model_copy(update={"items": [lesson]})
                    store.add(exp)
                added.append(exp.id)
        out.put((worker, added))
    except BaseException as err:  # reported to the test process, which fails with it
        out.put((worker, f"{type(err).__name__}: {err}"))


def hold_lock_forever(url: str, held: Any) -> None:
    from reasoningbank.stores.postgres import PostgresStore

    store = PostgresStore(url)
    with store.write_lock("s"):
        held.set()
        time.sleep(600)  # killed by the test


def test_eight_processes_add_the_checked_lesson_once_and_lose_nothing(pg_url: str) -> None:
    from reasoningbank.stores.postgres import PostgresStore

    with PostgresStore(pg_url):  # migrate once up front, so the workers' timing is the lock's
        pass
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=check_then_add, args=(pg_url, w, start, out)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        results = dict(out.get(timeout=300) for _ in procs)
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    assert {w: r for w, r in results.items() if isinstance(r, str)} == {}
    added = [eid for ids in results.values() for eid in ids]
    assert len(added) == len(set(added)) == PROCESSES * ROUNDS
    with PostgresStore(pg_url) as store:
        assert sorted(e.id for e in store.list("s")) == sorted(added)
        assert store.count_items("s") == 1


def test_a_killed_holder_frees_the_lock(pg_url: str) -> None:
    from reasoningbank.stores.postgres import PostgresStore

    ctx = mp.get_context("spawn")
    held = ctx.Event()
    proc = ctx.Process(target=hold_lock_forever, args=(pg_url, held))
    proc.start()
    try:
        assert held.wait(120)
        os.kill(proc.pid, 9)  # type: ignore[arg-type]
        proc.join(30)
        with PostgresStore(pg_url) as store:
            t0 = time.monotonic()
            with store.write_lock("s"):  # PostgreSQL ended the dead session and its lock
                store.add(make_experience(1, vec=axis(0)))
            assert time.monotonic() - t0 < 30
            assert store.count("s") == 1
    finally:
        if proc.is_alive():
            proc.kill()
