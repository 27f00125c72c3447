"""Scaled runs in the bench: every task played k times with MaTTS, with scripted models and pages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from reasoningbank.bench.records import TaskRecord, read_task_records
from reasoningbank.bench.rundir import read_records
from reasoningbank.bench.scaled import EnvPool, pass1_pick
from reasoningbank.bench.settings import ScalingSettings
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.stores import SQLiteStore
from tests.bench.fakes import TASKS, FamilyEnv, respond, role, run

SELECT = '{"index": 1, "analysis": "the first"}'


def scaled_respond(messages: Sequence[Message]) -> str:
    system = messages[0]["content"]
    if system.startswith("You compare several trajectories"):
        return SELECT
    if system.startswith("You are an expert in how agents solve tasks") and "several trajectories" in system:
        return "# Memory Item 1\n## Title Compare\n## Description d\n## Content Type values, then submit.\n"
    return respond(messages)


def test_parallel_scaling_records_every_rollout_and_learns_once(tmp_path: Path) -> None:
    llm = ScriptedLLM(default=scaled_respond)
    envs: list[FamilyEnv] = []

    def make_env() -> FamilyEnv:
        envs.append(FamilyEnv())
        return envs[-1]

    from reasoningbank.bench.runner import run_stream
    from reasoningbank.bench.settings import RunSettings
    from reasoningbank.embed import HashEmbedder

    settings = RunSettings(
        preset="paper",
        max_steps=4,
        progress=False,
        scaling=ScalingSettings("parallel", k=3, max_concurrency=2),
    )
    methods = ["none", "reasoningbank", "reasoningbank-vanilla"]
    run_stream(make_env, TASKS, methods, llm, HashEmbedder(), tmp_path / "run", settings)
    run_dir = tmp_path / "run"
    assert json.loads((run_dir / "run.json").read_text())["scaling"] == {
        "mode": "parallel",
        "k": 3,
        "max_concurrency": 2,
    }
    assert 1 <= len(envs) <= 2  # a pool of at most max_concurrency environments, reused
    for m in methods:
        recs = [TaskRecord.model_validate(r) for r in read_records(run_dir / m / "records.jsonl")]
        assert [r.task_id for r in recs] == [t.task_id for t in TASKS]
        for r in recs:
            assert r.scaled is not None and r.scaled.k == 3 and len(r.scaled.rollouts) == 3
            assert r.success == (r.scaled.rollouts[r.scaled.selected].score >= 1.0)
            assert r.scaled.pass1 == pass1_pick(r.task_id, 3)
            assert r.scaled.candidates == [0, 1, 2] and r.scaled.stopped == "k"  # the defaults: all
    none_recs = [TaskRecord.model_validate(r) for r in read_records(run_dir / "none" / "records.jsonl")]
    assert all(r.scaled and r.scaled.aggregation == "none" and r.judge_label is None for r in none_recs)
    with SQLiteStore(run_dir / "reasoningbank" / "bank.db") as store:
        assert store.count("default") == len(TASKS)  # MaTTS: one experience per task
        exp = store.list("default")[0]
        assert len(exp.rollouts) == 2 and all(i.origin == "contrast" for i in exp.items)
    with SQLiteStore(run_dir / "reasoningbank-vanilla" / "bank.db") as store:
        assert store.count("default") == 3 * len(TASKS)  # vanilla: every rollout on its own
    selections = [c for c in llm.calls if c.messages[0]["content"].startswith("You compare several")]
    assert len(selections) == 3 * len(TASKS)  # best-of-N answers every method's tasks, no memory too


def test_sequential_scaling_shows_the_previous_attempt_and_keeps_the_episode(tmp_path: Path) -> None:
    llm = ScriptedLLM(default=scaled_respond)
    settings = ScalingSettings("sequential", k=2, max_concurrency=1)
    run(tmp_path, llm, methods=["reasoningbank"], scaling=settings)
    recs = read_records(tmp_path / "run" / "reasoningbank" / "records.jsonl")
    assert all(r["scaled"]["selected_by"] == "last" and r["scaled"]["selected"] == 1 for r in recs)
    agent_prompts = [c.messages[0]["content"] for c in llm.calls if role(c.messages) == "agent"]
    assert any(
        "# Your previous attempt at this task" in p and "Before you finish" in p for p in agent_prompts
    )
    lines = read_records(tmp_path / "run" / "reasoningbank" / "trajectories.jsonl")
    first_pass_steps = recs[0]["scaled"]["rollouts"][0]["steps"]
    assert len(lines[0]["trajectory"]["steps"]) > first_pass_steps  # the episode so far: both passes


def test_a_method_that_cannot_be_scaled_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be scaled"):
        run(tmp_path, ScriptedLLM(default=scaled_respond), methods=["synapse"], scaling=ScalingSettings())


def test_env_pool_makes_at_most_its_size() -> None:
    made: list[FamilyEnv] = []
    pool = EnvPool(lambda: made.append(FamilyEnv()) or made[-1], 2)
    with pool.lease() as a, pool.lease() as b:
        assert a is not b
    with pool.lease() as c:
        assert c in (a, b)
    pool.close()
    assert len(made) == 2 and all(e.closed for e in made)


def test_scaling_report_compares_runs_by_k(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reasoningbank.cli import main

    for k in (1, 3):
        (tmp_path / f"k{k}").mkdir()
        run(
            tmp_path / f"k{k}",
            ScriptedLLM(default=scaled_respond),
            methods=["none", "reasoningbank"],
            scaling=ScalingSettings("parallel", k=k),
        )
    dirs = [str(tmp_path / "k1" / "run"), str(tmp_path / "k3" / "run")]
    assert main(["bench", "scaling-report", *dirs, "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {(r["mode"], r["k"], r["method"]): r for r in out["rows"]}
    assert set(rows) == {("k=1", 1, "none"), ("k=1", 1, "reasoningbank"), ("parallel", 3, "none"),
                         ("parallel", 3, "reasoningbank")}  # fmt: skip
    k3 = rows[("parallel", 3, "reasoningbank")]
    assert k3["tasks"] == len(TASKS) and 0 <= k3["pass1"] <= k3["passk"] <= 1
    assert k3["bon"] <= k3["passk"]  # the answer is one of the rollouts
    assert Path(out["plot"]).read_bytes().startswith(b"\x89PNG")
    assert main(["bench", "scaling-report", *dirs, "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "| parallel | 3 | MaTTS |" in text and "| k=1 | 1 | no memory |" in text


def test_vanilla_scaling_takes_the_k1_point_of_matts(tmp_path: Path) -> None:
    from reasoningbank.bench.scaling_report import ScalingRow, scaling_curve

    def row(mode: str, k: int, method: str, bon: float) -> ScalingRow:
        return ScalingRow(mode, k, method, 10, bon, bon, bon, 0.0, 0.0, tmp_path)

    rows = [row("k=1", 1, "reasoningbank", 0.4), row("k=1", 1, "none", 0.3),
            row("parallel", 3, "reasoningbank", 0.6), row("parallel", 3, "reasoningbank-vanilla", 0.5),
            row("sequential", 3, "reasoningbank-vanilla", 0.2)]  # fmt: skip
    assert scaling_curve(rows, "parallel", "reasoningbank-vanilla") == [(1, 40.0), (3, 50.0)]
    assert scaling_curve(rows, "sequential", "reasoningbank-vanilla") == [(1, 40.0), (3, 20.0)]
    assert scaling_curve(rows, "parallel", "none") == [(1, 30.0)]
    # a k = 1 run that played vanilla itself keeps its own point
    rows.append(row("k=1", 1, "reasoningbank-vanilla", 0.1))
    assert scaling_curve(rows, "parallel", "reasoningbank-vanilla") == [(1, 10.0), (3, 50.0)]


def test_scaling_plot_ticks_only_the_measured_k(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reasoningbank.bench import scaling_report
    from reasoningbank.bench.scaling_report import ScalingRow, write_scaling_plot

    saved: list[object] = []
    monkeypatch.setattr(scaling_report, "_save", lambda fig, path: saved.append(fig))
    rows = [ScalingRow(mode, k, "none", 10, 0.5, 0.5, 0.5, 0.0, 0.0, tmp_path)
            for mode, k in (("k=1", 1), ("parallel", 3), ("parallel", 5))]  # fmt: skip
    path = write_scaling_plot(rows, tmp_path)
    assert path == tmp_path / scaling_report.SCALING_PLOT
    parallel, sequential = saved[0].axes  # type: ignore[attr-defined]
    assert list(parallel.get_xticks()) == [1, 3, 5]
    assert list(sequential.get_xticks()) == [1]  # the k = 1 run counts for both modes


def test_cli_scaling_flags_reach_the_run_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reasoningbank.cli import bench as bench_cli
    from reasoningbank.cli import main

    seen: list[object] = []

    def stop(*args: object, **kwargs: object) -> None:
        seen.append(args[-1])
        raise ValueError("stop here: the settings are what this test checks")

    monkeypatch.setattr(bench_cli, "check_resume", stop)
    argv = ["bench", "miniwob", "--methods", "none,reasoningbank", "--tasks", "enter-text"]
    argv += ["--embedder", "hash", "--scaling", "sequential", "--k", "2", "--run-dir", str(tmp_path / "r")]
    assert main(argv) == 2
    (settings,) = seen
    assert settings.scaling == ScalingSettings("sequential", k=2, max_concurrency=1)  # type: ignore[attr-defined]


def test_sequential_scaling_with_stop_on_success_plays_no_pass_after_a_judged_success(tmp_path: Path) -> None:
    from reasoningbank.bench.runner import run_stream
    from reasoningbank.bench.settings import RunSettings
    from reasoningbank.config import get_preset
    from reasoningbank.embed import HashEmbedder

    llm = ScriptedLLM(default=scaled_respond)
    stops = get_preset("paper").with_overrides({"scale": {"stop_on_success": True}})
    settings = RunSettings(
        preset=stops, max_steps=4, progress=False, scaling=ScalingSettings("sequential", k=3)
    )
    run_stream(FamilyEnv, TASKS, ["none", "reasoningbank"], llm, HashEmbedder(), tmp_path / "run", settings)
    recs = read_task_records(tmp_path / "run" / "reasoningbank" / "records.jsonl")
    for r in recs:  # the judge calls every "name" pass a success, every other a failure
        assert r.scaled is not None and r.scaled.k == 3 and r.scaled.selected_by == "last"
        ran = 1 if r.family == "name" else 3
        assert len(r.scaled.rollouts) == ran and r.scaled.selected == ran - 1
        assert r.scaled.stopped == ("success" if ran == 1 else "k")
        assert r.scaled.pass1 == min(pass1_pick(r.task_id, 3), ran - 1) and r.scaled.candidates == []
    judged = [c for c in llm.calls if role(c.messages) == "judge"]
    assert len(judged) == sum(len(r.scaled.rollouts) for r in recs if r.scaled)  # once per pass played
    bare = read_task_records(tmp_path / "run" / "none" / "records.jsonl")
    assert all(r.scaled and len(r.scaled.rollouts) == 3 and r.scaled.stopped == "k" for r in bare)  # no judge


def test_a_pending_scaled_task_from_before_the_options_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reasoningbank.bench import runner as runner_mod

    real_append = runner_mod.append_record

    def crash_on_the_second_record(path: Path, record: dict[str, object]) -> None:
        if path.name == "records.jsonl" and record["index"] == 1:
            raise OSError("disk went away")
        real_append(path, record)

    monkeypatch.setattr(runner_mod, "append_record", crash_on_the_second_record)
    scaling = ScalingSettings("parallel", k=2)
    with pytest.raises(OSError, match="disk went away"):
        run(tmp_path, ScriptedLLM(default=scaled_respond), methods=["reasoningbank"], scaling=scaling)
    monkeypatch.setattr(runner_mod, "append_record", real_append)
    pending_path = tmp_path / "run" / "reasoningbank" / "pending.json"
    pending = json.loads(pending_path.read_text())
    assert pending["selection_candidates"] == [0, 1] and pending["stopped"] == "k"
    old = {k: v for k, v in pending.items() if k not in ("selection_candidates", "stopped")}
    pending_path.write_text(json.dumps(old))  # as a run before the options wrote it
    run(tmp_path, ScriptedLLM(default=scaled_respond), methods=["reasoningbank"], scaling=scaling)
    recs = read_task_records(tmp_path / "run" / "reasoningbank" / "records.jsonl")
    assert [r.index for r in recs] == list(range(len(TASKS)))
    resumed = recs[1].scaled
    assert resumed is not None and (resumed.candidates, resumed.stopped) == ([], "k")
    assert resumed.selected == old["selected"] and len(resumed.rollouts) == 2


def test_the_committed_scaled_runs_still_read() -> None:
    root = Path(__file__).resolve().parents[2] / "benchmarks" / "runs"
    for name in ("matts-parallel-k3", "matts-sequential-k3"):
        recs = read_task_records(root / name / "reasoningbank" / "records.jsonl")
        assert recs and all(r.scaled is not None for r in recs)
        for s in (r.scaled for r in recs if r.scaled is not None):
            assert (s.candidates, s.stopped, len(s.rollouts)) == ([], "k", s.k)
            assert s.pass_at_1 == (s.rollouts[s.pass1].score >= 1.0)
