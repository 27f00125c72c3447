"""A bank that is no bank, or a read-only one: one clear line on stderr and a non-zero exit,
never a traceback, for every command that opens the store."""

from __future__ import annotations

import ctypes
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reasoningbank.stores.sqlite import conn as sqlite_store
from reasoningbank.trajio import example_path
from tests.cli.helpers import EXAMPLE_ANSWERS, Env, add_item, run

ROOT = Path(__file__).resolve().parents[2]

COMMANDS: dict[str, tuple[str, ...]] = {
    "init": ("init",),
    "list": ("list",),
    "stats": ("stats",),
    "show": ("show", "abcd1234"),
    "items": ("items",),
    "retrieve": ("retrieve", "a query"),
    "add": ("add", "--title", "t", "--content", "c"),
    "export": ("export",),
    "import": ("import", str(example_path())),
    "learn": ("learn", str(example_path())),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_file_that_is_no_sqlite_bank_is_one_line(
    env: Env, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    env.db.write_text("name,score\nada,3\n" * 50)
    env.llm.responses = list(EXAMPLE_ANSWERS)
    res = run(capsys, *COMMANDS[command])
    assert res.code == 1
    assert res.err.strip() == (
        f"reasoningbank: error: {env.db} is not a ReasoningBank bank (SQLite: file is not a database)"
    )
    assert env.db.read_text().startswith("name,score")  # and the file is left as it was


def test_a_read_only_bank_refuses_add_in_one_line_and_keeps_what_it_holds(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_item(capsys, "kept", "stored before")
    real_connect = sqlite_store.connect

    def read_only(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = real_connect(path, busy_timeout_ms)
        conn.execute("PRAGMA query_only = ON")  # SQLite then refuses writes as for a read-only file
        return conn

    with monkeypatch.context() as patch:
        patch.setattr(sqlite_store, "connect", read_only)
        res = run(capsys, "add", "--title", "t", "--content", "c")
    assert res.code == 1 and res.err.count("\n") == 1
    assert res.err.startswith(f"reasoningbank: error: {env.db} is read-only (SQLite: attempt to write")
    listed = run(capsys, "list", "--json")
    assert [e["items"] for e in listed.json()["experiences"]] == [1]


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="rb-readonly-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in (path, *path.iterdir()):
            p.chmod(0o755)
        shutil.rmtree(path)


def _cli(*args: str, drop_root: bool = False) -> subprocess.CompletedProcess[str]:
    def without_root_powers() -> None:
        """Root writes anything: take away its power to override file modes.

        Dropped from the bounding set, the capabilities stay gone after exec, while the child keeps
        uid 0 and so can still run an interpreter installed under a private home directory (as
        another user it could not). Without CAP_SETPCAP the child becomes ``nobody`` instead.
        """
        libc = ctypes.CDLL(None, use_errno=True)
        pr_capbset_drop = 24
        cap_dac_override, cap_dac_read_search, cap_fowner = 1, 2, 3
        for cap in (cap_dac_override, cap_dac_read_search, cap_fowner):
            if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                os.setgid(65534)
                os.setuid(65534)
                return

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HOME": tempfile.gettempdir()}
    return subprocess.run(
        [sys.executable, "-m", "reasoningbank", "--embedder", "hash", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=without_root_powers if drop_root and os.geteuid() == 0 else None,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_console_entry_point_on_a_real_read_only_bank_and_a_text_file(shared_dir: Path) -> None:
    db = shared_dir / "bank.db"
    made = _cli("--store", str(db), "add", "--title", "kept", "--content", "stored before")
    assert made.returncode == 0, made.stderr
    for p in shared_dir.iterdir():
        p.chmod(0o444)
    shared_dir.chmod(0o555)
    res = _cli("--store", str(db), "add", "--title", "t", "--content", "c", drop_root=True)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith("reasoningbank: error: ") and res.stderr.count("\n") == 1
    assert "read-only" in res.stderr and str(db) in res.stderr
    shared_dir.chmod(0o755)
    text = shared_dir / "notes.db"
    text.write_text("just some notes, not a database at all\n" * 20)
    res = _cli("--store", str(text), "stats")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert (
        res.stderr
        == f"reasoningbank: error: {text} is not a ReasoningBank bank (SQLite: file is not a database)\n"
    )
