"""Trajectory file loaders: every format, overrides, and errors naming file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reasoningbank.models import Step, Trajectory
from reasoningbank.trajio import (
    TrajectoryFileError,
    example_path,
    load_trajectories,
    parse_trajectories,
    split_action,
    strip_instance_template,
)


def _traj(task_id: str = "t1", query: str = "Buy milk") -> dict[str, Any]:
    return Trajectory(
        task_id=task_id,
        query=query,
        steps=[Step(thought="look", action="click(1)", observation="ok")],
        final_answer="done",
    ).model_dump(mode="json")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- our formats


def test_native_single_object(tmp_path: Path) -> None:
    p = _write(tmp_path, "one.json", json.dumps(_traj(), indent=2))
    [t] = load_trajectories(p)
    assert t.task_id == "t1" and t.query == "Buy milk"
    assert t.steps[0].action == "click(1)" and t.final_answer == "done"


def test_native_list(tmp_path: Path) -> None:
    p = _write(tmp_path, "many.json", json.dumps([_traj("a"), _traj("b")]))
    assert [t.task_id for t in load_trajectories(p)] == ["a", "b"]


def test_native_jsonl_with_blank_lines(tmp_path: Path) -> None:
    text = json.dumps(_traj("a")) + "\n\n" + json.dumps(_traj("b")) + "\n"
    p = _write(tmp_path, "many.jsonl", text)
    assert [t.task_id for t in load_trajectories(p)] == ["a", "b"]


def test_jsonl_detected_without_extension(tmp_path: Path) -> None:
    p = _write(tmp_path, "data.txt", json.dumps(_traj("a")) + "\n" + json.dumps(_traj("b")))
    assert len(load_trajectories(p)) == 2


def test_overrides_apply(tmp_path: Path) -> None:
    p = _write(tmp_path, "one.json", json.dumps(_traj()))
    [t] = load_trajectories(p, task_id="x9", query="Sell milk")
    assert (t.task_id, t.query) == ("x9", "Sell milk")


def test_override_fills_missing_task_id(tmp_path: Path) -> None:
    data = _traj()
    del data["task_id"]
    p = _write(tmp_path, "one.json", json.dumps(data))
    assert load_trajectories(p, task_id="given")[0].task_id == "given"


def test_bundled_example_loads() -> None:
    trajs = load_trajectories(example_path())
    assert len(trajs) == 2
    failed, ok = trajs
    assert "Submit" in failed.steps[0].action or "submit" in failed.steps[0].action
    assert len(failed.steps) == 1 and len(ok.steps) == 2
    assert ok.steps[0].action.startswith("fill(")


def test_repo_example_matches_packaged_copy() -> None:
    repo_copy = Path(__file__).resolve().parents[1] / "examples" / "example_trajectories.jsonl"
    assert repo_copy.read_text() == example_path().read_text()


def test_repo_chat_example_loads() -> None:
    path = Path(__file__).resolve().parents[1] / "examples" / "chat_transcript.json"
    [t] = load_trajectories(path)
    assert t.task_id == "checkbox-demo" and len(t.steps) == 3
    assert [s.action for s in t.steps] == ['click("cb-red")', 'click("cb-blue")', 'click("submit")']


# --------------------------------------------------------------------------- chat transcripts


def test_openai_messages_list(tmp_path: Path) -> None:
    msgs = [
        {"role": "system", "content": "You are an agent."},
        {"role": "user", "content": "Find the price of apples."},
        {"role": "assistant", "content": "I should search.\n```python\nsearch('apples')\n```\nThen read."},
        {"role": "tool", "content": "apples: $3"},
        {"role": "user", "content": "continue"},
        {"role": "assistant", "content": "The price is $3."},
    ]
    p = _write(tmp_path, "chat-42.json", json.dumps(msgs))
    [t] = load_trajectories(p)
    assert t.task_id == "chat-42"
    assert t.query == "Find the price of apples."
    assert len(t.steps) == 2
    first = t.steps[0]
    assert first.action == "search('apples')"
    assert first.thought == "I should search.\n\nThen read."
    assert first.observation == "apples: $3\n\ncontinue"
    assert t.steps[1].action == "The price is $3." and t.steps[1].observation is None
    assert t.final_answer == "The price is $3."
    assert t.meta["system"] == "You are an agent."


def test_openai_messages_wrapper_tool_calls_and_action_tag(tmp_path: Path) -> None:
    doc = {
        "task_id": "shop-1",
        "extra_key": 5,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Order a pen."}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "open", "arguments": '{"u": 1}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "page opened"},
            {"role": "assistant", "content": "Now buy. <action>click('buy')</action>"},
            {"role": "user", "content": "bought"},
        ],
    }
    p = _write(tmp_path, "x.json", json.dumps(doc))
    [t] = load_trajectories(p)
    assert t.task_id == "shop-1" and t.query == "Order a pen."
    assert t.steps[0].action == 'open({"u": 1})' and t.steps[0].observation == "page opened"
    assert t.steps[1].thought == "Now buy." and t.steps[1].action == "click('buy')"
    assert t.final_answer is None
    assert t.meta["extra_key"] == 5


def test_jsonl_of_chat_transcripts_gets_numbered_ids(tmp_path: Path) -> None:
    line = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    p = _write(tmp_path, "chats.jsonl", json.dumps(line) + "\n" + json.dumps(line) + "\n")
    assert [t.task_id for t in load_trajectories(p)] == ["chats#1", "chats#2"]


def test_split_action_without_markup() -> None:
    assert split_action("  just text ") == ("", "just text", False)
    assert split_action("a <ACTION>x</ACTION> b") == ("a\n\nb", "x", True)


def test_chat_without_user_message_is_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.json", json.dumps([{"role": "assistant", "content": "hi"}]))
    with pytest.raises(TrajectoryFileError, match=r"c\.json:1: .*no query"):
        load_trajectories(p)


def test_unknown_role_names_message(tmp_path: Path) -> None:
    msgs = [{"role": "user", "content": "q"}, {"role": "robot", "content": "x"}]
    p = _write(tmp_path, "c.json", json.dumps({"messages": msgs}))
    with pytest.raises(TrajectoryFileError) as err:
        load_trajectories(p)
    assert err.value.field == "messages.1.role" and "robot" in str(err.value)


# --------------------------------------------------------------------------- mini-swe-agent


def _mini_swe(submission: str | None = "diff --git a/x b/x") -> dict[str, Any]:
    info: dict[str, Any] = {"exit_status": "Submitted", "model_stats": {"instance_cost": 0.1, "api_calls": 2}}
    if submission is not None:
        info["submission"] = submission
    return {
        "info": info,
        "messages": [
            {"role": "system", "content": "You are a helpful assistant that can interact with a computer."},
            {
                "role": "user",
                "content": "<pr_description>\nConsider the following PR description:\n"
                "Fix the off-by-one in range_sum\n</pr_description>\n\n<instructions>\nlots of rules\n"
                "</instructions>",
            },
            {
                "role": "assistant",
                "content": "THOUGHT: look at the code.\n\n```bash\ngrep -n range_sum -r .\n```",
            },
            {"role": "user", "content": "<returncode>0</returncode>\n<output>\n./m.py:3\n</output>"},
            {
                "role": "assistant",
                "content": "THOUGHT: done.\n\n```bash\n"
                "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff\n```",
            },
            {"role": "user", "content": "diff --git a/x b/x"},
        ],
        "trajectory_format": "mini-swe-agent-1",
    }


def test_mini_swe_agent_traj(tmp_path: Path) -> None:
    p = _write(tmp_path, "django__django-1.traj.json", json.dumps(_mini_swe(), indent=1))
    [t] = load_trajectories(p)
    assert t.task_id == "django__django-1"
    assert t.query == "Fix the off-by-one in range_sum"
    assert [s.action for s in t.steps] == [
        "grep -n range_sum -r .",
        "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff",
    ]
    assert t.steps[0].thought == "THOUGHT: look at the code."
    assert t.steps[0].observation is not None and "./m.py:3" in t.steps[0].observation
    assert t.final_answer == "diff --git a/x b/x"
    assert t.meta["info"]["exit_status"] == "Submitted"
    assert "lots of rules" in t.meta["instance_prompt"]


def test_mini_swe_agent_instance_id_and_no_submission(tmp_path: Path) -> None:
    doc = _mini_swe(submission=None)
    doc["info"]["instance_id"] = "astropy__astropy-7"
    p = _write(tmp_path, "whatever.json", json.dumps(doc))
    [t] = load_trajectories(p)
    assert t.task_id == "astropy__astropy-7" and t.final_answer is None


def test_strip_default_template() -> None:
    text = "Please solve this issue: make tests pass\n\nYou can execute bash commands and edit files."
    assert strip_instance_template(text) == "make tests pass"
    assert strip_instance_template("plain task") == "plain task"


# --------------------------------------------------------------------------- errors


def test_malformed_json_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "bad.json", '{\n  "task_id": "a",\n  "query": oops\n}')
    with pytest.raises(TrajectoryFileError) as err:
        load_trajectories(p)
    assert err.value.line == 3
    assert str(err.value).startswith(f"{p}:3: invalid JSON")


def test_malformed_jsonl_names_line(tmp_path: Path) -> None:
    text = json.dumps(_traj("a")) + "\n" + json.dumps(_traj("b")) + "\n\n{not json\n"
    p = _write(tmp_path, "bad.jsonl", text)
    with pytest.raises(TrajectoryFileError) as err:
        load_trajectories(p)
    assert err.value.line == 4 and f"{p}:4:" in str(err.value)


def test_schema_error_in_jsonl_names_line_and_field(tmp_path: Path) -> None:
    bad = _traj("b")
    bad["steps"][0]["action"] = 12
    p = _write(tmp_path, "s.jsonl", json.dumps(_traj("a")) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(TrajectoryFileError) as err:
        load_trajectories(p)
    assert err.value.line == 2 and err.value.field == "steps.0.action"
    assert "steps.0.action" in str(err.value)


def test_schema_error_in_json_list_names_element_line(tmp_path: Path) -> None:
    bad = _traj("b")
    bad["query"] = "   "
    p = _write(tmp_path, "l.json", json.dumps([_traj("a"), bad], indent=2))
    with pytest.raises(TrajectoryFileError) as err:
        load_trajectories(p)
    starts = [n for n, ln in enumerate(p.read_text().splitlines(), start=1) if ln == "  {"]
    expected_line = starts[1]
    assert err.value.line == expected_line and err.value.field == "query"


def test_missing_field_and_unknown_field(tmp_path: Path) -> None:
    data = _traj()
    del data["query"]
    p = _write(tmp_path, "m.json", json.dumps(data))
    with pytest.raises(TrajectoryFileError, match="field 'query'"):
        load_trajectories(p)
    data = _traj()
    data["surprise"] = 1
    p2 = _write(tmp_path, "u.json", json.dumps(data))
    with pytest.raises(TrajectoryFileError, match="field 'surprise'"):
        load_trajectories(p2)


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "empty"), ("[]", "empty list"), ("42", "expected a JSON object or list"), ("[1]", "got int")],
)
def test_degenerate_files(tmp_path: Path, text: str, needle: str) -> None:
    p = _write(tmp_path, "d.json", text)
    with pytest.raises(TrajectoryFileError, match=needle):
        load_trajectories(p)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TrajectoryFileError, match="no such file"):
        load_trajectories(tmp_path / "nope.json")
    with pytest.raises(TrajectoryFileError, match="directory"):
        load_trajectories(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "b.json"
    p.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(TrajectoryFileError, match="UTF-8"):
        load_trajectories(p)


def test_parse_trajectories_source_name() -> None:
    with pytest.raises(TrajectoryFileError, match=r"^<stdin>:1: "):
        parse_trajectories("{", source="<stdin>")
