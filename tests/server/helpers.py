"""Helpers of the service tests: a service on SQLite with the hash embedder and a scripted LLM."""

from __future__ import annotations

import time
from pathlib import Path

from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Step, Trajectory
from reasoningbank.server import MemoryService, Principal
from reasoningbank.server.factory import bank_factory
from reasoningbank.server.schemas import JobView
from reasoningbank.stores import SQLiteStore, open_store
from reasoningbank.testing.fakes import HashEmbedder


def md(*titles: str) -> str:
    """A Markdown extraction answer with one memory item per title."""
    return "\n\n".join(
        f"# Memory Item {i}\n## Title {t}\n## Description When {t}\n## Content Always {t} first."
        for i, t in enumerate(titles, start=1)
    )


def scripted() -> ScriptedLLM:
    """Judges every trajectory a success and extracts two items named after its query's first word."""

    def answer(messages: object) -> str:
        text = str(messages)
        if "Status" in text and "Memory Item" not in text:
            return 'Thoughts: done.\nStatus: "success"'
        return md("check the form", "submit last")

    return ScriptedLLM(default=answer)


def make_service(
    tmp: Path, llm: ScriptedLLM | None = None, *, start: bool = True, store: str | None = None
) -> MemoryService:
    """A service on ``store`` (a store URL; default a SQLite file in ``tmp``) with its state in ``tmp``."""
    llm = llm or scripted()
    factory = bank_factory(HashEmbedder(), "paper", judge_llm=llm, extractor_llm=llm)
    opened = open_store(store) if store else SQLiteStore(tmp / "bank.db")
    svc = MemoryService(opened, factory, tmp / "state", poll_seconds=0.05)
    if start:
        svc.start()
    return svc


def trajectory(task_id: str = "t1", query: str = "buy a red shirt on the shop") -> Trajectory:
    return Trajectory(task_id=task_id, query=query, steps=[Step(thought="find it", action="click(1)")])


def wait_job(svc: MemoryService, principal: Principal, job_id: str, timeout: float = 20.0) -> JobView:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = svc.job(principal, job_id)
        if job.status in ("done", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")
