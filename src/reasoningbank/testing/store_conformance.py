"""A conformance suite every :class:`~reasoningbank.stores.base.Store` must pass.

Use it for your own backend with pytest::

    from reasoningbank.testing.store_conformance import StoreConformance

    class TestMyStore(StoreConformance):
        def make_store(self, tmp_path):
            return MyStore(...)

Every test gets a fresh store from :meth:`StoreConformance.make_store` and
closes it afterwards (the ``store`` fixture of
:class:`~reasoningbank.testing.store_cases.StoreCases`). The lifecycle cases
(``with`` blocks, closed stores) live in
:mod:`~reasoningbank.testing.store_lifecycle`, the usage-event cases in
:mod:`~reasoningbank.testing.store_usage`, the write-lock cases in
:mod:`~reasoningbank.testing.store_write_lock`; the sample data (re-exported
here) in :mod:`~reasoningbank.testing.store_samples`.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import numpy as np
import pytest

from ..models import EmbeddingRef, Experience, MemoryItem, Step, Trajectory, Verdict, item_hash
from ..stores.base import EmbeddingMismatchError, NotFoundError, Store, StoreError
from .store_lifecycle import StoreLifecycleCases
from .store_samples import DIM, MODEL, T0, axis, make_experience, ref, unit
from .store_usage import StoreUsageCases
from .store_write_lock import StoreWriteLockCases

__all__ = ["DIM", "MODEL", "StoreConformance", "axis", "make_experience", "ref", "unit"]


class StoreConformance(StoreLifecycleCases, StoreUsageCases, StoreWriteLockCases):
    """Subclass with a ``Test`` name and implement :meth:`make_store` (tmp_path -> a fresh Store)."""

    # -- basic CRUD ----------------------------------------------------------
    def test_add_get_count(self, store: Store) -> None:
        exp = make_experience(1, vec=axis(0), items=2)
        store.add(exp)
        assert store.count("s") == 1
        assert store.count_items("s") == 2
        assert store.get("s", "e1") == exp
        assert store.scopes() == ["s"]

    def test_list_oldest_first_with_limit_offset(self, store: Store) -> None:
        store.add_many([make_experience(n, vec=axis(n % DIM)) for n in (3, 1, 2)])
        store.add(make_experience(0, vec=axis(0)))
        assert [e.id for e in store.list("s")] == ["e0", "e1", "e2", "e3"]
        assert [e.id for e in store.list("s", limit=2)] == ["e0", "e1"]
        assert [e.id for e in store.list("s", limit=2, offset=3)] == ["e3"]
        assert store.list("s", offset=10) == []
        assert store.list("nobody") == []

    def test_delete_removes_experience_and_items(self, store: Store) -> None:
        store.add_many([make_experience(1, vec=axis(0), items=3), make_experience(2, vec=axis(1))])
        store.delete("s", "e1")
        assert store.count("s") == 1
        assert store.count_items("s") == 1
        with pytest.raises(NotFoundError, match="e1"):
            store.get("s", "e1")
        assert [h.experience.id for h in store.search("s", axis(0), 5, model=MODEL)] == ["e2"]

    def test_not_found_errors_name_the_id_and_scope(self, store: Store) -> None:
        store.add(make_experience(1))
        with pytest.raises(NotFoundError, match=r"'missing'.*'s'"):
            store.get("s", "missing")
        with pytest.raises(NotFoundError, match=r"'e1'.*'other'"):
            store.get("other", "e1")
        with pytest.raises(NotFoundError, match="missing"):
            store.delete("s", "missing")
        with pytest.raises(NotFoundError, match="no-such-item"):
            store.supersede_item("s", "no-such-item", MemoryItem(title="t", content="c"))
        assert isinstance(NotFoundError("x"), KeyError)

    def test_duplicate_id_refused(self, store: Store) -> None:
        store.add(make_experience(1))
        with pytest.raises(StoreError, match="e1"):
            store.add(make_experience(1, items=0))
        assert store.count("s") == 1

    def test_experience_without_vector_is_stored_but_never_hit(self, store: Store) -> None:
        store.add_many([make_experience(1), make_experience(2, vec=axis(0))])
        assert store.count("s") == 2
        assert store.get("s", "e1").query_embedding is None
        hits = store.search("s", axis(0), 10, model=MODEL)
        assert [h.experience.id for h in hits] == ["e2"]

    def test_round_trip_every_field(self, store: Store) -> None:
        exp = Experience(
            id="full",
            scope="s",
            task_id="t-full",
            query="Find the cheapest flight to Oslo",
            query_embedding=ref(unit([0.5, -0.25, 0.125, 1.0, 0.0, 0.75, -1.0, 0.3])),
            trajectory=Trajectory(
                task_id="t-full",
                query="Find the cheapest flight to Oslo",
                steps=[Step(thought="look", action="click('search')", observation="a page"), Step()],
                final_answer="SK123",
                meta={"env": "webshop", "steps": 2, "nested": {"a": [1, 2.5, None]}},
            ),
            verdict=Verdict(label="failure", thoughts="wrong", judge_model="judge", parsed=False, raw="?"),
            items=[
                MemoryItem(
                    id="it-1",
                    title="Sort by price",
                    description="when searching",
                    content="Sort results by price before picking.",
                    origin="failure",
                    experience_id="full",
                    created_at=T0,
                    version=3,
                )
            ],
            raw_extraction="# Memory Item 1 ...",
            extraction_note="note é ✓",
            redactions={"openai-key": 2, "password": 1},
            prompt_versions={"judge": "v1", "extract": "v2"},
            models={"agent": "a", "judge": "j"},
            created_at=T0 + timedelta(microseconds=123),
        )
        store.add(exp)
        assert store.get("s", "full") == exp
        assert store.list("s") == [exp]
        hit = store.search("s", np.asarray(exp.query_embedding.vector, np.float32), 1, model=MODEL)[0]  # type: ignore[union-attr]
        assert hit.experience == exp
        assert hit.score == pytest.approx(1.0, abs=1e-5)

    def test_item_experience_id_is_stamped(self, store: Store) -> None:
        exp = make_experience(1, items=0).model_copy(
            update={"items": [MemoryItem(id="x", title="t", content="c")]}
        )
        store.add(exp)
        assert store.get("s", "e1").items[0].experience_id == "e1"
        bad = make_experience(2, items=0).model_copy(
            update={"items": [MemoryItem(id="y", title="t", content="c", experience_id="elsewhere")]}
        )
        with pytest.raises(ValueError, match="elsewhere"):
            store.add(bad)
        assert store.count("s") == 1

    # -- scopes ----------------------------------------------------------------
    def test_scope_isolation(self, store: Store) -> None:
        a = make_experience(1, scope="a", vec=axis(0), task_id="same")
        b = make_experience(1, scope="b", vec=axis(0), task_id="same")
        b = b.model_copy(update={"query": "scope b query"})
        store.add_many([a, b])
        assert store.get("a", "e1").query == a.query
        assert store.get("b", "e1").query == "scope b query"
        assert store.count("a") == store.count("b") == 1
        assert sorted(store.scopes()) == ["a", "b"]
        hits = store.search("a", axis(0), 10, model=MODEL)
        assert [(h.experience.scope, h.experience.id) for h in hits] == [("a", "e1")]
        assert store.search("a", axis(0), 10, model=MODEL, exclude_task_id="same") == []
        store.delete("a", "e1")
        assert store.count("a") == 0
        assert store.get("b", "e1") == b
        assert store.search("b", axis(0), 10, model=MODEL)[0].experience.scope == "b"
        assert store.list("a") == []
        assert store.has_item_hash("b", item_hash("Title 1.0", "Content of item 0 of experience 1"))
        assert not store.has_item_hash("a", item_hash("Title 1.0", "Content of item 0 of experience 1"))

    def test_embedding_binding_is_per_scope(self, store: Store) -> None:
        store.add(make_experience(1, scope="a", vec=axis(0), model="m1"))
        store.add(make_experience(1, scope="b", vec=axis(0, 4), model="m2"))
        assert store.embedding_model("a") == ("m1", DIM)
        assert store.embedding_model("b") == ("m2", 4)
        assert store.embedding_model("empty") is None

    # -- atomicity & embeddings ----------------------------------------------
    def test_add_many_is_atomic(self, store: Store) -> None:
        store.add(make_experience(0, vec=axis(0)))
        good = [make_experience(n, vec=axis(n % DIM)) for n in range(1, 5)]
        dup = make_experience(0, vec=axis(1), items=0)  # id e0 already stored
        with pytest.raises(StoreError):
            store.add_many([*good, dup])
        assert store.count("s") == 1
        assert store.count_items("s") == 1
        wrong = make_experience(9, vec=axis(0, DIM + 1))
        with pytest.raises(EmbeddingMismatchError):
            store.add_many([*good, wrong])
        assert [e.id for e in store.list("s")] == ["e0"]
        assert not store.has_item_hash("s", item_hash("Title 1.0", "Content of item 0 of experience 1"))

    def test_add_many_duplicate_inside_batch_refused(self, store: Store) -> None:
        with pytest.raises(StoreError):
            store.add_many([make_experience(1), make_experience(1, items=0)])
        assert store.count("s") == 0

    def test_embedding_mismatch_model_and_dim(self, store: Store) -> None:
        assert store.embedding_model("s") is None
        store.add(make_experience(1, vec=axis(0)))
        assert store.embedding_model("s") == (MODEL, DIM)
        with pytest.raises(EmbeddingMismatchError, match="other-model"):
            store.add(make_experience(2, vec=axis(0), model="other-model"))
        with pytest.raises(EmbeddingMismatchError, match=str(DIM + 2)):
            store.add(make_experience(3, vec=axis(0, DIM + 2)))
        assert store.count("s") == 1
        with pytest.raises(EmbeddingMismatchError):
            store.search("s", axis(0), 1, model="other-model")
        with pytest.raises(EmbeddingMismatchError):
            store.search("s", axis(0, DIM + 2), 1, model=MODEL)

    def test_first_batch_binds_scope(self, store: Store) -> None:
        with pytest.raises(EmbeddingMismatchError):
            store.add_many([make_experience(1, vec=axis(0)), make_experience(2, vec=axis(0), model="m2")])
        assert store.count("s") == 0
        assert store.embedding_model("s") is None

    def test_declared_dim_must_match_vector(self, store: Store) -> None:
        exp = make_experience(1).model_copy(
            update={"query_embedding": EmbeddingRef(model=MODEL, dim=DIM + 1, vector=[1.0] * DIM)}
        )
        with pytest.raises(EmbeddingMismatchError):
            store.add(exp)
        assert store.count("s") == 0

    # -- search ----------------------------------------------------------------
    def test_search_ranks_by_cosine(self, store: Store) -> None:
        q = unit([1, 0, 0, 0, 0, 0, 0, 0])
        store.add_many(
            [
                make_experience(1, vec=unit([0, 1, 0, 0, 0, 0, 0, 0])),
                make_experience(2, vec=unit([1, 1, 0, 0, 0, 0, 0, 0])),
                make_experience(3, vec=unit([1, 0.1, 0, 0, 0, 0, 0, 0])),
                make_experience(4, vec=unit([-1, 0, 0, 0, 0, 0, 0, 0])),
            ]
        )
        hits = store.search("s", q, 10, model=MODEL)
        assert [h.experience.id for h in hits] == ["e3", "e2", "e1", "e4"]
        assert hits[0].score == pytest.approx(1 / np.sqrt(1.01), abs=1e-5)
        assert hits[1].score == pytest.approx(1 / np.sqrt(2), abs=1e-5)
        assert hits[3].score == pytest.approx(-1.0, abs=1e-5)
        assert [h.experience.id for h in store.search("s", q, 2, model=MODEL)] == ["e3", "e2"]
        assert store.search("s", q, 0, model=MODEL) == []
        with pytest.raises(ValueError):
            store.search("s", q, -1, model=MODEL)

    def test_search_ties_go_newest_first(self, store: Store) -> None:
        # Repeated queries embed identically; the newest experience must win the tie,
        # also when the tie straddles the k-th place.
        store.add_many([make_experience(n, vec=axis(0)) for n in (3, 1, 2)])
        store.add(make_experience(4, vec=axis(1)))
        store.add(make_experience(5, vec=axis(0)))
        assert [h.experience.id for h in store.search("s", axis(0), 1, model=MODEL)] == ["e5"]
        ids = [h.experience.id for h in store.search("s", axis(0), 10, model=MODEL)]
        assert ids == ["e5", "e3", "e2", "e1", "e4"]
        assert [h.experience.id for h in store.search("s", axis(0), 2, model=MODEL)] == ["e5", "e3"]

    def test_search_accepts_row_vector_and_unnormalised_query(self, store: Store) -> None:
        store.add_many([make_experience(1, vec=axis(0)), make_experience(2, vec=axis(1))])
        hits = store.search("s", (axis(1) * 3)[None, :], 1, model=MODEL)
        assert hits[0].experience.id == "e2"
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)

    def test_search_empty_scope(self, store: Store) -> None:
        assert store.search("nothing", axis(0), 3, model=MODEL) == []

    def test_leave_one_out(self, store: Store) -> None:
        store.add_many(
            [
                make_experience(1, vec=axis(0), task_id="t-a"),
                make_experience(2, vec=unit([1, 1, 0, 0, 0, 0, 0, 0]), task_id="t-b"),
                make_experience(3, vec=axis(0), task_id="t-a"),
            ]
        )
        hits = store.search("s", axis(0), 3, model=MODEL, exclude_task_id="t-a")
        assert [h.experience.id for h in hits] == ["e2"]
        hits = store.search("s", axis(0), 1, model=MODEL, exclude_task_id="t-b")
        assert hits[0].experience.task_id == "t-a"

    def test_search_sees_writes(self, store: Store) -> None:
        store.add(make_experience(1, vec=axis(0)))
        assert [h.experience.id for h in store.search("s", axis(1), 1, model=MODEL)] == ["e1"]
        store.add(make_experience(2, vec=axis(1)))
        assert [h.experience.id for h in store.search("s", axis(1), 1, model=MODEL)] == ["e2"]
        store.delete("s", "e2")
        assert [h.experience.id for h in store.search("s", axis(1), 1, model=MODEL)] == ["e1"]

    # -- items -------------------------------------------------------------
    def test_supersede_item(self, store: Store) -> None:
        store.add(make_experience(1, vec=axis(0), items=2))
        old_id = "s-e1-i0"
        new = store.supersede_item("s", old_id, MemoryItem(id="v2", title="Better", content="Refined"))
        assert new.id == "v2"
        assert new.version == 2
        assert new.experience_id == "e1"
        assert new.superseded_by is None
        current = store.get("s", "e1")
        assert [it.id for it in current.items] == ["s-e1-i1", "v2"]
        full = store.get("s", "e1", include_superseded=True)
        assert [it.id for it in full.items] == [old_id, "s-e1-i1", "v2"]
        assert full.items[0].superseded_by == "v2"
        assert full.items[0].title == "Title 1.0"  # the old version is kept unchanged
        assert store.count_items("s") == 2
        assert store.count_items("s", include_superseded=True) == 3
        assert [it.id for it in store.list("s")[0].items] == ["s-e1-i1", "v2"]
        assert len(store.list("s", include_superseded=True)[0].items) == 3
        hit = store.search("s", axis(0), 1, model=MODEL)[0]
        assert [it.id for it in hit.experience.items] == ["s-e1-i1", "v2"]
        v3 = store.supersede_item("s", "v2", MemoryItem(id="v3", title="Best", content="Final"))
        assert v3.version == 3
        with pytest.raises(StoreError, match="superseded"):
            store.supersede_item("s", old_id, MemoryItem(id="v4", title="x", content="y"))
        with pytest.raises(StoreError):
            store.supersede_item("s", "v3", MemoryItem(id="s-e1-i1", title="x", content="y"))
        with pytest.raises(NotFoundError):
            store.supersede_item("other", "v3", MemoryItem(id="v9", title="x", content="y"))

    def test_has_item_hash_current_only(self, store: Store) -> None:
        store.add(make_experience(1, items=1))
        h_old = item_hash("Title 1.0", "Content of item 0 of experience 1")
        assert store.has_item_hash("s", h_old)
        assert store.has_item_hash("s", item_hash("  title 1.0 ", "content OF item 0   of experience 1"))
        assert not store.has_item_hash("s", item_hash("Other", "thing"))
        store.supersede_item("s", "s-e1-i0", MemoryItem(id="n", title="New title", content="New body"))
        assert not store.has_item_hash("s", h_old)
        assert store.has_item_hash("s", item_hash("New title", "New body"))

    # -- concurrency ---------------------------------------------------------
    def test_threads_add_concurrently(self, store: Store) -> None:
        errors: list[BaseException] = []

        def work(t: int) -> None:
            try:
                for n in range(10):
                    store.add(make_experience(t * 100 + n, vec=axis(n % DIM)))
                    store.search("s", axis(t % DIM), 3, model=MODEL)
            except BaseException as err:  # collected and re-raised by the test thread
                errors.append(err)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert store.count("s") == 40
        assert len(store.search("s", axis(0), 100, model=MODEL)) == 40
