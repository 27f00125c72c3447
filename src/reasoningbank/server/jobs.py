"""Durable learning jobs: accepted into SQLite before the caller hears of them, run by one worker thread.

``learn`` calls a judge and an extractor (seconds to minutes with a local
model), so the service answers ``202`` with a job id at once and a worker runs
the job. The job's row (its tenant, bank and the request, its secrets already
redacted by the service) is committed with ``synchronous = FULL`` before the id
is returned, so a crash after the answer cannot lose it. When the job ends
(done or failed) its request is dropped (``NULL``) in the same write that
records the end: the row keeps the id, state, result and error, and finished
rows are forgotten after :data:`KEEP_FINISHED`.

Restarts. When the service starts, jobs left ``running`` by a stop it did not
choose (kill -9, a power cut, a crash) go back to ``accepted`` and run again;
the runner (``service.py``) makes that safe by giving the job's experience an
id derived from the job id and skipping a job whose experience is already
stored. Such an interruption costs the job no attempt: ``attempts`` counts the
runs that ended in the job's own code (it returned, or raised and so failed),
recorded by the worker. A restart only adds one to ``interruptions``. The
first job after a start is slow (the cold start loads the embedder and the
model), so kills a few seconds apart from outside land on it again and again;
an outside kill and a crash the job itself caused (a segfault in a native
library) look the same from here. So a job is given up as poison only after
:data:`MAX_INTERRUPTIONS` interruptions, far more than any restart storm an
operator makes by hand, and few enough that a process-killing job stops a
supervisor's crash loop (with a restart every few seconds, within minutes).

Several processes may share one state dir (two ``reasoningbank mcp`` servers
launched by two agent windows, or one next to ``serve``): all of them accept
jobs, but only one runs them, the one holding an flock on
``<state dir>/worker.lock``. Only that process may re-queue ``running`` jobs,
since only its own could be running; the others stand by and take over when
it ends (the kernel frees the lock of a dead process).

States: ``accepted`` -> ``running`` -> ``done`` | ``failed``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ._db import Database
from .private import private_file

log = logging.getLogger(__name__)

JobStatus = Literal["accepted", "running", "done", "failed"]
JOBS_FILE = "jobs.db"
WORKER_LOCK = "worker.lock"
MAX_INTERRUPTIONS = 20
"""Restarts a job may be running at before it is failed as the likely cause of the crashes."""
KEEP_FINISHED = timedelta(days=30)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
        "tenant TEXT NOT NULL, bank TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
        "request TEXT NOT NULL, result TEXT, error TEXT NOT NULL DEFAULT '', "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX jobs_status ON jobs (status, seq)",
        "CREATE INDEX jobs_bank ON jobs (bank, status)",
    ),
    (  # 2: interruptions apart from attempts; the request nullable, dropped from ended jobs
        "CREATE TABLE jobs_v2 (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
        "tenant TEXT NOT NULL, bank TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
        "interruptions INTEGER NOT NULL DEFAULT 0, request TEXT, result TEXT, "
        "error TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        # version 1 counted every claim as an attempt: all but an ended job's last run were
        # interrupted, and an accepted job's every claim was
        "INSERT INTO jobs_v2 (seq, id, tenant, bank, status, attempts, interruptions, request, result, "
        "error, created_at, updated_at) SELECT seq, id, tenant, bank, status, "
        "CASE WHEN status IN ('done', 'failed') THEN MIN(attempts, 1) ELSE 0 END, "
        "CASE WHEN status = 'accepted' THEN attempts ELSE MAX(attempts - 1, 0) END, "
        "CASE WHEN status IN ('done', 'failed') THEN NULL ELSE request END, "
        "result, error, created_at, updated_at FROM jobs",
        "DROP TABLE jobs",
        "ALTER TABLE jobs_v2 RENAME TO jobs",
        "CREATE INDEX jobs_status ON jobs (status, seq)",
        "CREATE INDEX jobs_bank ON jobs (bank, status)",
    ),
)
_COLS = "id, tenant, bank, status, attempts, interruptions, request, result, error, created_at, updated_at"


@dataclass(frozen=True)
class Job:
    id: str
    tenant: str
    bank: str
    status: JobStatus
    attempts: int
    """Runs that ended in the job's own code (it returned or raised); a restart spends none."""
    interruptions: int
    """Runs a stop of the process cut short (the job went back to the queue)."""
    request: dict[str, Any] | None
    """What to learn; None once the job has ended (dropped, with whatever it held)."""
    result: dict[str, Any] | None
    error: str
    created_at: str
    updated_at: str

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dumps(obj: Any) -> str:
    # ensure_ascii: text from the wire may hold lone surrogates, which only an ASCII escape can carry
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"))


def _job(row: sqlite3.Row | tuple[Any, ...]) -> Job:
    return Job(
        id=row[0],
        tenant=row[1],
        bank=row[2],
        status=row[3],
        attempts=int(row[4]),
        interruptions=int(row[5]),
        request=json.loads(row[6]) if row[6] is not None else None,
        result=json.loads(row[7]) if row[7] is not None else None,
        error=row[8],
        created_at=row[9],
        updated_at=row[10],
    )


class JobFailed(Exception):
    """A job ended with an error its runner expected (a model call failed, no model configured):
    recorded with its message, logged without a traceback."""


class JobStore:
    """The jobs of one service, in ``<state dir>/jobs.db``."""

    def __init__(self, state_dir: str | Path) -> None:
        self.db = Database(Path(state_dir) / JOBS_FILE, _MIGRATIONS)

    def submit(self, tenant: str, bank: str, request: dict[str, Any]) -> Job:
        """Store a new accepted job; it is on disk when this returns. The caller redacts ``request``:
        it is stored as given until the job ends."""
        job_id, now = secrets.token_hex(16), _now()
        with self.db.write() as conn:
            conn.execute(
                f"INSERT INTO jobs ({_COLS}) VALUES (?, ?, ?, 'accepted', 0, 0, ?, NULL, '', ?, ?)",
                (job_id, tenant, bank, _dumps(request), now, now),
            )
        return Job(job_id, tenant, bank, "accepted", 0, 0, request, None, "", now, now)

    def get(self, job_id: str) -> Job | None:
        row = self.db.conn().execute(f"SELECT {_COLS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def claim(self) -> Job | None:
        """The oldest accepted job, now running; None when there is none."""
        with self.db.write() as conn:
            row = conn.execute(
                f"SELECT {_COLS} FROM jobs WHERE status = 'accepted' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE jobs SET status = 'running', updated_at = ? WHERE id = ?", (_now(), row[0]))
        return Job(**{**_job(row).__dict__, "status": "running"})

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        """Record that the job's run returned ``result`` (an attempt spent); its request is dropped."""
        self._end(job_id, "done", _dumps(result), "", ran=True)

    def fail(self, job_id: str, error: str, *, ran: bool = True) -> None:
        """Record that the job failed with ``error``; its request is dropped. ``ran``: its own code
        raised (an attempt spent), rather than the service giving up on it before running it."""
        self._end(job_id, "failed", None, error, ran=ran)

    def _end(self, job_id: str, status: JobStatus, result: str | None, error: str, *, ran: bool) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?, request = NULL, "
                "attempts = attempts + ?, updated_at = ? WHERE id = ?",
                (status, result, error, int(ran), _now(), job_id),
            )

    def requeue_interrupted(self) -> int:
        """Put jobs a stop left ``running`` back in the queue, one interruption more (no attempt
        spent); returns how many."""
        with self.db.write() as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'accepted', interruptions = interruptions + 1, updated_at = ? "
                "WHERE status = 'running'",
                (_now(),),
            )
            return int(cur.rowcount)

    def pending(self, *, tenant: str | None = None, bank: str | None = None) -> int:
        """Jobs accepted or running (of one tenant, or one bank)."""
        sql = "SELECT COUNT(*) FROM jobs WHERE status IN ('accepted', 'running')"
        args: list[str] = []
        for col, value in (("tenant", tenant), ("bank", bank)):
            if value is not None:
                sql += f" AND {col} = ?"
                args.append(value)
        return int(self.db.conn().execute(sql, args).fetchone()[0])

    def counts(self, bank: str) -> dict[str, int]:
        """How many jobs of ``bank`` are in each state."""
        rows = (
            self.db.conn()
            .execute("SELECT status, COUNT(*) FROM jobs WHERE bank = ? GROUP BY status", (bank,))
            .fetchall()
        )
        found = {str(s): int(n) for s, n in rows}
        return {s: found.get(s, 0) for s in ("accepted", "running", "done", "failed")}

    def prune(self, keep: timedelta = KEEP_FINISHED) -> int:
        """Forget finished jobs older than ``keep``; returns how many."""
        cutoff = (datetime.now(UTC) - keep).isoformat(timespec="milliseconds")
        with self.db.write() as conn:
            cur = conn.execute(
                "DELETE FROM jobs WHERE status IN ('done', 'failed') AND updated_at < ?", (cutoff,)
            )
            return int(cur.rowcount)

    def close(self) -> None:
        self.db.close()


class JobWorker:
    """One thread running accepted jobs, oldest first, with ``run(job) -> result``.

    ``run`` raising fails the job with the exception's text; the thread never
    dies of a job. ``notify`` wakes it at once after a submit; it also polls.
    """

    def __init__(
        self,
        jobs: JobStore,
        run: Callable[[Job], dict[str, Any]],
        *,
        poll_seconds: float = 1.0,
        max_interruptions: int = MAX_INTERRUPTIONS,
    ) -> None:
        self.jobs = jobs
        self.run = run
        self.poll_seconds = poll_seconds
        self.max_interruptions = max_interruptions
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None

    def start(self) -> int:
        """Start the thread; returns how many jobs a crash had interrupted (re-queued now), 0 when
        another process runs this state dir's jobs (the thread then stands by to take over)."""
        requeued = self._take_over() or 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="reasoningbank-jobs", daemon=True)
        self._thread.start()
        return requeued

    def _take_over(self) -> int | None:
        """Become the one process running the state dir's jobs, if no live process is: then every
        ``running`` job was interrupted, so re-queue them and prune. None while another holds it."""
        if self._lock_fd is not None:
            return 0
        fd = private_file(self.jobs.db.path.parent / WORKER_LOCK)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        self._lock_fd = fd
        requeued = self.jobs.requeue_interrupted()
        self.jobs.prune()
        return requeued

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # frees the flock: a standby process takes over
            self._lock_fd = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the job being run (it is re-queued at the next start if the wait times out)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # still running a job: keep the lock until the process ends
                return
        self._release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.jobs.claim() if self._take_over() is not None else None
            except Exception:  # a state-file error: log, wait, retry rather than die
                log.exception("could not read the job queue")
                job = None
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            try:
                self.run_one(job)
            except Exception:  # recording the end failed: the job stays running, re-queued at restart
                log.exception("could not record how job %s ended", job.id)

    def run_one(self, job: Job) -> None:
        """Run one claimed job and record how it ended."""
        if job.interruptions >= self.max_interruptions:
            self.jobs.fail(
                job.id,
                f"the service stopped {job.interruptions} times while running this job (killed, or "
                "crashed by it); given up",
                ran=False,
            )
            return
        try:
            result = self.run(job)
        except JobFailed as exc:
            log.warning("job %s (bank %r) failed: %s", job.id, job.bank, exc)
            self.jobs.fail(job.id, str(exc))
        except Exception as exc:
            log.exception("job %s (bank %r) failed unexpectedly", job.id, job.bank)
            self.jobs.fail(job.id, f"unexpected error: {exc or type(exc).__name__}")
        else:
            self.jobs.finish(job.id, result)
