"""The ``bench miniwob``, ``bench rejudge`` and ``report`` commands, driven with a scripted model."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reasoningbank.bench.envs.miniwob.env as miniwob_mod
from reasoningbank.bench.rundir import read_records
from reasoningbank.cli import bench as bench_cli
from reasoningbank.cli import bench_llm, bench_review, main
from reasoningbank.llm import ScriptedLLM
from tests.bench.fakes import FAMILIES, FamilyEnv, respond, run


def test_cli_bench_miniwob_runs_the_stream_with_fakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    llm = ScriptedLLM(default=respond)

    @contextlib.contextmanager
    def fake_llm(args: Any, log_dir: Path, log_name: str = "") -> Iterator[ScriptedLLM]:
        yield llm

    monkeypatch.setattr(bench_llm, "llm_for", fake_llm)
    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    monkeypatch.setattr(miniwob_mod, "MINIWOB_FAMILIES_DEFAULT", tuple(FAMILIES))
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
    assert "What this run can show: 4 tasks per method." in out  # the main job says what it cannot show
    assert "4 paired tasks cannot show a difference at all" in out
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
    def fake_llm(args: Any, log_dir: Path, log_name: str = "") -> Iterator[ScriptedLLM]:
        started.append(args.run_dir)
        llm = ScriptedLLM(default=respond)
        llm.model = args.local_model  # what the bundled server's client reports
        yield llm

    monkeypatch.setattr(bench_llm, "llm_for", fake_llm)
    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    monkeypatch.setattr(miniwob_mod, "MINIWOB_FAMILIES_DEFAULT", tuple(FAMILIES))
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


def _fake_model(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the model server and the browser; returns the run dirs a model was started for."""
    started: list[str] = []

    @contextlib.contextmanager
    def fake_llm(args: Any, log_dir: Path, log_name: str = "") -> Iterator[ScriptedLLM]:
        started.append(args.run_dir)
        llm = ScriptedLLM(default=respond)
        llm.model = args.local_model
        yield llm

    monkeypatch.setattr(bench_llm, "llm_for", fake_llm)
    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    monkeypatch.setattr(miniwob_mod, "MINIWOB_FAMILIES_DEFAULT", tuple(FAMILIES))
    return started


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--tasks", "name,not-a-task", "unknown task family 'not-a-task'; supported: name, city, zip"),
        ("--methods", "none,mem", "unknown method 'mem'"),
        ("--episodes", "0", "episodes_per_family must be at least 1"),
        ("--tasks", "name,name", "task families are repeated"),
    ],
)
def test_cli_bench_miniwob_checks_everything_before_starting_or_writing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    message: str,
) -> None:
    started = _fake_model(monkeypatch)
    run_dir = tmp_path / "cli-run"
    argv = ["bench", "miniwob", "--run-dir", str(run_dir), "--embedder", "hash", "--no-progress"]
    assert main([*argv, "--tasks", "name", option, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("reasoningbank: error: ") and message in err
    assert started == []  # the model server was never started
    assert not run_dir.exists()  # no run.json (nor anything else) blocks a later run
    # the same directory then takes a good run
    assert main([*argv, "--tasks", "name", "--episodes", "1", "--methods", "none"]) == 0
    assert (run_dir / "run.json").exists() and started == [str(run_dir)]


def test_cli_bench_miniwob_unknown_real_family_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Any] = []
    monkeypatch.setattr(bench_llm, "llm_for", lambda args, log_dir, log_name="": started.append(args))
    run_dir = tmp_path / "cli-run"
    assert (
        main(["bench", "miniwob", "--tasks", "not-a-task", "--run-dir", str(run_dir), "--embedder", "hash"])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown task family 'not-a-task'" in err and "enter-text" in err
    assert started == [] and not (run_dir / "run.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "miniwob", "--store", "x.db"],
        ["bench", "miniwob", "--scope", "s"],
        ["bench", "miniwob", "--config", "c.toml"],
        ["bench", "rejudge", "RUN", "--store", "x.db"],
        ["bench", "rejudge", "RUN", "--scope", "s"],
        ["bench", "rejudge", "RUN", "--config", "c.toml"],
        ["bench", "rejudge", "RUN", "--embedder", "hash"],
        ["bench", "report", "RUN", "--store", "x.db"],
        ["report", "RUN", "--scope", "s"],
        ["report", "RUN", "--config", "c.toml"],
        ["report", "RUN", "--model", "m"],
        ["report", "RUN", "--preset", "paper"],
    ],
)
def test_bench_commands_refuse_options_they_would_ignore(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_bench_commands_keep_the_options_they_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Any] = []

    def record(args: Any) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(bench_cli, "cmd_miniwob", record)
    monkeypatch.setattr(bench_review, "cmd_rejudge", record)
    monkeypatch.setattr(bench_review, "cmd_report", record)
    common = ["--model", "m", "--api-base", "http://x", "--preset", "paper", "--json"]
    assert main(["bench", "miniwob", *common, "--embedder", "hash"]) == 0
    assert main(["bench", "rejudge", "RUN", *common]) == 0
    assert main(["report", "RUN", "--json"]) == 0
    miniwob, rejudge, report = seen
    assert (miniwob.model, miniwob.api_base, miniwob.preset, miniwob.embedder, miniwob.json) == (
        "m",
        "http://x",
        "paper",
        "hash",
        True,
    )
    assert (rejudge.model, rejudge.preset, rejudge.json) == ("m", "paper", True)
    assert report.json is True


def test_a_run_recorded_by_the_cli_reports_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(tmp_path, ScriptedLLM(default=respond), methods=["none", "reasoningbank"])
    assert main(["report", str(tmp_path / "run"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["compared_tasks"] == 6 and out["preset"] == "paper"
    assert set(out["methods"]) == {"none", "reasoningbank"}


def test_the_learner_gets_its_own_local_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    agent, learner = (
        ScriptedLLM(default=respond, model="agent"),
        ScriptedLLM(default=respond, model="learner"),
    )
    servers: list[str] = []

    @contextlib.contextmanager
    def fake_llm(args: Any, log_dir: Path, log_name: str = "llama-server.log") -> Iterator[ScriptedLLM]:
        servers.append(log_name)
        yield learner if "learner" in log_name else agent

    monkeypatch.setattr(bench_llm, "llm_for", fake_llm)
    monkeypatch.setattr(miniwob_mod, "MiniWoBEnv", FamilyEnv)
    monkeypatch.setattr(miniwob_mod, "MINIWOB_FAMILIES_DEFAULT", tuple(FAMILIES))
    argv = ["bench", "miniwob", "--methods", "reasoningbank", "--tasks", "name", "--episodes", "1"]
    argv += ["--embedder", "hash", "--preset", "paper", "--max-steps", "3", "--no-progress"]
    assert main([*argv, "--run-dir", str(tmp_path / "a")]) == 0
    assert servers == ["llama-server.log", "llama-server-learner.log"]
    assert agent.calls and all(c.messages[0]["content"].startswith("You are an agent") for c in agent.calls)
    assert learner.calls and not any(
        c.messages[0]["content"].startswith("You are an agent") for c in learner.calls
    )
    servers.clear()
    assert main([*argv, "--run-dir", str(tmp_path / "b"), "--learner-server", "shared"]) == 0
    assert servers == ["llama-server.log"]
    capsys.readouterr()


def _lessons_file(path: Path, *, bad_line: bool = False) -> Path:
    lines = ["# one lesson per family"]
    lines += [
        json.dumps(
            {"task_id": f"{fam}:lesson-1", "title": fam, "content": f"Type the {fam} once.", "query": q}
        )
        for fam, q in (
            ("name", 'Enter name "Ada0" into the form and press Submit.'),
            ("city", 'Enter city "Paris0" into the form and press Submit.'),
        )
    ]
    if bad_line:
        lines.append('{"title": "no content"}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_bench_curated_arms_need_a_good_lessons_file_checked_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started = _fake_model(monkeypatch)
    run_dir = tmp_path / "cli-run"
    argv = ["bench", "miniwob", "--run-dir", str(run_dir), "--embedder", "hash", "--no-progress"]
    argv += ["--tasks", "name,city", "--episodes", "1", "--methods", "none,curated,irrelevant"]
    assert main(argv) == 2
    assert "needs a lessons file (--lessons FILE)" in capsys.readouterr().err
    bad = _lessons_file(tmp_path / "bad.jsonl", bad_line=True)
    assert main([*argv, "--lessons", str(bad)]) == 2
    assert f"{bad}:4: 'content' is missing" in capsys.readouterr().err
    assert main([*argv, "--lessons", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert started == [] and not run_dir.exists()

    good = _lessons_file(tmp_path / "lessons.jsonl")
    assert main([*argv, "--lessons", str(good)]) == 0
    out = capsys.readouterr().out
    assert "| curated ‡ |" in out and "| irrelevant § |" in out
    assert started == [str(run_dir)]  # the curated arms learn nothing: no learner server
    recs = read_records(run_dir / "curated" / "records.jsonl")
    assert [r["retrieved_from"] for r in recs] == [["name:lesson-1"], ["city:lesson-1"]]
    # a resume without --lessons uses the run's own copy
    assert main([*argv, "--episodes", "1"]) == 0
    assert (run_dir / "lessons.jsonl").exists()


def test_cli_bench_memory_placement_is_recorded_only_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_model(monkeypatch)
    argv = ["bench", "miniwob", "--embedder", "hash", "--no-progress", "--tasks", "name", "--episodes", "1"]
    assert main([*argv, "--methods", "none", "--run-dir", str(tmp_path / "a")]) == 0
    assert "memory_placement" not in json.loads((tmp_path / "a" / "run.json").read_text())["agent_kwargs"]
    page = ["--memory-placement", "page", "--run-dir", str(tmp_path / "b")]
    assert main([*argv, "--methods", "none", *page]) == 0
    kwargs = json.loads((tmp_path / "b" / "run.json").read_text())["agent_kwargs"]
    assert kwargs["memory_placement"] == "page"


def test_cli_bench_a_learner_model_judges_and_extracts_while_the_local_model_acts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started = _fake_model(monkeypatch)
    argv = ["bench", "miniwob", "--embedder", "hash", "--no-progress", "--tasks", "name", "--episodes", "1"]
    argv += ["--methods", "none,reasoningbank", "--learner-model", "openai/gpt-4o-mini"]
    # the block switch (set for every test) refuses the hosted learner before anything starts
    assert main([*argv, "--run-dir", str(tmp_path / "blocked")]) != 0
    err = capsys.readouterr().err
    assert "REASONINGBANK_BLOCK_REAL_CALLS" in err and "Traceback" not in err
    assert started == [] and not (tmp_path / "blocked").exists()

    learner = ScriptedLLM(default=respond)
    learner.model = "openai/gpt-4o-mini"
    monkeypatch.setattr(bench_llm, "hosted_llm", lambda model, api_base: learner)
    run_dir = tmp_path / "run"
    assert main([*argv, "--run-dir", str(run_dir)]) == 0
    assert started == [str(run_dir)]  # one local server: the agent's; no learner server
    roles = {c.messages[0]["content"].split("\n", 1)[0][:20] for c in learner.calls}
    assert learner.calls and not any(r.startswith("You are an agent") for r in roles)
    assert json.loads((run_dir / "run.json").read_text())["learner_model"] == "openai/gpt-4o-mini"


def test_cli_bench_matts_options_set_the_scale_section_and_need_scaling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_model(monkeypatch)
    argv = ["bench", "miniwob", "--embedder", "hash", "--no-progress", "--tasks", "name", "--episodes", "1"]
    argv += ["--methods", "none"]
    assert main([*argv, "--stop-on-success", "--run-dir", str(tmp_path / "a")]) == 2
    assert "use them with --scaling" in capsys.readouterr().err and not (tmp_path / "a").exists()
    run_dir = tmp_path / "b"
    scaled = ["--scaling", "parallel", "--k", "2", "--select-among", "successes", "--run-dir", str(run_dir)]
    assert main([*argv, *scaled]) == 0
    preset = json.loads((run_dir / "run.json").read_text())["preset"]
    assert preset["scale"] == {"select_among": "successes", "stop_on_success": False}
    assert main([*argv, *scaled[:4], "--run-dir", str(run_dir)]) == 2  # resumed without it: refused
    assert "scale" in capsys.readouterr().err
