"""Learning jobs: on disk before they are acknowledged, run oldest first, re-queued after a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasoningbank.server.jobs import MAX_INTERRUPTIONS, Job, JobFailed, JobStore, JobWorker


def test_a_submitted_job_survives_reopening(tmp_path: Path) -> None:
    jobs = JobStore(tmp_path)
    job = jobs.submit("acme", "team", {"x": "\ud800 lone surrogate"})
    jobs.close()  # nothing flushed by hand: the insert is committed when submit returns
    again = JobStore(tmp_path)
    found = again.get(job.id)
    assert found is not None and found.status == "accepted" and found.request == job.request
    assert again.pending(tenant="acme") == 1 and again.pending(tenant="other") == 0
    again.close()


def test_claim_takes_the_oldest_and_a_restart_spends_no_attempt(tmp_path: Path) -> None:
    jobs = JobStore(tmp_path)
    first, second = jobs.submit("a", "b", {"n": 1}), jobs.submit("a", "b", {"n": 2})
    claimed = jobs.claim()
    assert claimed is not None and claimed.id == first.id and claimed.attempts == 0
    assert claimed.status == "running"
    assert jobs.requeue_interrupted() == 1  # what a restart does
    again = jobs.claim()
    assert again is not None and again.id == first.id
    assert again.attempts == 0 and again.interruptions == 1
    jobs.finish(first.id, {"ok": True})
    nxt = jobs.claim()
    assert nxt is not None and nxt.id == second.id
    jobs.fail(second.id, "boom")
    assert jobs.claim() is None
    assert jobs.counts("b") == {"accepted": 0, "running": 0, "done": 1, "failed": 1}
    done = jobs.get(first.id)
    assert done is not None and done.result == {"ok": True} and done.finished
    assert done.attempts == 1 and done.interruptions == 1 and done.request is None
    jobs.close()


def test_only_a_run_that_ends_in_the_jobs_own_code_spends_an_attempt(tmp_path: Path) -> None:
    jobs = JobStore(tmp_path)
    worker = JobWorker(jobs, lambda job: {"n": 1} if job.request == {"ok": True} else {}[0])
    good, bad = jobs.submit("a", "b", {"ok": True}), jobs.submit("a", "b", {"ok": False})
    for _ in range(6):  # six restarts storm in while the first job runs: none is its fault
        assert jobs.claim() is not None
        jobs.requeue_interrupted()
    for _ in range(2):
        claimed = jobs.claim()
        assert claimed is not None
        worker.run_one(claimed)
    ended = {j.id: jobs.get(j.id) for j in (good, bad)}
    assert ended[good.id] is not None and ended[good.id].status == "done"  # type: ignore[union-attr]
    assert (ended[good.id].attempts, ended[good.id].interruptions) == (1, 6)  # type: ignore[union-attr]
    assert ended[bad.id] is not None and ended[bad.id].status == "failed"  # type: ignore[union-attr]
    assert (ended[bad.id].attempts, ended[bad.id].interruptions) == (1, 0)  # type: ignore[union-attr]
    jobs.close()


def test_the_worker_records_results_and_failures_and_gives_up_on_crash_loops(tmp_path: Path) -> None:
    jobs = JobStore(tmp_path)

    def run(job: Job) -> dict[str, Any]:
        if job.request.get("fail"):
            raise JobFailed("the trajectory was bad")
        if job.request.get("bug"):
            raise KeyError("oops")
        return {"n": job.request["n"]}

    worker = JobWorker(jobs, run)
    ok, bad, buggy, looping = (
        jobs.submit("a", "b", r) for r in ({"n": 1}, {"fail": True}, {"bug": True}, {"n": 3})
    )
    for _ in range(3):
        claimed = jobs.claim()
        assert claimed is not None
        worker.run_one(claimed)
    for _ in range(MAX_INTERRUPTIONS):  # the service died while running it, again and again
        assert jobs.claim() is not None
        jobs.requeue_interrupted()
    claimed = jobs.claim()
    assert claimed is not None and claimed.interruptions == MAX_INTERRUPTIONS
    worker.run_one(claimed)
    results = {j.id: jobs.get(j.id) for j in (ok, bad, buggy, looping)}
    assert results[ok.id].result == {"n": 1}  # type: ignore[union-attr]
    assert results[bad.id].error == "the trajectory was bad"  # type: ignore[union-attr]
    assert results[buggy.id].error == "unexpected error: 'oops'"  # type: ignore[union-attr]
    assert results[looping.id].status == "failed"  # type: ignore[union-attr]
    assert "given up" in results[looping.id].error  # type: ignore[union-attr]
    assert results[looping.id].attempts == 0  # type: ignore[union-attr]
    jobs.close()
