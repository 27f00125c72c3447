"""SQLite-specific behaviour: files, migrations, caching across connections, processes, crashes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from reasoningbank.models import UsageEvent
from reasoningbank.stores import InMemoryStore, SQLiteStore, StoreError, open_store
from reasoningbank.stores.sqlite import SQLITE_SCHEMA_VERSION
from reasoningbank.testing.store_conformance import DIM, MODEL, axis, make_experience
from tests.stores.old_banks import old_bank

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run_child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
    )


def test_creates_parent_dirs_wal_and_migrations(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bank.db"
    store = SQLiteStore(path)
    assert path.exists()
    assert store.schema_version() == SQLITE_SCHEMA_VERSION
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, SQLITE_SCHEMA_VERSION + 1))
    conn.close()
    # reopening applies nothing twice
    again = SQLiteStore(path)
    assert again.schema_version() == SQLITE_SCHEMA_VERSION
    again.close()


def test_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (SQLITE_SCHEMA_VERSION + 5,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=rf"newer version.*{SQLITE_SCHEMA_VERSION + 5}"):
        SQLiteStore(path)


def test_closed_store_refuses(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bank.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count("s")


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    with SQLiteStore(path) as store:
        store.add_many([make_experience(n, vec=axis(n % 8), items=2) for n in range(5)])
    with SQLiteStore(path) as store:
        assert store.count("s") == 5
        assert store.count_items("s") == 10
        assert store.search("s", axis(3), 1, model=MODEL)[0].experience.id == "e3"
        assert store.integrity_check() == "ok"


def test_vectors_stored_as_float32_blobs(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    with SQLiteStore(path) as store:
        store.add(make_experience(1, vec=axis(2)))
    conn = sqlite3.connect(path)
    model, dim, blob = conn.execute("SELECT emb_model, emb_dim, embedding FROM experiences").fetchone()
    conn.close()
    assert (model, dim) == (MODEL, 8)
    assert np.array_equal(np.frombuffer(blob, dtype=np.float32), axis(2))


def test_search_cache_sees_writes_from_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    a, b = SQLiteStore(path), SQLiteStore(path)
    a.add(make_experience(1, vec=axis(0)))
    assert a.search("s", axis(1), 1, model=MODEL)[0].experience.id == "e1"  # builds a's cache
    b.add(make_experience(2, vec=axis(1)))
    assert a.search("s", axis(1), 1, model=MODEL)[0].experience.id == "e2"
    b.delete("s", "e2")
    assert a.search("s", axis(1), 1, model=MODEL)[0].experience.id == "e1"
    a.close()
    b.close()


def test_search_cache_sees_writes_from_another_process(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    store = SQLiteStore(path)
    store.add(make_experience(1, vec=axis(0)))
    assert store.search("s", axis(5), 1, model=MODEL)[0].experience.id == "e1"
    child = run_child(
        """
        import sys
        from reasoningbank.stores import SQLiteStore
        from reasoningbank.testing.store_conformance import axis, make_experience
        s = SQLiteStore(sys.argv[1])
        s.add(make_experience(2, vec=axis(5)))
        s.close()
        """,
        str(path),
    )
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert store.search("s", axis(5), 1, model=MODEL)[0].experience.id == "e2"
    store.close()


def hits(
    store: SQLiteStore, q: np.ndarray, k: int = 1000, exclude: str | None = None
) -> list[tuple[str, float]]:
    return [(h.experience.id, h.score) for h in store.search("s", q, k, model=MODEL, exclude_task_id=exclude)]


def fresh_hits(
    path: Path, q: np.ndarray, k: int = 1000, exclude: str | None = None
) -> list[tuple[str, float]]:
    with SQLiteStore(path) as fresh:
        return hits(fresh, q, k, exclude)


def test_single_adds_extend_the_cache_and_match_a_fresh_store(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    path = tmp_path / "bank.db"
    store = SQLiteStore(path)
    vecs = [rng.standard_normal(DIM).astype(np.float32) for _ in range(10)]
    store.add_many([make_experience(n, vec=vecs[n]) for n in range(10)])
    queries = rng.standard_normal((4, DIM)).astype(np.float32)
    assert hits(store, queries[0]) == fresh_hits(path, queries[0])
    assert (store.cache_rebuilds, store.cache_extends) == (1, 0)
    adds = 150  # well past the first capacity, so the matrix grows several times
    for n in range(10, 10 + adds):
        if n % 7 == 0:
            vec = None  # stored, never a hit
        elif n % 5 == 0:
            vec = vecs[n // 2]  # exact ties with an older row: the newer comes first
        else:
            vec = rng.standard_normal(DIM).astype(np.float32)
        if vec is not None:
            vecs.append(vec)
        store.add(make_experience(n, vec=vec, task_id=f"task-{n % 3}"))
        if n % 11 == 0:
            store.add(make_experience(n, scope="other", vec=rng.standard_normal(DIM).astype(np.float32)))
        q = queries[n % 4]
        exclude = "task-1" if n % 2 else None
        got = hits(store, q, 5, exclude)
        assert got == fresh_hits(path, q, 5, exclude)
        assert len(got) == 5
    for q in queries:
        assert hits(store, q) == fresh_hits(path, q)
    assert store.cache_rebuilds == 1, "single adds must not reload the matrix"
    assert store.cache_extends == adds
    assert len(hits(store, queries[0])) == store.count("s") - len(range(14, 10 + adds, 7))
    store.close()


def test_add_that_sorts_before_cached_rows_rebuilds(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    store = SQLiteStore(path)
    store.add_many([make_experience(n, vec=axis(0)) for n in (10, 11)])
    assert [i for i, _ in hits(store, axis(0))] == ["e11", "e10"]  # ties: newest first
    store.add(make_experience(5, vec=axis(0)))  # created earlier: it sorts before the cached rows
    assert (
        [i for i, _ in hits(store, axis(0))]
        == ["e11", "e10", "e5"]
        == [i for i, _ in fresh_hits(path, axis(0))]
    )
    assert (store.cache_rebuilds, store.cache_extends) == (2, 0)
    store.add(make_experience(11, vec=axis(0), exp_id="e11b"))  # same created_at as the last row: appended
    assert [i for i, _ in hits(store, axis(0))] == ["e11b", "e11", "e10", "e5"]
    assert (store.cache_rebuilds, store.cache_extends) == (2, 1)
    store.close()


def test_insert_from_another_connection_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    a, b = SQLiteStore(path), SQLiteStore(path)
    a.add(make_experience(1, vec=axis(0)))
    assert [i for i, _ in hits(a, axis(1))] == ["e1"]
    b.add(make_experience(2, vec=axis(1)))
    b.supersede_item("s", "s-e1-i0", make_experience(9).items[0].model_copy(update={"id": "v2"}))
    assert hits(a, axis(1)) == [("e2", 1.0), ("e1", 0.0)]
    assert [it.id for it in a.search("s", axis(0), 1, model=MODEL)[0].experience.items] == ["v2"]
    assert (a.cache_rebuilds, a.cache_extends) == (1, 1)
    a.close()
    b.close()


def test_removals_from_another_connection_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    a, b = SQLiteStore(path), SQLiteStore(path)
    a.add_many([make_experience(n, vec=axis(n)) for n in range(1, 4)])
    assert [i for i, _ in hits(a, axis(2))] == ["e2", "e3", "e1"]
    assert a.cache_rebuilds == 1
    b.delete("s", "e2")
    assert [i for i, _ in hits(a, axis(2))] == ["e3", "e1"]
    assert a.cache_rebuilds == 2
    # a delete followed by an insert: the largest seq moves too, still a rebuild
    b.delete("s", "e3")
    b.add(make_experience(4, vec=axis(3)))
    assert [i for i, _ in hits(a, axis(3))] == ["e4", "e1"]
    assert a.cache_rebuilds == 3
    # a tool editing the file directly: the triggers still count the removal
    raw = sqlite3.connect(path)
    raw.execute("DELETE FROM experiences WHERE id = 'e4'")
    raw.commit()
    assert hits(a, axis(3)) == [("e1", 0.0)]
    raw.execute("UPDATE experiences SET embedding = ? WHERE id = 'e1'", (axis(3).tobytes(),))
    raw.commit()
    raw.close()
    assert hits(a, axis(3)) == [("e1", 1.0)]
    assert a.cache_rebuilds == 5
    assert a.cache_extends == 0
    # deleting every vector unbinds the scope
    b.delete("s", "e1")
    assert hits(a, axis(3)) == []
    a.close()
    b.close()


def test_writes_from_another_process_extend_or_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    store = SQLiteStore(path)
    store.add(make_experience(1, vec=axis(0)))
    assert [i for i, _ in hits(store, axis(5))] == ["e1"]
    code = """
        import sys
        from reasoningbank.stores import SQLiteStore
        from reasoningbank.testing.store_conformance import axis, make_experience
        s = SQLiteStore(sys.argv[1])
        if sys.argv[2] == "add":
            s.add_many([make_experience(n, vec=axis(n % 8)) for n in range(2, 7)])
        else:
            s.delete("s", "e5")
        s.close()
        """
    for action in ("add", "delete"):
        child = run_child(code, str(path), action)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        if action == "add":
            assert hits(store, axis(5))[0] == ("e5", 1.0)
            assert (store.cache_rebuilds, store.cache_extends) == (1, 1)
        else:
            assert "e5" not in [i for i, _ in hits(store, axis(5))]
            assert (store.cache_rebuilds, store.cache_extends) == (2, 1)
    assert hits(store, axis(4)) == fresh_hits(path, axis(4))
    store.close()


def test_threads_adding_and_searching_match_a_fresh_store(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    store = SQLiteStore(path)
    store.add(make_experience(0, vec=axis(0)))
    errors: list[BaseException] = []
    counter = iter(range(1, 10**6))
    lock = threading.Lock()

    def work(t: int) -> None:
        try:
            rng = np.random.default_rng(t)
            for _ in range(25):
                with lock:  # increasing created_at, so most searches append
                    n = next(counter)
                    store.add(make_experience(n, vec=rng.standard_normal(DIM).astype(np.float32)))
                found = [i for i, _ in hits(store, axis(t % DIM), 5)]
                assert len(found) == len(set(found)) > 0
        except BaseException as err:  # re-raised by the test thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    for i in range(DIM):
        assert hits(store, axis(i)) == fresh_hits(path, axis(i))
    assert len(hits(store, axis(0))) == 101
    assert store.cache_extends > 0
    store.close()


def test_opens_and_upgrades_a_version_1_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_bank(path, 1, {n: axis(n) for n in range(1, 4)})
    store = SQLiteStore(path)
    assert store.schema_version() == SQLITE_SCHEMA_VERSION == 4
    store.record_usage("s", [UsageEvent(item_id="i", task_id="t", shown=True, label="success")])
    assert len(store.usage("s", ["i"])) == 1  # migration 3 added the usage table
    assert [i for i, _ in hits(store, axis(2))] == ["e2", "e3", "e1"]
    store.add(make_experience(4, vec=axis(2)))
    assert [i for i, _ in hits(store, axis(2))][:2] == ["e4", "e2"]
    store.delete("s", "e2")
    assert [i for i, _ in hits(store, axis(2))] == ["e4", "e3", "e1"]
    assert (store.cache_rebuilds, store.cache_extends) == (2, 1)
    store.close()


_WRITER = """
import sys
from reasoningbank.stores import SQLiteStore
from reasoningbank.testing.store_conformance import axis, make_experience
path, worker = sys.argv[1], int(sys.argv[2])
s = SQLiteStore(path)
for n in range(50):
    s.add(make_experience(worker * 1000 + n, vec=axis(n % 8)))
s.close()
"""


def test_four_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    SQLiteStore(path).close()
    children = [run_child(_WRITER, str(path), str(w)) for w in range(4)]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    with SQLiteStore(path) as store:
        assert store.count("s") == 200
        ids = {e.id for e in store.list("s")}
        assert ids == {f"e{w * 1000 + n}" for w in range(4) for n in range(50)}
        assert len(store.search("s", axis(0), 500, model=MODEL)) == 200


_CRASHER = """
import sys
from reasoningbank.stores import SQLiteStore
from reasoningbank.testing.store_conformance import axis, make_experience
path, size = sys.argv[1], int(sys.argv[2])
s = SQLiteStore(path)
batch = 0
while True:
    s.add_many(
        [make_experience(batch * size + n, vec=axis(n % 8), items=2, exp_id=f"b{batch}-{n}")
         for n in range(size)]
    )
    print(batch, flush=True)
    batch += 1
"""


def test_sigkill_mid_write_keeps_exactly_the_committed_batches(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    size = 1500
    child = run_child(_CRASHER, str(path), str(size))
    assert child.stdout is not None
    reported = -1
    deadline = time.monotonic() + 60
    while reported < 0 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        reported = int(line)
    assert reported >= 0, child.stderr.read() if child.stderr else ""
    # building a batch takes ~0.15 s and storing it ~0.3 s: land inside the next add_many
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    if child.stderr:
        child.stderr.close()

    with SQLiteStore(path) as store:
        assert store.integrity_check() == "ok"
        ids = {e.id for e in store.list("s")}
        n_batches = len(ids) // size
        assert len(ids) % size == 0, "a partial batch was committed"
        assert n_batches >= reported + 1  # every reported batch is there (one more may have committed)
        assert ids == {f"b{b}-{n}" for b in range(n_batches) for n in range(size)}
        assert store.count_items("s") == 2 * len(ids)
        store.add(make_experience(10**6, vec=axis(0)))  # still writable
        assert store.count("s") == len(ids) + 1


def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert isinstance(open_store("memory://"), InMemoryStore)
    rel = open_store("sqlite:///sub/rel.db")
    assert isinstance(rel, SQLiteStore)
    assert (tmp_path / "sub" / "rel.db").exists()
    rel.close()
    absolute = open_store(f"sqlite:///{tmp_path / 'abs.db'}")
    assert isinstance(absolute, SQLiteStore)
    assert absolute.path == tmp_path / "abs.db"
    absolute.close()
    for plain in ("plain.db", "plain.sqlite", str(tmp_path / "x.sqlite3")):
        store = open_store(plain)
        assert isinstance(store, SQLiteStore)
        store.close()
    for bad in ("mysql://x", "bank.json", "sqlite:///"):
        with pytest.raises(ValueError, match="store URL"):
            open_store(bad)
