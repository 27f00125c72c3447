"""Import goes through the bank's redactor, like learn and add (issue 25, item 2).

An export written by a bank that redacted less (or by hand) holds four secrets. Imported through
the library, the CLI and the REST route, none of them reaches the bank file (its raw bytes, the
write-ahead log included) or a memory block rendered later, and the import counts them.
The fake secrets are built by concatenation so the source holds nothing a scanner flags.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.embed import HashEmbedder
from reasoningbank.models import EmbeddingRef, Experience, MemoryItem, Step, Trajectory, Verdict
from reasoningbank.stores import SQLiteStore
from tests.cli.helpers import run
from tests.server.helpers import make_service

GITHUB = "ghp_" + "Zx9Y" * 9
OPENAI = "sk-" + "proj-" + "Qw12Er34Ty56Ui78Op90As12"
PASSWORD = "Sw0rdf1sh" + "-and-7"
BEARER = "tok" + "5e4d3c2b1a0f"
SECRETS = (GITHUB, OPENAI, PASSWORD, BEARER)
QUERY = "Deploy the billing service to staging."


def _export(path: Path) -> Path:
    """One experience holding each secret: in its trajectory, its verdict and its item."""
    embedder = HashEmbedder()
    vector = [float(x) for x in embedder.embed_documents([QUERY])[0]]
    exp = Experience(
        task_id="deploy-1",
        query=QUERY,
        query_embedding=EmbeddingRef(model=embedder.name, dim=embedder.dim, vector=vector),
        trajectory=Trajectory(
            task_id="deploy-1",
            query=QUERY,
            steps=[Step(thought=f"export GITHUB_TOKEN={GITHUB}", action=f"login(password={PASSWORD})")],
        ),
        verdict=Verdict(label="success", thoughts=f"it used {OPENAI} and worked"),
        items=[
            MemoryItem(
                title="Authenticate first",
                content=f"Send Authorization: Bearer {BEARER} and use the key {OPENAI} before deploying.",
            )
        ],
    )
    exp.items = [exp.items[0].model_copy(update={"experience_id": exp.id})]
    path.write_text(exp.model_dump_json() + "\n", encoding="utf-8")
    return path


def _assert_no_secret(db: Path, scope: str) -> None:
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))  # the file, -wal, -shm
    assert raw, db
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
    with SQLiteStore(db) as store:
        bank = ReasoningBank(store, HashEmbedder(), scope=scope)
        block = bank.memory_prompt(QUERY)
        assert "Authenticate first" in block and "[REDACTED:" in block
        assert not any(secret in block for secret in SECRETS)


def test_the_library_import_redacts_and_counts(tmp_path: Path) -> None:
    db = tmp_path / "bank.db"
    with ReasoningBank(SQLiteStore(db), HashEmbedder()) as bank:
        result = bank.import_jsonl(_export(tmp_path / "export.jsonl"))
        assert result.imported == 1
        assert sum(result.redactions.values()) >= 5  # four secrets, the key twice
        assert result.note.startswith("redacted ")
        stored = bank.store.list("default")[0]
        assert stored.redactions == result.redactions  # recorded on the experience too
        _assert_no_secret(db, "default")


def test_the_cli_import_redacts_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.db"
    export = _export(tmp_path / "export.jsonl")
    done = run(capsys, "--store", f"sqlite:///{db}", "import", str(export))
    assert done.code == 0, done.out + done.err
    _assert_no_secret(db, "default")
    assert "redacted " in done.out, done.out
    as_json = run(capsys, "--store", f"sqlite:///{db}", "--scope", "other", "import", str(export), "--json")
    assert sum(json.loads(as_json.out)["redactions"].values()) >= 5


def test_the_rest_import_redacts_and_counts(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from reasoningbank.server.rest.app import create_app

    svc = make_service(tmp_path, start=False)
    _, key = svc.keys.create("acme", ["team"])
    with TestClient(create_app(svc)) as client:
        body = _export(tmp_path / "export.jsonl").read_bytes()
        reply = client.post(
            "/v1/banks/team/import",
            content=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"},
        )
        assert reply.status_code == 200, reply.text
    svc.close()
    _assert_no_secret(tmp_path / "bank.db", "team")
    assert reply.json()["imported"] == 1 and sum(reply.json()["redactions"].values()) >= 5
