"""The whole secrets corpus, sent every way into a bank by a hostile model, leaves 0 copies behind.

Issue 25's bar: the corpus (:mod:`reasoningbank.testing.secrets_corpus`: the shapes
covered, the ten that used to pass, typed values) leaves no copy in the bank file, the
job store, exports, logs and rendered prompts. The model here is hostile: the judge
quotes the secrets back and the extractor writes them into its lessons, so what is
checked is the redaction of everything a model sends or a store keeps, not a polite
model's silence. Every way in: ``learn`` (library and the service's job queue), ``add``
and import of an export written elsewhere.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.models import MemoryItem, Step, Trajectory
from reasoningbank.server import Principal
from reasoningbank.server.jobs import JOBS_FILE
from reasoningbank.server.schemas import LearnRequest
from reasoningbank.stores import InMemoryStore, SQLiteStore
from reasoningbank.stores.exchange import export_jsonl
from reasoningbank.testing.secrets_corpus import CORPUS, Case, all_secrets
from reasoningbank.testing.store_samples import make_experience
from tests.server.helpers import make_service, wait_job

SECRETS = all_secrets()


def _leaks(texts: Iterable[str | bytes]) -> list[str]:
    """The corpus values found in ``texts``."""
    blob = "\n".join(t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in texts)
    return [s for s in SECRETS if s in blob]


def _files(directory: Path, prefix: str) -> list[bytes]:
    """The raw bytes of ``prefix`` and its sidecars (``-wal``, ``-shm``) in ``directory``."""
    return [p.read_bytes() for p in sorted(directory.glob(f"{prefix}*")) if p.is_file()]


def _trajectory(n: int, case: Case) -> Trajectory:
    """The case's text as the task, what the agent read, what it typed and its answer."""
    typed = " ".join(f'type [{i}] "{s}"' for i, s in enumerate(case.secrets, start=3))
    return Trajectory(
        task_id=f"leak-{n}",
        query=f"Deploy service {n}. {case.text}",
        steps=[
            Step(thought="read the settings", action="cat settings", observation=case.text),
            Step(thought="enter them", action=typed or "submit"),
        ],
        final_answer=f"done with {case.text}",
        meta={"env": case.text},
    )


def _hostile(messages: Sequence[Message]) -> str:
    """A judge that quotes the prompt back, an extractor that copies it into the lesson."""
    text = "\n".join(m["content"] for m in messages)
    if 'Status: "success" or "failure"' in text:
        return f'Thoughts: it worked; I saw {text[-2000:]}\nStatus: "success"'
    return (
        "# Memory Item 1\n## Title Deploy with the settings\n## Description When deploying.\n"
        f"## Content Use exactly these settings: {text[-3000:]}"
    )


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_learn_add_export_and_prompts_hold_no_copy(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    llm = ScriptedLLM(default=_hostile)
    bank = ReasoningBank.from_preset(SQLiteStore(tmp_path / "bank.db"), HashEmbedder(), llm, "paper")
    for n, case in enumerate(CORPUS):
        bank.learn(_trajectory(n, case))
        bank.add_item(f"Settings {n}", f"Keep these: {case.text}", query=case.text)
    assert len(llm.calls) == 2 * len(CORPUS)
    assert _leaks(m["content"] for call in llm.calls for m in call.messages) == []
    blocks = [bank.render(bank.retrieve(f"Deploy service {n}. {case.text}")) for n, case in enumerate(CORPUS)]
    assert all(blocks) and _leaks(blocks) == []  # later prompts
    assert export_jsonl(bank.store, "default", tmp_path / "export.jsonl") == 2 * len(CORPUS)
    assert _leaks([(tmp_path / "export.jsonl").read_bytes()]) == []
    bank.close()
    assert _leaks(_files(tmp_path, "bank.db")) == []
    assert _leaks([logs.text]) == []


def test_an_import_of_a_leaky_export_stores_no_copy(tmp_path: Path) -> None:
    """An export written by another tool (or an older version) holds the secrets in the clear."""
    elsewhere = InMemoryStore()
    for n, case in enumerate(CORPUS):
        exp = make_experience(n, scope="default", items=0).model_copy(
            update={"query": case.text, "trajectory": _trajectory(n, case)}
        )
        item = MemoryItem(title=f"Settings {n}", content=case.text, experience_id=exp.id)
        elsewhere.add(exp.model_copy(update={"items": [item]}))
    export_jsonl(elsewhere, "default", tmp_path / "leaky.jsonl")
    assert _leaks([(tmp_path / "leaky.jsonl").read_bytes()]) == list(SECRETS)  # every value in the clear
    bank = ReasoningBank.from_preset(
        SQLiteStore(tmp_path / "bank.db"), HashEmbedder(), ScriptedLLM(default=_hostile), "paper"
    )
    result = bank.import_jsonl(tmp_path / "leaky.jsonl")
    assert result.imported == len(CORPUS) and sum(result.redactions.values()) >= len(SECRETS)
    assert _leaks(bank.render(bank.retrieve(case.text)) for case in CORPUS) == []
    bank.close()
    assert _leaks(_files(tmp_path, "bank.db")) == []


def test_the_job_store_holds_no_copy_queued_or_ended(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    svc = make_service(tmp_path, ScriptedLLM(default=_hostile), start=False)
    try:
        _, token = svc.keys.create("acme", ["team"])
        who = svc.authenticate(token)
        assert isinstance(who, Principal)
        jobs = [
            svc.submit_learn(who, "team", LearnRequest(trajectory=_trajectory(n, c)))
            for n, c in enumerate(CORPUS)
        ]
        state = tmp_path / "state"
        assert _leaks(_files(state, JOBS_FILE)) == []  # queued: the requests are there, redacted
        svc.start()
        ended = [wait_job(svc, who, job.id, timeout=120) for job in jobs]
        assert [j.status for j in ended] == ["done"] * len(CORPUS)
        assert _leaks(j.model_dump_json() for j in ended) == []  # what the caller reads back
    finally:
        svc.close()
    with sqlite3.connect(tmp_path / "state" / JOBS_FILE) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _leaks(_files(tmp_path / "state", JOBS_FILE)) == []
    assert _leaks(_files(tmp_path, "bank.db")) == []
    assert _leaks([logs.text]) == []
