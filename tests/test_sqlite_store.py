"""SQLite-specific behaviour: files, migrations, caching across connections, processes, crashes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from reasoningbank.stores import InMemoryStore, SQLiteStore, StoreError, open_store
from reasoningbank.stores.sqlite import SCHEMA_VERSION
from reasoningbank.testing.store_conformance import MODEL, axis, make_experience

SRC = str(Path(__file__).resolve().parents[1] / "src")


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
    assert store.schema_version() == SCHEMA_VERSION
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    conn.close()
    # reopening applies nothing twice
    again = SQLiteStore(path)
    assert again.schema_version() == SCHEMA_VERSION
    again.close()


def test_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (SCHEMA_VERSION + 5,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=rf"newer version.*{SCHEMA_VERSION + 5}"):
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
    model, dim, blob = conn.execute("SELECT emb_model, emb_dim, vector FROM experiences").fetchone()
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
    for bad in ("postgres://x", "bank.json", "sqlite:///"):
        with pytest.raises(ValueError, match="store URL"):
            open_store(bad)
