"""Re-judging a recorded run's episodes (scripted run, scripted judge)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.bench.judge_report import summary_table
from reasoningbank.bench.rejudge import load_episodes, rejudge
from reasoningbank.bench.rundir import read_records
from reasoningbank.cli import bench_llm, main
from reasoningbank.judge import LLMJudge
from reasoningbank.llm import Message, ScriptedLLM
from tests.bench.fakes import TASKS, respond, run


def always(label: str) -> ScriptedLLM:
    def reply(messages: Sequence[Message]) -> str:
        assert "HIDDEN" not in str(messages) and "raw_reward" not in str(messages)
        return f"Thoughts: scripted.\nStatus: {label}"

    return ScriptedLLM(default=reply)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run(tmp_path, ScriptedLLM(default=respond), methods=["none", "synapse", "reasoningbank"])
    return tmp_path / "run"


def test_every_episode_is_saved_without_its_score(run_dir: Path) -> None:
    for m in ("none", "synapse", "reasoningbank"):
        lines = read_records(run_dir / m / "trajectories.jsonl")
        assert [ln["task_id"] for ln in lines] == [t.task_id for t in TASKS]
        assert all("reward" not in json.dumps(ln["trajectory"]) for ln in lines)
    assert read_records(run_dir / "none" / "trajectories.jsonl")[0]["judge"] is None
    first = read_records(run_dir / "synapse" / "trajectories.jsonl")[0]
    assert first["judge"]["label"] in ("success", "failure")


def test_rejudge_compares_with_the_benchmark_and_the_recorded_judge(run_dir: Path) -> None:
    episodes = load_episodes(run_dir)
    assert len(episodes) == 3 * len(TASKS)
    rb = [e for e in episodes if e.method == "reasoningbank"]
    # families: name = right (TP for the run's judge), city = wrong (TN), zip = right but judged failure (FN)
    assert [e.success for e in rb] == [True, False, True] * 2
    assert [e.recorded_label for e in rb] == ["success", "failure", "failure"] * 2
    out = run_dir / "verdicts.jsonl"
    results = rejudge(rb, LLMJudge(always("success")), out_path=out)
    assert [r.label for r in results] == ["success"] * 6
    table = summary_table(results, "always-success", 0.0)
    assert "| recorded (the run's judge) | 6 | 0.0% | 2 | 0 | 2 | 2 | 66.7% | 100.0% | 50.0% | – |" in table
    assert "| always-success @ 0 | 6 | 0.0% | 4 | 2 | 0 | 0 | 66.7% | 66.7% | 100.0% | – |" in table
    lines = read_records(out)
    assert len(lines) == 6 and lines[0]["recorded_label"] == "success" and lines[0]["label"] == "success"


def test_runs_without_trajectory_files_fall_back_to_the_banks(run_dir: Path) -> None:
    for m in ("none", "synapse", "reasoningbank"):
        (run_dir / m / "trajectories.jsonl").unlink()
    episodes = load_episodes(run_dir)
    by_method: dict[str, list[Any]] = {}
    for e in episodes:
        by_method.setdefault(e.method, []).append(e)
    assert "none" not in by_method  # no bank, nothing to replay
    assert len(by_method["reasoningbank"]) == 6  # learns from every episode
    assert all(e.recorded_label == "success" for e in by_method["synapse"])  # keeps judged successes only


def test_cli_rejudge(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    llm = always("failure")

    @contextlib.contextmanager
    def fake_llm(args: Any, log_dir: Path, log_name: str = "") -> Iterator[ScriptedLLM]:
        yield llm

    monkeypatch.setattr(bench_llm, "llm_for", fake_llm)
    argv = ["bench", "rejudge", str(run_dir), "--methods", "reasoningbank", "--families", "name", "--json"]
    assert (
        main([*argv, "--judge", "llm", "--confidence", "none", "--threshold", "0", "--temperature", "0.2"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["rejudged"]["episodes"] == 2 and out["rejudged"]["fn"] == 2 and out["recorded"]["tp"] == 2
    assert out["setting"] == "paper-t0.2-max400" and Path(out["verdicts"]).exists()
    assert all(c.temperature == 0.2 and c.max_tokens == 400 for c in llm.calls)
    args = ["bench", "rejudge", str(run_dir), "--limit", "1", "--judge", "llm", "--confidence", "none"]
    args += ["--threshold", "0"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "| recorded (the run's judge) | 0 | – |" in text  # the first episode is none's: unjudged
    assert "| paper-t0-max400 @ 0 | 1 |" in text
    assert main(["bench", "rejudge", str(run_dir), "--families", "nope"]) == 2
    assert "no recorded episode" in capsys.readouterr().err


def test_cli_rejudge_evidence_rules_need_no_model(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextlib.contextmanager
    def no_model(args: Any, log_dir: Path) -> Iterator[ScriptedLLM]:
        raise AssertionError("the rules-only evidence judge must not start a model")
        yield ScriptedLLM()

    monkeypatch.setattr(bench_llm, "llm_for", no_model)
    argv = ["bench", "rejudge", str(run_dir), "--methods", "reasoningbank", "--judge", "evidence"]
    assert main([*argv, "--confidence", "none", "--threshold", "0.8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["setting"] == "evidence-none" and out["threshold"] == 0.8
    assert out["rejudged"]["episodes"] == 6 and set(out["sweep"]) == {
        "0.5",
        "0.6",
        "0.7",
        "0.8",
        "0.9",
        "0.95",
    }
    assert main([*argv, "--confidence", "none"]) == 0
    text = capsys.readouterr().out
    assert "Thresholds:" in text and "Reliability:" in text and "| rules |" in text
