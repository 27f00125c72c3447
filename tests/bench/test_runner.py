"""The benchmark runner on the scripted environment with a scripted model."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.bench import runner as runner_mod
from reasoningbank.bench.envs.base import Observation, TaskSpec
from reasoningbank.bench.envs.scripted import ScriptedEnvironment
from reasoningbank.bench.records import ManifestMismatchError, append_record, read_records
from reasoningbank.bench.runner import make_stream, run_stream
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM
from reasoningbank.stores import SQLiteStore

# family -> (field, target value template, what the agent types ("=" the target), judge's label)
# "name": agent right, judge agrees (TP); "city": agent wrong, judge agrees (TN);
# "zip": agent right, judge says failure (FN) -- the judge is independent of the score.
FAMILIES: dict[str, tuple[str, str, str, str]] = {
    "name": ("name", "Ada{seed}", "=", "success"),
    "city": ("city", "Paris{seed}", "Rome", "failure"),
    "zip": ("zip", "75{seed}", "=", "failure"),
}

ITEM = "# Memory Item 1\n## Title Check each field\n## Description d\n## Content Type values, then submit.\n"


class FamilyEnv:
    """ScriptedEnvironment whose form depends on the task family and seed.

    It puts the benchmark reward into ``Observation.info`` like MiniWoB does,
    so tests can check the reward never travels to memory prompts.
    """

    def __init__(self, crash_on_reset: int | None = None) -> None:
        self.inner = ScriptedEnvironment()
        self.resets = 0
        self.crash_on_reset = crash_on_reset
        self.closed = False

    def reset(self, task: TaskSpec) -> Observation:
        self.resets += 1
        if self.crash_on_reset is not None and self.resets == self.crash_on_reset:
            raise RuntimeError("simulated crash")
        field, target, _, _ = FAMILIES[task.family]
        self.inner.fields = {field: target.format(seed=task.seed)}
        return self.inner.reset(task)

    def step(self, action: str) -> Observation:
        obs = self.inner.step(action)
        obs.info["raw_reward"] = self.inner.evaluate()
        return obs

    def evaluate(self) -> float:
        return self.inner.evaluate()

    def close(self) -> None:
        self.closed = True


def role(messages: Sequence[Message]) -> str:
    system = messages[0]["content"]
    if system.startswith("You are an agent"):
        return "agent"
    if system.startswith("You evaluate the work"):
        return "judge"
    if system.startswith("You turn a record"):
        return "awm"
    return "extract"


def respond(messages: Sequence[Message]) -> str:
    r = role(messages)
    user = messages[1]["content"]
    if r == "agent":
        goal = user.split("# Goal\n", 1)[1].split("\n", 1)[0]
        fam = next(f for f, spec in FAMILIES.items() if f' {spec[0]} "' in goal)
        target = re.search(r'"([^"]*)"', goal)
        assert target is not None
        value = target.group(1) if FAMILIES[fam][2] == "=" else FAMILIES[fam][2]
        if 'value=""' in user:
            return f'<think>Type the value.</think><action>type(2, "{value}")</action>'
        return "<think>Submit.</think><action>click(1)</action>"
    if r == "judge":
        label = next(spec[3] for spec in FAMILIES.values() if f' {spec[0]} "' in user)
        return f"Thoughts: looked at it.\nStatus: {label}"
    if r == "awm":
        return (
            "## Workflow 1: Fill\n<think>a</think><action>type({f}, 'v')</action>\n"
            "<think>b</think><action>click({s})</action>"
        )
    return ITEM


TASKS = make_stream(["name", "city", "zip"], 2, seed=1)
METHODS = ["none", "synapse", "awm", "reasoningbank"]


def run(tmp_path: Path, llm: ScriptedLLM, env: FamilyEnv | None = None, **kw: Any) -> runner_mod.StreamResult:
    env = env or FamilyEnv()
    return run_stream(
        lambda: env,
        kw.pop("tasks", TASKS),
        kw.pop("methods", METHODS),
        llm,
        HashEmbedder(),
        tmp_path / "run",
        preset="paper",
        max_steps=4,
        progress=False,
        **kw,
    )


def test_make_stream_orders_are_deterministic() -> None:
    inter = make_stream(["a", "b"], 2, seed=5)
    assert [t.task_id for t in inter] == ["a:5", "b:5", "a:6", "b:6"]
    blocked = make_stream(["a", "b"], 2, seed=5, order="blocked")
    assert [t.task_id for t in blocked] == ["a:5", "a:6", "b:5", "b:6"]
    s1 = make_stream(["a", "b", "c"], 3, seed=2, order="shuffled")
    assert s1 == make_stream(["a", "b", "c"], 3, seed=2, order="shuffled")
    assert sorted(t.task_id for t in s1) == sorted(t.task_id for t in make_stream(["a", "b", "c"], 3, seed=2))
    with pytest.raises(ValueError, match="repeated"):
        make_stream(["a", "a"], 1)
    with pytest.raises(ValueError, match="unknown order"):
        make_stream(["a"], 1, order="random")  # type: ignore[arg-type]


def test_records_token_split_and_score_isolation(tmp_path: Path) -> None:
    llm = ScriptedLLM(default=respond)
    res = run(tmp_path, llm)
    run_dir = tmp_path / "run"
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["methods"] == METHODS and len(manifest["tasks"]) == 6
    assert not (run_dir / "none" / "bank.db").exists()

    for m in METHODS:
        recs = read_records(run_dir / m / "records.jsonl")
        assert [r["index"] for r in recs] == list(range(6))
        assert [r["task_id"] for r in recs] == [t.task_id for t in TASKS]
        assert res.records[m] == recs
        assert not (run_dir / m / "pending.json").exists()
        by_fam = {r["family"]: r for r in recs}
        assert by_fam["name"]["success"] is True and by_fam["city"]["success"] is False
        assert by_fam["zip"]["success"] is True  # benchmark says success ...
        for r in recs:
            assert r["steps"] == 2
            assert r["llm"]["action"]["calls"] == 2
            tot = r["llm"]["total"]["total_tokens"]
            assert tot == sum(r["llm"][k]["total_tokens"] for k in ("action", "judge", "extraction"))
        if m == "none":
            assert all(r["judge_label"] is None and r["llm"]["judge"]["calls"] == 0 for r in recs)
            assert all(r["memory_size"] == 0 and r["items_learned"] == [] for r in recs)
        else:
            assert by_fam["zip"]["judge_label"] == "failure"  # ... the judge disagrees
            assert all(r["llm"]["judge"]["calls"] == 1 for r in recs)
    # reasoningbank learns from every task; synapse/awm only from judged successes (2 "name" tasks)
    rb = read_records(run_dir / "reasoningbank" / "records.jsonl")
    assert [r["memory_size"] for r in rb] == [1, 2, 3, 4, 5, 6]
    assert all(r["llm"]["extraction"]["calls"] == 1 for r in rb)
    syn = read_records(run_dir / "synapse" / "records.jsonl")
    assert [r["memory_size"] for r in syn] == [1, 1, 1, 2, 2, 2]
    assert [len(r["items_learned"]) for r in syn] == [1, 0, 0, 1, 0, 0]
    assert all(r["llm"]["extraction"]["calls"] == 0 for r in syn)
    awm = read_records(run_dir / "awm" / "records.jsonl")
    assert [r["llm"]["extraction"]["calls"] for r in awm] == [1, 0, 0, 1, 0, 0]
    # the second "name" task retrieved the first one's memory
    assert rb[3]["retrieved"] == ["Check each field"]

    # Token split: per-role prompt tokens in the records equal the words the model received.
    words: dict[str, int] = {"agent": 0, "judge": 0, "extract": 0, "awm": 0}
    for c in llm.calls:
        words[role(c.messages)] += sum(len(msg["content"].split()) for msg in c.messages)
    all_recs = [r for m in METHODS for r in read_records(run_dir / m / "records.jsonl")]
    roles = ("action", "judge", "extraction")
    rec_sum = {k: sum(r["llm"][k]["prompt_tokens"] for r in all_recs) for k in roles}
    assert rec_sum["action"] == words["agent"]
    assert rec_sum["judge"] == words["judge"]
    assert rec_sum["extraction"] == words["extract"] + words["awm"]

    # The benchmark score never reaches the judge or the extractor.
    for c in llm.calls:
        if role(c.messages) != "agent":
            text = "\n".join(msg["content"] for msg in c.messages).lower()
            assert "reward" not in text and "score" not in text


def test_resume_after_crash_skips_done_tasks_without_double_learning(tmp_path: Path) -> None:
    methods = ["none", "reasoningbank"]
    llm = ScriptedLLM(default=respond)
    # 2 methods per task: the 8th reset is task index 3 for the 2nd method.
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(tmp_path, llm, FamilyEnv(crash_on_reset=8), methods=methods)
    run_dir = tmp_path / "run"
    assert len(read_records(run_dir / "none" / "records.jsonl")) == 4
    assert len(read_records(run_dir / "reasoningbank" / "records.jsonl")) == 3

    env2 = FamilyEnv()
    llm2 = ScriptedLLM(default=respond)
    res = run(tmp_path, llm2, env2, methods=methods)
    assert res.resumed
    assert env2.resets == 2 + 3  # only the 5 missing (method, task) pairs ran
    for m in methods:
        recs = read_records(run_dir / m / "records.jsonl")
        assert sorted(r["index"] for r in recs) == list(range(6))
    store = SQLiteStore(run_dir / "reasoningbank" / "bank.db")
    exps = store.list("default")
    assert sorted(e.task_id for e in exps) == sorted(t.task_id for t in TASKS)


def test_crash_between_bank_commit_and_record_does_not_learn_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods = ["reasoningbank"]
    real_append = append_record
    count = {"n": 0}

    def flaky_append(path: Path, record: dict[str, Any]) -> None:
        count["n"] += int(path.name == "records.jsonl")
        if count["n"] == 3 and path.name == "records.jsonl":
            raise OSError("disk went away")
        real_append(path, record)

    monkeypatch.setattr(runner_mod, "append_record", flaky_append)
    llm = ScriptedLLM(default=respond)
    with pytest.raises(OSError, match="disk went away"):
        run(tmp_path, llm, methods=methods)
    run_dir = tmp_path / "run"
    assert (run_dir / "reasoningbank" / "pending.json").exists()
    monkeypatch.setattr(runner_mod, "append_record", real_append)

    env2 = FamilyEnv()
    llm2 = ScriptedLLM(default=respond)
    run(tmp_path, llm2, env2, methods=methods)
    recs = read_records(run_dir / "reasoningbank" / "records.jsonl")
    assert [r["index"] for r in recs] == list(range(6))
    assert [r["recovered"] for r in recs] == [False, False, True, False, False, False]
    assert recs[2]["items_learned"][0]["title"] == "Check each field"
    assert env2.resets == 3  # the pending episode was not re-run
    # 3 remaining tasks x (2 agent + 1 judge + 1 extract); nothing for the recovered task
    assert len(llm2.calls) == 12
    store = SQLiteStore(run_dir / "reasoningbank" / "bank.db")
    ids = [e.task_id for e in store.list("default")]
    assert len(ids) == 6 and len(set(ids)) == 6


def test_manifest_mismatch_is_refused(tmp_path: Path) -> None:
    tasks = TASKS[:2]
    run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)
    with pytest.raises(ManifestMismatchError, match="max_steps"):
        run_stream(
            FamilyEnv,
            tasks,
            ["none"],
            ScriptedLLM(default=respond),
            HashEmbedder(),
            tmp_path / "run",
            preset="paper",
            max_steps=9,
            progress=False,
        )
    # same config resumes fine and runs nothing new
    env = FamilyEnv()
    run(tmp_path, ScriptedLLM(default=respond), env, methods=["none"], tasks=tasks)
    assert env.resets == 0


def test_a_method_added_to_a_run_runs_on_the_same_stream(tmp_path: Path) -> None:
    tasks = TASKS[:3]
    run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)
    env = FamilyEnv()
    llm = ScriptedLLM(default=respond)
    run(tmp_path, llm, env, methods=["none", "reasoningbank@small-local", "reasoningbank"], tasks=tasks)
    assert env.resets == 6  # only the two new methods ran, on all three tasks
    run_dir = tmp_path / "run"
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["methods"] == ["none", "reasoningbank@small-local", "reasoningbank"]
    for m in manifest["methods"]:
        recs = read_records(run_dir / m / "records.jsonl")
        assert [r["task_id"] for r in recs] == [t.task_id for t in tasks]
    # the @small-local method extracted with its own preset (JSON under a schema), the other with the run's
    extract_calls = [c for c in llm.calls if role(c.messages) == "extract"]
    with_schema = [c for c in extract_calls if c.json_schema is not None]
    assert with_schema and len(with_schema) < len(extract_calls)
    # resuming with a subset of the methods is fine too and runs nothing
    env2 = FamilyEnv()
    run(tmp_path, ScriptedLLM(default=respond), env2, methods=["reasoningbank"], tasks=tasks)
    assert env2.resets == 0
    assert json.loads((run_dir / "run.json").read_text())["methods"] == manifest["methods"]


@pytest.mark.parametrize(
    ("name", "msg"),
    [("reasoningbank@nope", "unknown preset"), ("none@paper", "no memory"), ("awm@", "without a preset")],
)
def test_method_preset_suffix_errors(tmp_path: Path, name: str, msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        run(tmp_path, ScriptedLLM(default=respond), methods=[name], tasks=TASKS[:1])


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown method 'mem'"):
        run(tmp_path, ScriptedLLM(default=respond), methods=["mem"])
    with pytest.raises(ValueError, match="unique"):
        run(tmp_path, ScriptedLLM(default=respond), tasks=[TaskSpec("name", 1), TaskSpec("name", 1)])


def test_cli_bench_miniwob_runs_the_stream_with_fakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import contextlib
    from collections.abc import Iterator

    import reasoningbank.bench.envs.miniwob as miniwob_mod
    from reasoningbank.cli import bench as bench_cli
    from reasoningbank.cli import main

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
    import contextlib
    from collections.abc import Iterator

    import reasoningbank.bench.envs.miniwob as miniwob_mod
    from reasoningbank.cli import bench as bench_cli
    from reasoningbank.cli import main

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


def test_progress_bar_shows_each_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_stream(
        FamilyEnv,
        TASKS[:2],
        ["none", "reasoningbank"],
        ScriptedLLM(default=respond),
        HashEmbedder(),
        tmp_path / "run",
        preset="paper",
        max_steps=4,
        progress=True,
    )
    out = capsys.readouterr().out
    assert "none" in out and "reasoningbank" in out and "2/2" in out


def test_changed_prompts_refuse_resume_but_older_runs_still_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = TASKS[:2]
    run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)
    manifest_path = tmp_path / "run" / "run.json"
    fp = json.loads(manifest_path.read_text())["prompt_fingerprint"]
    assert set(fp) == {"templates", "agent"} and all(len(v) == 16 for v in fp.values())
    changed = {"templates": "x" * 16, "agent": fp["agent"]}
    monkeypatch.setattr(runner_mod, "prompt_fingerprint", lambda: changed)
    with pytest.raises(ManifestMismatchError, match="prompt_fingerprint"):
        run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)
    # a run recorded before fingerprints existed resumes (nothing to compare with)
    old = json.loads(manifest_path.read_text())
    del old["prompt_fingerprint"]
    manifest_path.write_text(json.dumps(old))
    env = FamilyEnv()
    run(tmp_path, ScriptedLLM(default=respond), env, methods=["none"], tasks=tasks)
    assert env.resets == 0


def test_records_name_the_task_each_retrieved_item_came_from(tmp_path: Path) -> None:
    run(tmp_path, ScriptedLLM(default=respond), methods=["reasoningbank"])
    recs = read_records(tmp_path / "run" / "reasoningbank" / "records.jsonl")
    assert recs[0]["retrieved"] == [] and recs[0]["retrieved_from"] == []
    later = [r for r in recs if r["retrieved"]]
    assert later and all(len(r["retrieved_from"]) == len(r["retrieved"]) for r in later)
    earlier = {r["task_id"]: r["index"] for r in recs}
    for r in later:  # every source is an earlier task of the stream, never the task itself
        assert all(earlier[src] < r["index"] for src in r["retrieved_from"])
