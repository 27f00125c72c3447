"""The write-lock part of the store conformance suite: read-decide-write blocks, one at a time.

:meth:`~reasoningbank.stores.base.Store.write_lock` must make "check, then write"
one step for every writer of a scope. These cases drive it from threads of one
process against one store object; a backend that also promises it across
processes (every persistent one should) tests that in its own suite, as
``tests/stores/test_sqlite_write_lock.py`` and ``tests/test_learning_processes.py``
do for SQLite.

:class:`~reasoningbank.testing.store_conformance.StoreConformance` inherits these
cases; a backend's test class subclasses that, not this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from ..models import Experience, MemoryItem, UsageEvent, item_hash
from ..stores.base import Store
from .store_cases import StoreCases
from .store_samples import axis, make_experience

_JOIN_TIMEOUT = 60.0  # a lock that never frees fails the test instead of hanging it


def _run_threads(target: Callable[[int], None], n: int) -> list[BaseException]:
    """Run ``target(0..n-1)`` in ``n`` threads started together; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def work(t: int) -> None:
        try:
            start.wait(timeout=_JOIN_TIMEOUT)
            target(t)
        except BaseException as err:  # collected and re-raised by the test thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(_JOIN_TIMEOUT)
    if any(th.is_alive() for th in threads):
        errors.append(TimeoutError("a thread is still waiting for the write lock"))
    return errors


def _lesson(t: int, n: int) -> Experience:
    """Experience ``t*1000+n`` holding the one lesson every thread tries to add."""
    exp = make_experience(t * 1000 + n, vec=axis(n % 8), items=0)
    item = MemoryItem(id=f"lesson-{t}-{n}", title="Shared lesson", content="Check the cart first.")
    return exp.model_copy(update={"items": [item.model_copy(update={"experience_id": exp.id})]})


class StoreWriteLockCases(StoreCases):
    """``write_lock`` blocks of a scope never overlap, see each other's writes and allow writes."""

    def test_write_lock_blocks_never_overlap(self, store: Store) -> None:
        inside: list[int] = []
        overlaps: list[int] = []

        def work(t: int) -> None:
            for _ in range(5):
                with store.write_lock("s"):
                    inside.append(t)
                    if len(inside) > 1:
                        overlaps.append(t)
                    time.sleep(0.002)  # widen the window another block would have to enter
                    inside.remove(t)

        assert _run_threads(work, 4) == []
        assert overlaps == []

    def test_check_then_add_under_the_lock_adds_once(self, store: Store) -> None:
        h = item_hash("Shared lesson", "Check the cart first.")

        def work(t: int) -> None:
            for n in range(5):
                with store.write_lock("s"):
                    exists = store.has_item_hash("s", h)
                    time.sleep(0.001)  # without the lock, every thread would decide "new" here
                    exp = _lesson(t, n)
                    store.add(exp if not exists else exp.model_copy(update={"items": []}))

        assert _run_threads(work, 4) == []
        assert store.count("s") == 20
        assert store.count_items("s") == 1

    def test_writes_inside_the_block_are_visible_and_kept(self, store: Store) -> None:
        with store.write_lock("s"):
            store.add(make_experience(1, vec=axis(0)))
            assert store.count("s") == 1
            assert store.has_item_hash("s", item_hash("Title 1.0", "Content of item 0 of experience 1"))
            new = store.supersede_item("s", "s-e1-i0", MemoryItem(id="v2", title="New", content="Body"))
            store.record_usage("s", [UsageEvent(item_id="v2", task_id="t", shown=True, label="success")])
            store.add_many([make_experience(2, vec=axis(1))])
            assert [it.id for it in store.get("s", "e1").items] == ["v2"]
        assert new.version == 2
        assert store.count("s") == 2
        assert [e.item_id for e in store.usage("s", ["v2"])] == ["v2"]
        assert [h.experience.id for h in store.search("s", axis(1), 1, model="conformance-embedder")] == [
            "e2"
        ]

    def test_write_lock_is_reentrant_for_its_thread(self, store: Store) -> None:
        with store.write_lock("s"), store.write_lock("s"):
            store.add(make_experience(1, vec=axis(0)))
        entered: list[int] = []

        def work(t: int) -> None:  # the nested blocks freed the lock entirely
            with store.write_lock("s"):
                entered.append(t)

        assert _run_threads(work, 1) == []
        assert entered == [0]

    def test_a_block_that_raises_frees_the_lock(self, store: Store) -> None:
        with pytest.raises(KeyError, match="inside"), store.write_lock("s"):
            raise KeyError("inside")
        entered: list[int] = []

        def work(t: int) -> None:
            with store.write_lock("s"):
                entered.append(t)

        assert _run_threads(work, 2) == []
        assert sorted(entered) == [0, 1]

    def test_reads_inside_see_what_the_previous_holder_wrote(self, store: Store) -> None:
        seen: list[int] = []

        def work(t: int) -> None:
            with store.write_lock("s"):
                n = store.count("s")
                seen.append(n)
                store.add(make_experience(100 + t, vec=axis(t % 8)))

        assert _run_threads(work, 6) == []
        assert sorted(seen) == [0, 1, 2, 3, 4, 5]
