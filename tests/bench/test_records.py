"""Typed, versioned bench records: old lines load, new ones round-trip, torn lines are dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.bench.records import (
    RECORD_VERSION,
    LLMUsage,
    PendingEpisode,
    RunManifest,
    TaskRecord,
    TrajectoryLine,
    UsageRecord,
    read_task_records,
    read_trajectory_lines,
)
from reasoningbank.bench.rundata import load_run
from reasoningbank.bench.rundir import append_record, read_records
from reasoningbank.models import Trajectory, Usage

# A line of benchmarks/runs/compare8/awm/records.jsonl, as recorded (no record_version).
COMPARE8_LINE = (
    r'{"family": "enter-password", "goal": "Enter the password \"sREKc\" into both text fields a'
    r'nd press submit.", "index": 56, "items_learned": [{"content": "Use when a form asks for tw'
    r"o separate passwords.\n<think>Fill the first password field.</think>\n<action>type({passwo"
    r"rd-field-1}, \"{password}\")</action>\n<think>Then fill the second password field.</think>"
    r'\n<action>type({password-field-2}, \"{password}\")</action>", "description": "Use when a f'
    r'orm asks for two separate passwords.", "origin": "workflow", "title": "Enter password into'
    r' both text fields"}], "judge_label": "success", "judge_parsed": true, "llm": {"action": {"'
    r'calls": 7, "completion_tokens": 427, "cost": 0.0, "prompt_tokens": 6149, "seconds": 60.644'
    r', "total_tokens": 6576}, "extraction": {"calls": 1, "completion_tokens": 600, "cost": 0.0,'
    r' "prompt_tokens": 861, "seconds": 42.0793, "total_tokens": 1461}, "judge": {"calls": 1, "c'
    r'ompletion_tokens": 43, "cost": 0.0, "prompt_tokens": 534, "seconds": 11.4539, "total_token'
    r's": 577}, "total": {"calls": 9, "completion_tokens": 1070, "cost": 0.0, "prompt_tokens": 7'
    r'544, "seconds": 114.1772, "total_tokens": 8614}}, "memory_chars": 1007, "memory_size": 13,'
    r' "method": "awm", "parse_failures": 0, "recovered": false, "retrieved": ["Enter both passw'
    r'ord fields with the same value"], "retrieved_from": ["enter-password:8"], "score": 0.0, "s'
    r'econds": 115.483, "seed": 9, "steps": 6, "success": false, "task_id": "enter-password:9"}'
)
COMPARE8 = Path(__file__).resolve().parents[2] / "benchmarks" / "runs" / "compare8"


def _new_record(index: int = 0, **update: Any) -> TaskRecord:
    fields: dict[str, Any] = {
        "method": "reasoningbank",
        "index": index,
        "task_id": f"a:{index}",
        "family": "a",
        "seed": index,
        "goal": "Type Ada.",
        "score": 1.0,
        "success": True,
        "judge_label": "success",
        "judge_parsed": True,
        "steps": 2,
        "parse_failures": 0,
        "llm": LLMUsage(action=UsageRecord.of(Usage(calls=2, prompt_tokens=10, completion_tokens=3))),
        "items_learned": [{"title": "t", "description": "d", "content": "c", "origin": "success"}],
        "memory_size": 1,
        "retrieved": ["x"],
        "retrieved_from": ["a:9"],
        "memory_chars": 12,
        "recovered": False,
        "seconds": 1.5,
    }
    return TaskRecord.model_validate({**fields, **update})


def test_an_old_record_line_from_compare8_loads(tmp_path: Path) -> None:
    assert "record_version" not in json.loads(COMPARE8_LINE)
    path = tmp_path / "records.jsonl"
    path.write_text(COMPARE8_LINE + "\n")
    (r,) = read_task_records(path)
    assert r.record_version == 1
    assert (r.method, r.index, r.task_id, r.family, r.seed) == (
        "awm",
        56,
        "enter-password:9",
        "enter-password",
        9,
    )
    assert r.success is False and r.score == 0.0 and r.judge_label == "success" and r.judge_parsed is True
    assert r.llm.total.total_tokens == 8614 and r.llm.by_role()["judge"].calls == 1
    assert r.items_learned[0].origin == "workflow" and r.items_learned[0].title.startswith("Enter password")
    assert r.retrieved == ["Enter both password fields with the same value"]
    assert r.retrieved_from == ["enter-password:8"] and r.memory_size == 13 and r.memory_chars == 1007


@pytest.mark.skipif(not COMPARE8.exists(), reason="the committed compare8 run is not in this checkout")
def test_the_committed_compare8_run_loads() -> None:
    run = load_run(COMPARE8)  # reads only
    assert run.methods == ["none", "synapse", "awm", "reasoningbank", "reasoningbank@paper"]
    assert all(len(recs) == 60 for recs in run.records.values())
    assert run.manifest.preset_name == "small-local" and len(run.manifest.tasks) == 60
    assert run.manifest.model_extra == {"benchmark": "miniwob", "order": "interleaved"}
    lines = read_trajectory_lines(COMPARE8 / "synapse" / "trajectories.jsonl")
    assert len(lines) == 60 and all(ln.record_version == 1 and ln.judge is not None for ln in lines)


def test_fields_added_after_the_first_runs_have_defaults(tmp_path: Path) -> None:
    old = _new_record().model_dump(mode="json")
    for key in ("record_version", "goal", "memory_chars", "retrieved_from"):
        del old[key]
    r = TaskRecord.model_validate(old)
    assert (r.record_version, r.goal, r.memory_chars, r.retrieved_from) == (1, "", 0, [])


def test_a_new_record_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    records = [_new_record(0), _new_record(1, success=False, score=0.0, judge_label=None, judge_parsed=None)]
    for r in records:
        append_record(path, r.model_dump(mode="json"))
    raw = read_records(path)
    assert all(line["record_version"] == RECORD_VERSION for line in raw)
    assert raw[0]["llm"]["action"] == {
        "calls": 2,
        "prompt_tokens": 10,
        "completion_tokens": 3,
        "total_tokens": 13,
        "cost": 0.0,
        "seconds": 0.0,
    }
    assert read_task_records(path) == records


def test_a_torn_last_line_is_dropped_and_a_broken_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    for i in range(3):
        append_record(path, _new_record(i).model_dump(mode="json"))
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # the crash cut the third line
    assert [r.index for r in read_task_records(path)] == [0, 1]
    lines = text.splitlines()
    path.write_text("\n".join([lines[0], lines[1][:30], lines[2]]) + "\n")
    with pytest.raises(ValueError, match="line 2 is not valid JSON"):
        read_task_records(path)


def test_unknown_fields_are_ignored_and_newer_versions_refused(tmp_path: Path) -> None:
    line = _new_record().model_dump(mode="json")
    r = TaskRecord.model_validate({**line, "verdict_confidence": 0.9})
    assert r == _new_record()
    path = tmp_path / "records.jsonl"
    append_record(path, {**line, "record_version": RECORD_VERSION + 1})
    with pytest.raises(ValueError, match=r"(?s)record 1 is not a valid TaskRecord.*record_version"):
        read_task_records(path)


def test_old_trajectory_lines_and_pending_episodes_load() -> None:
    steps = [{"thought": "t", "action": "click(1)"}]
    trajectory = Trajectory(task_id="a:0", query="Type Ada.", steps=steps).model_dump(mode="json")
    verdict = {
        "label": "failure",
        "thoughts": "no",
        "judge_model": "m",
        "parsed": True,
        "raw": "Status: failure",
    }
    line = TrajectoryLine.model_validate(
        {"index": 0, "task_id": "a:0", "trajectory": trajectory, "judge": verdict}
    )
    assert line.record_version == 1 and line.judge is not None and line.judge.label == "failure"
    assert line.trajectory == Trajectory.model_validate(trajectory)
    unjudged = TrajectoryLine.model_validate(
        {"index": 1, "task_id": "a:1", "trajectory": trajectory, "judge": None}
    )
    assert unjudged.judge is None
    # pending.json as the runner wrote it before records were versioned
    old_pending = {
        "index": 3,
        "task_id": "a:3",
        "goal": "Type Ada.",
        "trajectory": trajectory,
        "score": 1.0,
        "steps": 1,
        "parse_failures": 0,
        "action_usage": Usage(calls=1, prompt_tokens=5).model_dump(mode="json"),
        "retrieved": [{"title": "t", "origin": "success", "from_task": "a:0"}],
        "memory_chars": 40,
        "episode_seconds": 2.5,
    }
    pending = PendingEpisode.model_validate(old_pending)
    assert pending.action_usage.prompt_tokens == 5 and pending.retrieved[0].from_task == "a:0"
    again = pending.model_dump(mode="json")
    assert again.pop("record_version") == RECORD_VERSION
    assert again["retrieved"][0].pop("item_id") is None  # added later: old files lack it
    assert again == old_pending


def test_the_manifest_keeps_keys_it_does_not_know() -> None:
    m = RunManifest.model_validate(
        {
            "model": "x",
            "preset": {"name": "paper", "k": 1},
            "tasks": [{"family": "a", "seed": 0}],
            "order": "blocked",
        }
    )
    assert m.preset_name == "paper" and m.tasks[0].family == "a" and m.record_version == 1
    assert m.model_dump(mode="json")["order"] == "blocked"
    assert RunManifest.model_validate({"preset": "small-local"}).preset_name == "small-local"
