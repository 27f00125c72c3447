from __future__ import annotations

import json

import pytest

from reasoningbank.judge import JUDGE_JSON_SCHEMA, LLMJudge, normalise_status, parse_verdict_text
from reasoningbank.llm import ScriptedLLM
from reasoningbank.models import Step, Trajectory


def _traj(n_steps: int = 2, **kw: object) -> Trajectory:
    steps = [Step(thought=f"thinking {i}", action=f"click({i})") for i in range(1, n_steps + 1)]
    return Trajectory(task_id="t1", query="Buy the cheapest red mug", steps=steps, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ('Thoughts: the order was placed.\nStatus: "success"', "success"),
        ('Thoughts: nothing happened.\nStatus: "failure"', "failure"),
        ("Thoughts: no.\nStatus: unsuccessful", "failure"),
        ("Thoughts: no.\nStatus: not successful", "failure"),
        ("Thoughts: no.\n**Status:** 'Failed.'", "failure"),
        ("Some preamble\n\n- **Status**: `Success`!", "success"),
        ('{"thoughts": "done", "status": "success"}', "success"),
        ('```json\n{"thoughts": "wrong item", "status": "failure"}\n```', "failure"),
        ("SUCCESS", "success"),
        # an echoed format line is ignored; the later real answer counts
        ('Status: "success" or "failure"\nThoughts: it broke\nStatus: failure', "failure"),
    ],
)
def test_parse_table(text: str, label: str) -> None:
    got, _ = parse_verdict_text(text)
    assert got == label


def test_parse_garbage_and_ambiguous() -> None:
    assert parse_verdict_text("I am not sure what happened here at all.")[0] is None
    assert normalise_status('"success" or "failure"') is None
    assert normalise_status("partial") is None


def test_thoughts_extracted() -> None:
    _, thoughts = parse_verdict_text('Thoughts: the cart shows the mug.\nStatus: "success"')
    assert thoughts == "the cart shows the mug."


def test_judge_prompt_content_and_temperature() -> None:
    llm = ScriptedLLM(['Thoughts: fine\nStatus: "success"'])
    traj = _traj(3, final_answer="Bought it", meta={"gt_score": "SECRET-GROUND-TRUTH"})
    traj.steps[-1].observation = "Order #1 confirmed"
    verdict, usage = LLMJudge(llm).judge(traj)
    assert verdict.label == "success" and verdict.parsed and verdict.thoughts == "fine"
    assert verdict.judge_model == "scripted"
    call = llm.calls[0]
    assert call.temperature == 0.0 and call.json_schema is None
    user = call.messages[1]["content"]
    assert "Buy the cheapest red mug" in user
    assert "1: click(1)" in user and "3: click(3)" in user
    assert "Order #1 confirmed" in user  # final state = last observation
    assert "Bought it" in user
    assert "SECRET-GROUND-TRUTH" not in json.dumps(call.messages)
    assert usage.calls == 1 and usage.prompt_tokens > 0


def test_final_state_falls_back_to_last_thought() -> None:
    llm = ScriptedLLM(["Status: failure"])
    LLMJudge(llm).judge(_traj(2))
    assert "thinking 2" in llm.calls[0].messages[1]["content"]
    assert "N/A" in llm.calls[0].messages[1]["content"]


def test_garbage_retries_once_then_unparsed_failure() -> None:
    llm = ScriptedLLM(["blah blah", "still nothing useful"])
    verdict, usage = LLMJudge(llm).judge(_traj())
    assert verdict.label == "failure" and not verdict.parsed
    assert "could not be parsed" in verdict.thoughts
    assert "blah blah" in verdict.raw and "still nothing useful" in verdict.raw
    assert usage.calls == 2
    retry_msgs = llm.calls[1].messages
    assert retry_msgs[-2] == {"role": "assistant", "content": "blah blah"}
    assert "Status" in retry_msgs[-1]["content"]


def test_retry_success() -> None:
    llm = ScriptedLLM(["???", 'Thoughts: ok\nStatus: "success"'])
    verdict, usage = LLMJudge(llm).judge(_traj())
    assert verdict.label == "success" and verdict.parsed and usage.calls == 2


def test_small_local_uses_json_schema() -> None:
    llm = ScriptedLLM(['{"thoughts": "typed first", "status": "success"}'])
    verdict, _ = LLMJudge(llm, prompt="small-local", max_tokens=300).judge(_traj())
    assert verdict.label == "success" and verdict.thoughts == "typed first"
    assert llm.calls[0].json_schema == JUDGE_JSON_SCHEMA and llm.calls[0].max_tokens == 300
    assert "JSON" in llm.calls[0].messages[0]["content"]


def test_long_trajectory_is_truncated_with_elision_note() -> None:
    llm = ScriptedLLM(["Status: success"])
    LLMJudge(llm).judge(_traj(100))
    user = llm.calls[0].messages[1]["content"]
    assert "1: click(1)" in user and "100: click(100)" in user
    assert "50: click(50)" not in user
    assert "[... 70 steps omitted ...]" in user


def test_unknown_prompt_rejected() -> None:
    with pytest.raises(ValueError, match="unknown judge prompt"):
        LLMJudge(ScriptedLLM(), prompt="nope")  # type: ignore[arg-type]


def test_action_history_names_the_target_of_each_action() -> None:
    from reasoningbank.text.formatting import action_history, think_action_blocks

    traj = Trajectory(
        task_id="t",
        query="Type Bob and submit",
        steps=[
            Step(thought="type", action='type(1, "Bob")', target="input_text name='tt' value=''"),
            Step(thought="submit", action="click(2)", target="button 'Submit'"),
            Step(thought="stop", action="done()"),
        ],
    )
    history = action_history(traj)
    assert "2: click(2)  # on button 'Submit'" in history
    assert "3: done()" in history and "3: done()  #" not in history
    assert "click(2)  # on button 'Submit'" in think_action_blocks(traj)
