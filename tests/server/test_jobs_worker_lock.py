"""Several processes on one state dir: every one accepts jobs, one runs them, and only it re-queues.

Two ``reasoningbank mcp`` servers launched by two agent windows share a state
dir. Before the worker lock, the second one's start re-queued the job the
first was running, and both learned it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reasoningbank.server.jobs import WORKER_LOCK, Job, JobStore, JobWorker


def _until(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def _status(jobs: JobStore, job_id: str) -> str:
    found = jobs.get(job_id)
    assert found is not None
    return found.status


def test_a_second_worker_stands_by_and_takes_over_when_the_first_stops(tmp_path: Path) -> None:
    release = threading.Event()
    ran: list[tuple[str, str]] = []

    def runner(name: str) -> Callable[[Job], dict[str, Any]]:
        def run(job: Job) -> dict[str, Any]:
            ran.append((name, job.request["n"]))
            if job.request["n"] == "a":
                release.wait(20)
            return {}

        return run

    first_jobs, second_jobs = JobStore(tmp_path), JobStore(tmp_path)
    first = JobWorker(first_jobs, runner("first"), poll_seconds=0.05)
    second = JobWorker(second_jobs, runner("second"), poll_seconds=0.05)
    try:
        a = first_jobs.submit("t", "b", {"n": "a"})
        first.start()
        _until(lambda: _status(first_jobs, a.id) == "running")
        assert second.start() == 0  # did not re-queue the job the first is running
        b = second_jobs.submit("t", "b", {"n": "b"})  # accepted here, run by the first
        time.sleep(0.3)
        assert _status(second_jobs, a.id) == "running" and _status(second_jobs, b.id) == "accepted"
        release.set()
        _until(lambda: _status(second_jobs, b.id) == "done")
        first.stop()
        c = second_jobs.submit("t", "b", {"n": "c"})
        _until(lambda: _status(second_jobs, c.id) == "done")
        assert ran == [("first", "a"), ("first", "b"), ("second", "c")]
    finally:
        release.set()
        first.stop()
        second.stop()
        first_jobs.close()
        second_jobs.close()


def test_a_killed_holder_frees_the_lock_and_its_running_job_is_run_again(tmp_path: Path) -> None:
    jobs = JobStore(tmp_path)
    job = jobs.submit("t", "b", {"n": "x"})
    assert jobs.claim() is not None  # the job the killed process was running
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)\n",
            str(tmp_path / WORKER_LOCK),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    ran: list[str] = []
    worker = JobWorker(jobs, lambda j: ran.append(j.id) or {}, poll_seconds=0.05)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert worker.start() == 0
        time.sleep(0.3)
        assert _status(jobs, job.id) == "running" and ran == []
        holder.kill()
        holder.wait(10)
        _until(lambda: _status(jobs, job.id) == "done")
        assert ran == [job.id]
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        worker.stop()
        jobs.close()
