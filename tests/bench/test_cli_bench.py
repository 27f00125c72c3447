"""The ``bench miniwob``, ``bench rejudge`` and ``report`` commands, driven with a scripted model."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reasoningbank.bench.envs.miniwob as miniwob_mod
from reasoningbank.bench.rundir import read_records
from reasoningbank.cli import bench as bench_cli
from reasoningbank.cli import main
from reasoningbank.llm import ScriptedLLM
from tests.bench.fakes import FamilyEnv, respond


def test_cli_bench_miniwob_runs_the_stream_with_fakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    llm = ScriptedLLM(default=respond)

    @contextlib.contextmanager
    def fake_llm(args: Any, log_dir: Path) -> Iterator[ScriptedLLM]:
        yield llm

    monkeypatch.setattr(bench_cli, "_llm_for", fake_llm)
    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    run_dir = tmp_path / "cli-run"
    code = main(
        [
            "bench",
            "miniwob",
            "--methods",
            "none,synapse",
            "--tasks",
            "name,city",
            "--episodes",
            "2",
            "--run-dir",
            str(run_dir),
            "--embedder",
            "hash",
            "--preset",
            "paper",
            "--max-steps",
            "3",
            "--include-failures",
            "--no-progress",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| synapse+failures |" in out and "report:" in out
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["methods"] == ["none", "synapse+failures"]
    assert [t["family"] for t in manifest["tasks"]] == ["name", "city", "name", "city"]
    # no --model: the bundled local model's defaults (page after the history, JSON actions)
    assert manifest["agent_kwargs"]["page_last"] is True and manifest["agent_kwargs"]["json_actions"] is True
    later = [c.messages[1]["content"] for c in llm.calls if "# History" in c.messages[1]["content"]]
    assert later and all(u.index("# History") < u.index("# Current page") for u in later)
    recs = read_records(run_dir / "synapse+failures" / "records.jsonl")
    assert [r["memory_size"] for r in recs] == [1, 2, 3, 4]  # failures stored too
    assert (run_dir / "report.md").exists()


def test_cli_bench_miniwob_refuses_a_mismatched_resume_before_starting_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[str] = []

    @contextlib.contextmanager
    def fake_llm(args: Any, log_dir: Path) -> Iterator[ScriptedLLM]:
        started.append(args.run_dir)
        llm = ScriptedLLM(default=respond)
        llm.model = args.local_model  # what the bundled server's client reports
        yield llm

    monkeypatch.setattr(bench_cli, "_llm_for", fake_llm)
    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    run_dir = tmp_path / "cli-run"
    argv = [
        "bench",
        "miniwob",
        "--methods",
        "none",
        "--tasks",
        "name",
        "--episodes",
        "1",
        "--run-dir",
        str(run_dir),
        "--embedder",
        "hash",
        "--no-progress",
    ]
    assert main([*argv, "--max-steps", "3"]) == 0
    before = (run_dir / "run.json").read_text()
    capsys.readouterr()
    assert main([*argv, "--max-steps", "4"]) == 2
    err = capsys.readouterr().err
    assert "refusing to resume" in err and "max_steps" in err and "Traceback" not in err
    assert len(started) == 1  # the model was never started for the refused resume
    assert (run_dir / "run.json").read_text() == before
    # the same settings resume (nothing left to run) and do start the model
    assert main([*argv, "--max-steps", "3"]) == 0
    assert len(started) == 2
