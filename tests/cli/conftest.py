"""The ``env`` fixture of the CLI tests: a SQLite store in tmp, a hash embedder and a scripted LLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoningbank.bank import ReasoningBank
from reasoningbank.cli import common
from reasoningbank.config import BankConfig
from reasoningbank.embed import make_embedder
from reasoningbank.llm import LLM
from reasoningbank.stores import open_store
from tests.cli.helpers import Env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    db = tmp_path / "bank.db"
    e = Env(tmp=tmp_path, db=db)
    monkeypatch.setenv("REASONINGBANK_STORE", f"sqlite:///{db}")
    monkeypatch.delenv("REASONINGBANK_MODEL", raising=False)
    monkeypatch.delenv("REASONINGBANK_API_BASE", raising=False)

    def fake_build(cfg: BankConfig, *, llm: LLM | None = None) -> ReasoningBank:
        e.built.append(cfg)
        return ReasoningBank.from_preset(
            open_store(cfg.store),
            make_embedder(cfg.embedder),
            llm or e.llm,
            cfg.resolved_preset(),
            scope=cfg.scope,
        )

    monkeypatch.setattr(common, "build_bank", fake_build)
    return e
