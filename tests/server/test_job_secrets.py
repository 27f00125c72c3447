"""A job row never holds a secret of its request, and holds no request at all once the job ended.

The job store kept every submitted trajectory verbatim for 30 days after the
job was done (issue 25, item 1). The request is now redacted with the bank's
own redactor before its row is written, and dropped when the job ends; a
migration drops the requests of jobs that had ended in older files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reasoningbank.models import Step, Trajectory
from reasoningbank.server import MemoryService, Principal
from reasoningbank.server.jobs import JOBS_FILE, JobStore
from reasoningbank.server.schemas import LearnRequest
from tests.server.helpers import make_service, wait_job

GITHUB_TOKEN = "ghp_" + "a" * 36
PASSWORD = "hunter" + "2"
SECRETS = (GITHUB_TOKEN, PASSWORD)
MARKER = "zebra-unique-task-words"


def _raw_state(state: Path) -> bytes:
    """Every byte of the job store's files: the database and its WAL and shared-memory sidecars."""
    return b"".join(p.read_bytes() for p in sorted(state.glob(f"{JOBS_FILE}*")))


def _principal(svc: MemoryService) -> Principal:
    _, token = svc.keys.create("acme", ["team"])
    found = svc.authenticate(token)
    assert found is not None
    return found


def _leaky() -> Trajectory:
    return Trajectory(
        task_id="t1",
        query=f"{MARKER}: push the fix with password={PASSWORD}",
        steps=[
            Step(thought="use the token", action=f"export GITHUB_TOKEN={GITHUB_TOKEN}"),
            Step(action="git push", observation=f"remote: using token {GITHUB_TOKEN}"),
        ],
        final_answer=f"pushed; password={PASSWORD}",
    )


def test_a_queued_job_holds_no_secret_on_disk(tmp_path: Path) -> None:
    svc = make_service(tmp_path, start=False)  # no worker: the job stays queued
    try:
        who = _principal(svc)
        job = svc.submit_learn(who, "team", LearnRequest(trajectory=_leaky()))
        raw = _raw_state(tmp_path / "state")
        assert MARKER.encode() in raw  # the request is there, redacted
        assert [s for s in SECRETS if s.encode() in raw] == []
        stored = svc.jobs.get(job.id)
        assert stored is not None and stored.request is not None
        assert "[REDACTED:" in stored.request["trajectory"]["query"]
    finally:
        svc.close()


def test_an_ended_job_keeps_its_result_but_not_its_request(tmp_path: Path) -> None:
    svc = make_service(tmp_path)
    try:
        who = _principal(svc)
        done = wait_job(svc, who, svc.submit_learn(who, "team", LearnRequest(trajectory=_leaky())).id)
        assert done.status == "done" and done.result is not None and done.result.items
        assert "redacted" in done.result.note  # the caller still hears that secrets were taken out
        stored = svc.jobs.get(done.id)
        assert stored is not None and stored.request is None and stored.result is not None
        with sqlite3.connect(tmp_path / "state" / JOBS_FILE) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = _raw_state(tmp_path / "state")
        assert [s for s in SECRETS if s.encode() in raw] == []
        assert MARKER.encode() not in raw  # the trajectory left the file, not just the API
    finally:
        svc.close()


def test_opening_an_old_job_file_drops_the_requests_of_ended_jobs(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / JOBS_FILE)
    old.executescript(
        "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
        "tenant TEXT NOT NULL, bank TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
        "request TEXT NOT NULL, result TEXT, error TEXT NOT NULL DEFAULT '', "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
        "CREATE INDEX jobs_status ON jobs (status, seq);"
        "CREATE INDEX jobs_bank ON jobs (bank, status);"
        "PRAGMA user_version = 1;"
    )
    rows = [
        ("done1", "done", 1, '{"ok":true}', ""),
        ("fail1", "failed", 4, None, "given up"),
        ("wait1", "accepted", 2, None, ""),
        ("run1", "running", 1, None, ""),
    ]
    for job_id, status, attempts, result, error in rows:
        old.execute(
            "INSERT INTO jobs (id, tenant, bank, status, attempts, request, result, error, created_at, "
            "updated_at) VALUES (?, 'a', 'b', ?, ?, ?, ?, ?, 't', 't')",
            (job_id, status, attempts, f'{{"secret":"{MARKER}-{job_id}"}}', result, error),
        )
    old.commit()
    old.close()
    jobs = JobStore(tmp_path)
    try:
        got = {j: jobs.get(j) for j, *_ in rows}
        assert got["done1"].request is None and got["done1"].result == {"ok": True}  # type: ignore[union-attr]
        assert got["fail1"].request is None and got["fail1"].error == "given up"  # type: ignore[union-attr]
        assert got["wait1"].request == {"secret": f"{MARKER}-wait1"}  # type: ignore[union-attr]
        assert got["run1"].request == {"secret": f"{MARKER}-run1"}  # type: ignore[union-attr]
        # crashes the old version counted as attempts are interruptions now
        assert got["wait1"].attempts == 0 and got["wait1"].interruptions == 2  # type: ignore[union-attr]
        assert jobs.claim() is not None  # the queue still works: the oldest accepted job
    finally:
        jobs.close()
    with sqlite3.connect(tmp_path / JOBS_FILE) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = _raw_state(tmp_path)
    assert f"{MARKER}-done1".encode() not in raw and f"{MARKER}-fail1".encode() not in raw
