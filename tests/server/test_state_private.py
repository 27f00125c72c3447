"""The state dir is private: created 0700 with 0600 files whatever the umask; looser modes warned about.

Under umask 022 the job store used to be a 0644 file in a 0755 directory, so
another local user could read every submitted trajectory (issue 25, item 1).
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import reasoningbank
from reasoningbank.server.jobs import WORKER_LOCK, JobStore, JobWorker
from reasoningbank.server.keys import KeyStore
from reasoningbank.server.private import loose_modes
from tests.server.helpers import make_service


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _code_under_test() -> str:
    """An absolute ``PYTHONPATH`` to the package this test imported (a child in another cwd would
    resolve a relative one elsewhere, or to the installed copy)."""
    return str(Path(reasoningbank.__file__).resolve().parents[1])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_dir_and_all_its_files_are_private_under_umask_022(tmp_path: Path, umask_022: None) -> None:
    state = tmp_path / "state"
    jobs, keys = JobStore(state), KeyStore(state)
    worker = JobWorker(jobs, lambda job: {})
    try:
        worker.start()
        keys.create("acme", ["team"])
        jobs.submit("acme", "team", {"n": 1})
        names = sorted(p.name for p in state.iterdir())
        # the WAL sidecars exist while the files are open: SQLite made them, with the main file's mode
        assert {"jobs.db", "jobs.db-wal", "jobs.db-shm", "keys.db", "keys.db-wal", WORKER_LOCK} <= set(names)
        assert _mode(state) == 0o700
        assert {n: _mode(state / n) for n in names} == {n: 0o600 for n in names}
        assert loose_modes(state) == []
    finally:
        worker.stop()
        jobs.close()
        keys.close()


def test_a_looser_state_dir_or_file_is_warned_about_at_start_with_the_chmod_to_run(
    tmp_path: Path, umask_022: None, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    make_service(tmp_path, start=False).close()
    state.chmod(0o755)
    (state / "jobs.db").chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="reasoningbank.server"):
        svc = make_service(tmp_path, start=False)
    try:
        assert len(svc.state_warnings) == 2
        dir_warning, file_warning = svc.state_warnings
        assert str(state) in dir_warning and f"chmod 700 {state}" in dir_warning
        assert str(state / "jobs.db") in file_warning and f"chmod 600 {state / 'jobs.db'}" in file_warning
        assert all(w in caplog.text for w in svc.state_warnings)
        assert _mode(state) == 0o755  # a warning, not a change behind the owner's back
    finally:
        svc.close()


def test_the_mcp_server_says_on_stderr_which_state_path_is_loose(tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o755)
    where = ["--state-dir", str(state), "--store", f"sqlite:///{tmp_path / 'bank.db'}"]
    done = subprocess.run(
        [sys.executable, "-m", "reasoningbank", "mcp", *where, "--embedder", "hash"],
        stdin=subprocess.DEVNULL,  # the agent hangs up at once
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "REASONINGBANK_BLOCK_REAL_CALLS": "1", "PYTHONPATH": _code_under_test()},
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if str(state) in line]
    assert lines == [f"the state directory {state} is mode 755, open to other users: run 'chmod 700 {state}'"]
