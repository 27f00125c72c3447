"""The PostgreSQL store against a real PostgreSQL with pgvector, started by the test session.

The shipped conformance suite runs on it as on the bundled stores; the cases
below cover what only this store has: migrations, schemas, the HNSW path of
search, the scope row lock, URL options and errors, and running without the
``postgres`` extra.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reasoningbank.stores import EmbeddingMismatchError, Store, StoreError, open_store
from reasoningbank.testing.store_conformance import DIM, MODEL, StoreConformance, axis, make_experience
from tests.postgres_server import schema_for, with_options

pytestmark = pytest.mark.postgres

try:  # without the extra the fixtures skip every test that needs these
    from reasoningbank.stores.postgres import POSTGRES_SCHEMA_VERSION, PostgresStore
except ImportError:  # pragma: no cover
    PostgresStore = None  # type: ignore[assignment,misc]
    POSTGRES_SCHEMA_VERSION = 0


class TestPostgresStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _server(self, postgres_server: str) -> None:
        self.server_url = postgres_server

    def make_store(self, tmp_path: Path) -> Store:
        return PostgresStore(with_options(self.server_url, schema=schema_for(tmp_path)))


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    with PostgresStore(pg_url) as s:
        yield s


def _random_unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    mat = rng.standard_normal((n, dim)).astype(np.float32)
    return mat / np.linalg.norm(mat, axis=1, keepdims=True)


# -- migrations and schemas ------------------------------------------------------------------------
def test_migrations_are_recorded_and_applied_once(pg_url: str) -> None:
    with PostgresStore(pg_url) as first:
        assert first.schema_version() == POSTGRES_SCHEMA_VERSION
        first.add(make_experience(1, vec=axis(0)))
    with PostgresStore(pg_url) as again:  # reopening keeps the data and applies nothing twice
        assert again.schema_version() == POSTGRES_SCHEMA_VERSION
        assert again.count("s") == 1


def test_a_newer_schema_is_refused_and_left_alone(pg_url: str) -> None:
    with PostgresStore(pg_url) as s, s._pg.connection() as conn:
        s.add(make_experience(1, vec=axis(0)))
        conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (POSTGRES_SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer version of reasoningbank"):
        PostgresStore(pg_url)
    with PostgresStore(pg_url.replace("schema=", "schema=x")) as other:  # another schema still opens
        assert other.count("s") == 0


def test_two_schemas_are_two_banks(postgres_server: str, tmp_path: Path) -> None:
    name = schema_for(tmp_path)
    with (
        PostgresStore(with_options(postgres_server, schema=name + "_a")) as a,
        PostgresStore(with_options(postgres_server, schema=name + "_b")) as b,
    ):
        a.add(make_experience(1, vec=axis(0)))
        assert (a.count("s"), b.count("s")) == (1, 0)
        b.add(make_experience(1, vec=axis(0, 4), model="other"))  # same scope name, other binding
        assert b.embedding_model("s") == ("other", 4)


# -- search through the HNSW index -----------------------------------------------------------------
def _plan_uses_hnsw(store: PostgresStore, q: np.ndarray, excluding: bool) -> bool:
    from psycopg import sql

    from reasoningbank.stores.postgres import search as _pg_search

    with store._pg.read() as conn:
        _pg_search.index_settings(conn, 26)
        explain = sql.SQL("EXPLAIN ") + _pg_search.approximate_query(DIM, excluding)
        plan = conn.execute(explain, {"q": q, "s": "s", "n": 26, "x": "t3"}).fetchall()
    return any("experiences_hnsw_8" in str(row[0]) for row in plan)


def test_hnsw_path_scans_the_index_and_ranks_like_the_exact_path(pg_url: str) -> None:
    rng = np.random.default_rng(7)
    vecs = _random_unit(rng, 2000)  # enough rows for the planner to prefer the index to a sort
    with PostgresStore(pg_url) as exact, PostgresStore(pg_url, exact_search_max=0) as indexed:
        exact.add_many(
            [make_experience(n, vec=vecs[n], task_id=f"t{n % 7}", items=0) for n in range(len(vecs))]
        )
        with exact._pg.connection() as conn:
            conn.execute("ANALYZE experiences")
        assert _plan_uses_hnsw(indexed, vecs[0], False) and _plan_uses_hnsw(indexed, vecs[0], True)
        compared = differ = 0
        for q in _random_unit(rng, 10):
            for k, excl in ((1, None), (10, None), (10, "t3")):
                want = {
                    h.experience.id: h.score
                    for h in exact.search("s", q, k, model=MODEL, exclude_task_id=excl)
                }
                got = indexed.search("s", q, k, model=MODEL, exclude_task_id=excl)
                assert len(got) == k and all(h.experience.task_id != excl for h in got)
                assert [h.score for h in got] == sorted((h.score for h in got), reverse=True)
                for h in got:  # the same scores where both found the same experience
                    if h.experience.id in want:
                        assert h.score == pytest.approx(want[h.experience.id], abs=1e-6)
                compared += k
                differ += sum(h.experience.id not in want for h in got)
        assert differ <= compared * 0.02  # HNSW is approximate; in 8 dimensions it misses next to nothing


def test_hnsw_path_ties_go_newest_first_beyond_the_rows_it_fetched(pg_url: str) -> None:
    # 60 identical vectors: the index returns them in any order and more than k + slack tie.
    with PostgresStore(pg_url, exact_search_max=0) as s:
        s.add_many([make_experience(n, vec=axis(0), items=0) for n in range(60)])
        s.add(make_experience(100, vec=axis(1), items=0))
        assert [h.experience.id for h in s.search("s", axis(0), 3, model=MODEL)] == ["e59", "e58", "e57"]
        assert [h.experience.id for h in s.search("s", axis(1), 2, model=MODEL)] == ["e100", "e59"]


def test_zero_vectors_score_zero(store: PostgresStore) -> None:
    store.add_many([make_experience(1, vec=np.zeros(DIM, np.float32)), make_experience(2, vec=axis(0))])
    hits = store.search("s", axis(0), 5, model=MODEL)
    assert [(h.experience.id, round(h.score, 6)) for h in hits] == [("e2", 1.0), ("e1", 0.0)]
    hits = store.search("s", np.zeros(DIM, np.float32), 5, model=MODEL)
    assert [h.score for h in hits] == [0.0, 0.0]


# -- the scope row: binding and counts under concurrency -------------------------------------------
def test_concurrent_first_batches_bind_the_scope_once(pg_url: str) -> None:
    results: dict[int, str] = {}
    start = threading.Barrier(6)

    def work(t: int) -> None:
        with PostgresStore(pg_url) as s:
            start.wait(timeout=30)
            try:
                s.add(make_experience(t, vec=axis(0), model=f"model-{t}"))
                results[t] = "stored"
            except EmbeddingMismatchError:
                results[t] = "refused"

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(results.values()) == ["refused"] * 5 + ["stored"]
    with PostgresStore(pg_url) as s:
        winner = next(t for t, r in results.items() if r == "stored")
        assert s.embedding_model("s") == (f"model-{winner}", DIM)
        assert s.count("s") == 1


def test_a_refused_batch_creates_no_index(store: PostgresStore) -> None:
    store.add(make_experience(1, vec=axis(0)))
    with pytest.raises(EmbeddingMismatchError):
        store.add(make_experience(2, vec=axis(0, DIM + 1)))
    with store._pg.connection() as conn:
        assert conn.execute("SELECT to_regclass('experiences_hnsw_9')").fetchone() == (None,)
    assert store.count("s") == 1


def test_deleting_the_last_vector_unbinds_the_scope(store: PostgresStore) -> None:
    store.add_many([make_experience(1, vec=axis(0)), make_experience(2)])
    store.delete("s", "e1")
    assert store.embedding_model("s") is None
    store.add(make_experience(3, vec=axis(0, 4), model="next"))
    assert store.embedding_model("s") == ("next", 4)


# -- bad input, URLs, errors -------------------------------------------------------------------------
def test_text_postgresql_cannot_hold_is_refused_and_nothing_is_lost(store: PostgresStore) -> None:
    store.add(make_experience(1, vec=axis(0)))
    bad = make_experience(2, vec=axis(1), task_id="nul\x00task")
    with pytest.raises(StoreError, match="NUL"):
        store.add_many([make_experience(3, vec=axis(2)), bad])
    assert [e.id for e in store.list("s")] == ["e1"]
    # NUL inside the JSON (a trajectory, an item) is escaped there and round-trips
    odd = make_experience(4, vec=axis(3)).model_copy(update={"query": "a\x00b"})
    store.add(odd)
    assert store.get("s", "e4") == odd


def test_url_options_and_masked_password(postgres_server: str, tmp_path: Path) -> None:
    url = with_options(postgres_server, schema=schema_for(tmp_path), pool_max_size="3", password="")
    with open_store(url) as s:
        assert isinstance(s, PostgresStore)
        assert s.schema == schema_for(tmp_path)
        s.add(make_experience(1, vec=axis(0)))
    for bad, message in (
        (with_options(postgres_server, schema="no-dashes"), "plain identifier"),
        (with_options(postgres_server, pool_max_size="many"), "whole number"),
        (with_options(postgres_server, pool_min_size="4", pool_max_size="2"), "below"),
    ):
        with pytest.raises(ValueError, match=message):
            PostgresStore(bad)


def test_unreachable_server_is_one_clear_error_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://someone:s3cret@/db?host={tmp_path / 'no-server'}"
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as err:
        open_store(url)
    assert "s3cret" not in str(err.value)
    assert "someone:***@" in str(err.value)


def test_without_the_extra_a_postgres_url_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("reasoningbank.stores.postgres")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    with pytest.raises(ImportError, match=r"reasoningbank\[postgres\]"):
        open_store("postgresql://someone@/db?host=/nowhere")
    assert isinstance(open_store("memory://"), Store)  # everything else still works


# -- write_lock across stores (each with its own pool, as separate processes would be) ------------
def test_write_lock_excludes_another_store_on_the_same_schema(pg_url: str) -> None:
    with PostgresStore(pg_url) as a, PostgresStore(pg_url) as b:
        entered = threading.Event()

        def take() -> None:
            with b.write_lock("s"):
                entered.set()

        with a.write_lock("s"):
            th = threading.Thread(target=take)
            th.start()
            assert not entered.wait(0.5)  # b waits while a holds the lock
            with b.write_lock("other"):  # another scope is not held
                pass
        assert entered.wait(10)  # a released it: b got it
        th.join(10)


def test_write_lock_waits_give_up_with_store_error(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import reasoningbank.stores.postgres.dialect as pg

    monkeypatch.setattr(pg, "WRITE_LOCK_TIMEOUT_S", 0.3)
    with (
        PostgresStore(pg_url) as a,
        PostgresStore(pg_url) as b,
        a.write_lock("s"),
        pytest.raises(StoreError, match="write lock of scope 's'"),
        b.write_lock("s"),
    ):
        pass
