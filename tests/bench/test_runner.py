"""The benchmark runner on the scripted environment with a scripted model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.bench import manifest as manifest_mod
from reasoningbank.bench import runner as runner_mod
from reasoningbank.bench.envs.base import TaskSpec
from reasoningbank.bench.manifest import ManifestMismatchError
from reasoningbank.bench.records import TaskRecord
from reasoningbank.bench.rundir import append_record, read_records
from reasoningbank.bench.runner import run_stream
from reasoningbank.bench.settings import RunSettings
from reasoningbank.bench.stream import make_stream
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import ScriptedLLM
from reasoningbank.stores import SQLiteStore
from tests.bench.fakes import METHODS, TASKS, FamilyEnv, respond, role, run


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
        assert res.records[m] == [TaskRecord.model_validate(r) for r in recs]
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
            RunSettings(preset="paper", max_steps=9, progress=False),
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


def test_progress_bar_shows_each_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_stream(
        FamilyEnv,
        TASKS[:2],
        ["none", "reasoningbank"],
        ScriptedLLM(default=respond),
        HashEmbedder(),
        tmp_path / "run",
        RunSettings(preset="paper", max_steps=4, progress=True),
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
    monkeypatch.setattr(manifest_mod, "prompt_fingerprint", lambda: changed)
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


def test_check_resume_takes_the_run_settings_and_writes_nothing(tmp_path: Path) -> None:
    from reasoningbank.bench.manifest import check_resume

    run_dir = tmp_path / "run"
    tasks = TASKS[:2]
    settings = RunSettings(model="scripted", preset="paper", max_steps=4, progress=False)
    assert check_resume(run_dir, tasks, ["none"], HashEmbedder(), settings) is False
    assert not run_dir.exists()
    with pytest.raises(ValueError, match="methods are repeated"):
        check_resume(run_dir, tasks, ["none", "none"], HashEmbedder(), settings)
    with pytest.raises(ValueError, match="must name the model"):
        check_resume(run_dir, tasks, ["none"], HashEmbedder(), RunSettings(preset="paper"))
    # the run writes the manifest that the same settings check against
    run_stream(FamilyEnv, tasks, ["none"], ScriptedLLM(default=respond), HashEmbedder(), run_dir, settings)
    assert check_resume(run_dir, tasks, ["none"], HashEmbedder(), settings) is True
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["model"] == "scripted" and manifest["record_version"] == 1
    with pytest.raises(ManifestMismatchError, match="max_steps"):
        check_resume(run_dir, tasks, ["none"], HashEmbedder(), RunSettings(model="scripted", preset="paper"))
    with pytest.raises(ManifestMismatchError, match="model"):
        other = RunSettings(model="other", preset="paper", max_steps=4)
        check_resume(run_dir, tasks, ["none"], HashEmbedder(), other)


def test_a_run_recorded_before_record_versions_resumes(tmp_path: Path) -> None:
    tasks = TASKS[:3]
    run(tmp_path, ScriptedLLM(default=respond), methods=["reasoningbank"], tasks=tasks[:2])
    run_dir = tmp_path / "run"
    # rewrite the run as the code before versioned records wrote it
    manifest = json.loads((run_dir / "run.json").read_text())
    del manifest["record_version"]
    manifest["tasks"] = [{"family": t.family, "seed": t.seed} for t in tasks]
    (run_dir / "run.json").write_text(json.dumps(manifest))
    path = run_dir / "reasoningbank" / "records.jsonl"
    old = [{k: v for k, v in r.items() if k != "record_version"} for r in read_records(path)]
    path.write_text("".join(json.dumps(r) + "\n" for r in old))
    env = FamilyEnv()
    res = run(tmp_path, ScriptedLLM(default=respond), env, methods=["reasoningbank"], tasks=tasks)
    assert res.resumed and env.resets == 1  # only the third task ran
    assert [r.index for r in res.records["reasoningbank"]] == [0, 1, 2]
    assert "record_version" not in json.loads((run_dir / "run.json").read_text())


def test_the_feedback_arm_learns_from_the_score_and_says_so(tmp_path: Path) -> None:
    llm = ScriptedLLM(default=respond)
    run(tmp_path, llm, methods=["reasoningbank", "reasoningbank+feedback"])
    judged = read_records(tmp_path / "run" / "reasoningbank" / "records.jsonl")
    fed = read_records(tmp_path / "run" / "reasoningbank+feedback" / "records.jsonl")
    # the feedback arm's labels are the benchmark's (zip: success), the judge's are not (zip: failure)
    assert [r["judge_label"] for r in fed] == ["success" if r["success"] else "failure" for r in fed]
    assert [r["judge_label"] for r in judged if r["family"] == "zip"] == ["failure", "failure"]
    assert all(r["feedback"] and r["judge_source"] == "outcome" for r in fed)
    assert all(r["llm"]["judge"]["calls"] == 0 for r in fed)  # no judge asked
    assert not any(r["feedback"] for r in judged)
    assert all(r["judge_source"] == "judge" for r in judged)


def test_items_shown_to_a_task_are_credited_with_its_outcome(tmp_path: Path) -> None:
    run(tmp_path, ScriptedLLM(default=respond), methods=["reasoningbank"])
    run_dir = tmp_path / "run" / "reasoningbank"
    recs = read_records(run_dir / "records.jsonl")
    shown = [r for r in recs if r["retrieved"]]
    assert shown
    with SQLiteStore(run_dir / "bank.db") as store:
        items = {it.title: it for exp in store.list("default") for it in exp.items}
        events = store.usage("default", [it.id for exp in store.list("default") for it in exp.items])
    shown_events = [e for e in events if e.shown]
    assert {e.task_id for e in shown_events} == {r["task_id"] for r in shown}
    assert items  # each shown task credited the item it was shown, with its judged label
    by_task = {r["task_id"]: r["judge_label"] for r in recs}
    assert all(e.label == by_task[e.task_id] for e in shown_events)


def test_a_run_recorded_with_the_flat_preset_resumes_and_a_changed_setting_is_named(tmp_path: Path) -> None:
    from reasoningbank.config import get_preset

    tasks = TASKS[:2]
    run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)
    manifest_path = tmp_path / "run" / "run.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["preset"]["judge"]["temperature"] == 0.0  # written by section now
    # rewrite the preset as the runs before the sections recorded it (benchmarks/runs/*/run.json)
    flat = json.loads(json.dumps(get_preset("paper").flat()))
    manifest_path.write_text(json.dumps({**manifest, "preset": flat}))
    env = FamilyEnv()
    res = run(tmp_path, ScriptedLLM(default=respond), env, methods=["none"], tasks=tasks)
    assert res.resumed and env.resets == 0
    manifest_path.write_text(json.dumps({**manifest, "preset": {**flat, "judge_temperature": 0.5}}))
    with pytest.raises(ManifestMismatchError, match=r"preset: run has .*'temperature': 0\.5"):
        run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)


def test_a_run_recorded_before_the_scale_section_resumes_as_its_defaults(tmp_path: Path) -> None:
    from reasoningbank.config import get_preset

    tasks = TASKS[:2]
    run(tmp_path, ScriptedLLM(default=respond), methods=["none"], tasks=tasks)
    manifest_path = tmp_path / "run" / "run.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["preset"]["scale"] == {"select_among": "all", "stop_on_success": False}
    older = {**manifest, "preset": {k: v for k, v in manifest["preset"].items() if k != "scale"}}
    manifest_path.write_text(json.dumps(older))
    env = FamilyEnv()
    res = run(tmp_path, ScriptedLLM(default=respond), env, methods=["none"], tasks=tasks)
    assert res.resumed and env.resets == 0  # it ran as the defaults do: all rollouts, every pass
    stops = get_preset("paper").with_overrides({"scale": {"stop_on_success": True}})
    settings = RunSettings(preset=stops, max_steps=4, progress=False)
    with pytest.raises(ManifestMismatchError, match=r"preset: run has .*'stop_on_success': False"):
        run_stream(FamilyEnv, tasks, ["none"], ScriptedLLM(default=respond), HashEmbedder(),
                   tmp_path / "run", settings)  # fmt: skip
