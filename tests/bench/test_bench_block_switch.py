"""``bench`` honours REASONINGBANK_BLOCK_REAL_CALLS and writes nothing before its model check
passes (issue 25, item 8)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reasoningbank.bench.envs.miniwob.env as miniwob_mod
import reasoningbank.llm.local as local_mod
from reasoningbank.cli import main
from reasoningbank.llm import BLOCK_ENV
from tests.bench.fakes import FAMILIES, FamilyEnv

FAKE_KEY = "sk-" + "fake" + "0" * 20  # built so no scanner mistakes it for a key


def _argv(run_dir: Path, *extra: str) -> list[str]:
    base = ["bench", "miniwob", "--methods", "none", "--tasks", "name", "--episodes", "1"]
    return [*base, "--embedder", "hash", "--no-progress", "--run-dir", str(run_dir), *extra]


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scripted forms instead of the browser; no local server may start (returns those asked)."""
    started: list[str] = []

    @contextlib.contextmanager
    def no_server(name: str, **kwargs: Any) -> Iterator[Any]:
        started.append(name)
        raise AssertionError("the local model server must not start")
        yield  # pragma: no cover

    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    monkeypatch.setattr(miniwob_mod, "MINIWOB_FAMILIES_DEFAULT", tuple(FAMILIES))
    monkeypatch.setattr(local_mod, "local_llm", no_server)
    return started


def test_blocked_hosted_model_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_env: list[str]
) -> None:
    monkeypatch.setenv(BLOCK_ENV, "1")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    run_dir = tmp_path / "run"
    code = main(_argv(run_dir, "--model", "gpt-4.1-mini"))
    err = capsys.readouterr().err
    assert code != 0 and BLOCK_ENV in err and "Traceback" not in err
    assert not run_dir.exists()  # no run dir, no manifest, no log


def test_blocked_local_model_is_refused_before_the_server_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_env: list[str]
) -> None:
    monkeypatch.setenv(BLOCK_ENV, "1")
    run_dir = tmp_path / "run"
    code = main(_argv(run_dir))
    err = capsys.readouterr().err
    assert code != 0 and BLOCK_ENV in err
    assert fake_env == [] and not run_dir.exists()


def test_a_missing_key_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_env: list[str]
) -> None:
    monkeypatch.setenv(BLOCK_ENV, "0")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run_dir = tmp_path / "run"
    code = main(_argv(run_dir, "--model", "gpt-4.1-mini"))
    err = capsys.readouterr().err
    assert code != 0 and "OPENAI_API_KEY" in err and "no call was made" in err
    assert not run_dir.exists()


def test_rejudge_with_a_model_honours_the_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_env: list[str]
) -> None:
    from reasoningbank.llm import ScriptedLLM
    from tests.bench.fakes import respond, run

    run(tmp_path, ScriptedLLM(default=respond), methods=["none"])
    monkeypatch.setenv(BLOCK_ENV, "1")
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    out = tmp_path / "verdicts.jsonl"
    argv = ["bench", "rejudge", str(tmp_path / "run"), "--model", "gpt-4.1-mini", "--out", str(out)]
    code = main([*argv, "--preset", "paper", "--no-progress"])
    err = capsys.readouterr().err
    assert code != 0 and BLOCK_ENV in err and not out.exists()
