"""The ReAct agent on the scripted environment (and once on a real MiniWoB++ page)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest

from reasoningbank.bench.agent import (
    ACTION_JSON_SCHEMA,
    AgentResult,
    OutputFormatError,
    ReActAgent,
    parse_output,
)
from reasoningbank.bench.envs.base import Environment, TaskSpec
from reasoningbank.bench.envs.browser import find_chrome_binary, find_chromedriver
from reasoningbank.bench.envs.scripted import ScriptedEnvironment
from reasoningbank.llm import Message, Responder, ScriptedLLM

TASK = TaskSpec("form", 1)


def act(thought: str, action: str) -> str:
    return f"<think>{thought}</think>\n<action>{action}</action>"


def test_scripted_env_is_an_environment() -> None:
    assert isinstance(ScriptedEnvironment(), Environment)


def test_solves_task_and_records_trajectory() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM([act("type the name", 'type(2, "Ada")'), act("now submit", "click(1)")])
    result = ReActAgent(llm).run(env, TASK)
    assert isinstance(result, AgentResult)
    assert env.evaluate() == 1.0
    assert env.actions == ['type(2, "Ada")', "click(1)"]
    traj = result.trajectory
    assert traj.task_id == "form:1"
    assert traj.query == env.goal()
    assert [s.action for s in traj.steps] == ['type(2, "Ada")', "click(1)"]
    assert traj.steps[0].thought == "type the name"
    assert traj.steps[0].observation is not None and 'value="Ada"' in traj.steps[0].observation
    assert traj.meta["family"] == "form" and traj.meta["seed"] == 1
    assert result.steps == 2 and result.parse_failures == 0 and result.stop_reason == "done"
    # the benchmark score never reaches the trajectory
    dumped = traj.model_dump_json()
    assert "reward" not in dumped and "evaluate" not in dumped


def test_prompt_layout_memory_history_and_temperature() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM([act("t1", 'type(2, "Ada")'), act("t2", "click(1)")])
    memory = "# Memory\n## Type before submitting\nFill every field first."
    ReActAgent(llm, memory_text=memory, temperature=0.3).run(env, TASK)
    first, second = llm.calls
    system = first.messages[0]
    assert system["role"] == "system"
    assert system["content"].endswith("\n\n" + memory)
    assert "click(ID)" in system["content"] and "<action>" in system["content"]
    user = first.messages[1]["content"]
    assert env.goal() in user and '[2] input_text name="name" value=""' in user
    assert first.temperature == 0.3 and first.json_schema is None
    later = second.messages[1]["content"]
    assert "Thought: t1" in later and 'Action: type(2, "Ada")' in later
    assert 'value="Ada"' in later  # the current observation, not the first one


def test_page_last_keeps_earlier_prompts_as_a_prefix() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM([act("t1", 'type(2, "Ada")'), act("t2", "click(1)")])
    ReActAgent(llm, page_last=True).run(env, TASK)
    first, second = (c.messages[1]["content"] for c in llm.calls)
    assert second.index("# History") < second.index("# Current page") < second.index("# Your next step")
    # everything before the first prompt's page is repeated verbatim at the start of the second
    head = first[: first.index("# Current page")]
    assert second.startswith(head) and "Thought: t1" in second[len(head) :]
    paper = ReActAgent.build_user("g", "page", [], None)
    assert paper.index("# Current page") < paper.index("# Your next step")
    assert ReActAgent.build_user("g", "page", [], None, page_last=True) == paper  # no history: same


def test_memory_override_per_run_and_empty_memory() -> None:
    llm = ScriptedLLM(default=act("x", "done()"))
    agent = ReActAgent(llm, memory_text="OLD MEMORY")
    agent.run(ScriptedEnvironment(), TASK, memory_text="NEW MEMORY")
    assert llm.calls[-1].messages[0]["content"].endswith("\n\nNEW MEMORY")
    agent.run(ScriptedEnvironment(), TASK, memory_text="")
    assert "MEMORY" not in llm.calls[-1].messages[0]["content"]
    assert not llm.calls[-1].messages[0]["content"].endswith("\n")


def test_memory_placed_beside_the_page_at_every_step() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM([act("t1", 'type(2, "Ada")'), act("t2", "click(1)")])
    ReActAgent(llm, memory_text="LESSON BLOCK", memory_placement="page", page_last=True).run(env, TASK)
    assert env.evaluate() == 1.0
    for call in llm.calls:
        system, user = call.messages[0]["content"], call.messages[1]["content"]
        assert "LESSON BLOCK" not in system
        assert "# Memory\nLESSON BLOCK\n\n# Current page\n" in user  # right above the page
        assert user.index("# Memory") > user.index("# Goal")
    assert "# History" in llm.calls[1].messages[1]["content"].split("# Memory")[0]
    # no memory: the user message is exactly the system placement's
    plain = ReActAgent.build_user("g", "page", [], None)
    assert ReActAgent.build_user("g", "page", [], None, memory="  ") == plain
    with pytest.raises(ValueError, match="unknown memory placement 'side'"):
        ReActAgent(llm, memory_placement="side")  # type: ignore[arg-type]


def test_reask_after_bad_format_then_success() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM(["I will type the name.", act("ok", 'type(2, "Ada")'), act("", "click(1)")])
    result = ReActAgent(llm).run(env, TASK)
    assert env.evaluate() == 1.0
    assert result.parse_failures == 1 and result.steps == 2
    retry = llm.calls[1].messages
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2]["content"] == "I will type the name."
    assert "<action>" in retry[3]["content"]  # the error tells the model what is missing


def test_reask_after_action_error() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM([act("", "click(9)"), act("", 'type(2, "Ada")'), act("", "click(1)")])
    result = ReActAgent(llm).run(env, TASK)
    assert env.evaluate() == 1.0
    assert result.action_errors == 1 and result.parse_failures == 0
    assert "no element with id 9" in llm.calls[1].messages[-1]["content"]


def test_at_most_max_reasks_calls_per_step_then_failed_step_recorded() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    script: list[str | Responder] = ["garbage"] * 4
    llm = ScriptedLLM([*script, act("", 'type(2, "Ada")'), act("", "click(1)")])
    result = ReActAgent(llm, max_reasks=4).run(env, TASK)
    assert len(llm.calls) == 6
    assert result.parse_failures == 4
    failed = result.trajectory.steps[0]
    assert failed.action == "" and failed.observation is not None
    assert failed.observation.startswith("ERROR:")
    # the failure is shown to the model on the next step, and the agent went on
    assert "Error from your last action" in llm.calls[4].messages[1]["content"]
    assert result.steps == 3 and env.evaluate() == 1.0


def test_step_limit() -> None:
    env = ScriptedEnvironment(fields={"name": "Ada"})
    llm = ScriptedLLM(default=act("again", 'type(2, "Bob")'))
    result = ReActAgent(llm, max_steps=3).run(env, TASK)
    assert result.steps == 3 and len(llm.calls) == 3
    assert result.stop_reason == "max_steps" and result.trajectory.meta["stop_reason"] == "max_steps"
    assert env.evaluate() == 0.0


def test_usage_is_summed_over_all_calls() -> None:
    replies = ["no tags here", act("a b", 'type(2, "Ada")'), act("c", "click(1)")]
    llm = ScriptedLLM(list(replies))
    result = ReActAgent(llm).run(ScriptedEnvironment(fields={"name": "Ada"}), TASK)
    assert result.usage.calls == 3
    assert result.usage.completion_tokens == sum(len(r.split()) for r in replies)
    expected_prompt = sum(sum(len(m["content"].split()) for m in c.messages) for c in llm.calls)
    assert result.usage.prompt_tokens == expected_prompt


def test_json_actions_and_final_answer() -> None:
    env = ScriptedEnvironment(answer="42")
    reply = json.dumps({"thought": "I know it", "action": 'answer("42")'})
    llm = ScriptedLLM([reply])
    result = ReActAgent(llm, json_actions=True).run(env, TASK)
    assert llm.calls[0].json_schema == ACTION_JSON_SCHEMA
    assert '"thought"' in llm.calls[0].messages[0]["content"]
    assert env.evaluate() == 1.0
    assert result.trajectory.final_answer == "42"
    assert result.trajectory.steps[0].thought == "I know it"


def test_custom_system_prompt() -> None:
    llm = ScriptedLLM(default=act("", "done()"))
    ReActAgent(llm, system_prompt="Be brief. Actions:\n{action_grammar}", memory_text="MEM").run(
        ScriptedEnvironment(), TASK
    )
    system = llm.calls[0].messages[0]["content"]
    assert system.startswith("Be brief. Actions:\nclick(ID)") and system.endswith("\n\nMEM")


@pytest.mark.parametrize(
    ("text", "json_mode", "expected"),
    [
        ("<think>a</think><action>click(3)</action>", False, ("a", "click(3)")),
        ("<think>a</think><think>b</think>\n<action> `click(3)` </action>", False, ("a\nb", "click(3)")),
        ("<action>done()", False, ("", "done()")),
        ('```json\n{"thought": "t", "action": "click(2)"}\n```', True, ("t", "click(2)")),
        ('{"thought": "t", "action": "click(2)"}', False, ("t", "click(2)")),  # fallback
        ("<think>x</think><action>click(5)</action>", True, ("x", "click(5)")),  # fallback
    ],
)
def test_parse_output(text: str, json_mode: bool, expected: tuple[str, str]) -> None:
    assert parse_output(text, json_actions=json_mode) == expected


@pytest.mark.parametrize(
    ("text", "json_mode", "msg"),
    [
        ("just text", False, "no <action>"),
        ("<action>click(1)</action><action>click(2)</action>", False, "exactly one"),
        ('{"thought": "t"}', True, '"action"'),
        ('{"thought": "t", "action": ', True, "invalid"),
    ],
)
def test_parse_output_errors(text: str, json_mode: bool, msg: str) -> None:
    with pytest.raises(OutputFormatError, match=re.escape(msg)):
        parse_output(text, json_actions=json_mode)


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="max_steps"):
        ReActAgent(ScriptedLLM(), max_steps=0)
    with pytest.raises(ValueError, match="max_reasks"):
        ReActAgent(ScriptedLLM(), max_reasks=0)


# ----------------------------------------------------------------------------- real browser


def _form_policy(messages: Sequence[Message]) -> str:
    """Reads the goal and page from the prompt: fill the field, then submit."""
    user = messages[1]["content"]
    word = re.search(r'Enter "([^"]*)"', user)
    field = re.search(r"^\[(\d+)\] input_text .*value='([^']*)'", user, re.MULTILINE)
    submit = re.search(r"^\[(\d+)\] button 'Submit'", user, re.MULTILINE)
    assert word and field and submit, user
    if field.group(2) != word.group(1):
        return act("The field is empty; type the word.", f'type({field.group(1)}, "{word.group(1)}")')
    return act("The field is filled; press Submit.", f"click({submit.group(1)})")


@pytest.mark.browser
@pytest.mark.skipif(
    find_chrome_binary() is None or find_chromedriver() is None,
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)
def test_agent_on_real_enter_text() -> None:
    from reasoningbank.bench.envs.miniwob.env import MiniWoBEnv

    with MiniWoBEnv() as env:
        result = ReActAgent(ScriptedLLM(default=_form_policy), max_steps=5).run(
            env, TaskSpec("enter-text", 8)
        )
        assert env.evaluate() == 1.0
    assert result.steps == 2 and result.stop_reason == "done"
    assert result.trajectory.query.startswith("Enter ")
    assert result.trajectory.steps[1].action.startswith("click(")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"thought": "t", "action": "type", "id": 2, "text": 'say "hi"'}, 'type(2, "say \\"hi\\"")'),
        ({"thought": "t", "action": "click", "id": 4, "text": ""}, "click(4)"),
        ({"thought": "t", "action": "answer", "id": 0, "text": "42"}, 'answer("42")'),
        ({"thought": "t", "action": "submit", "id": 0, "text": "42"}, 'answer("42")'),  # the old name
        ({"thought": "t", "action": "done", "id": 0, "text": ""}, "done()"),
        ({"thought": "t", "action": "select", "id": "6", "text": "Blue"}, 'select(6, "Blue")'),
    ],
)
def test_structured_json_actions(reply: dict[str, object], expected: str) -> None:
    assert parse_output(json.dumps(reply), json_actions=True) == ("t", expected)
    assert set(ACTION_JSON_SCHEMA["required"]) == {"thought", "action", "id", "text"}
    assert ACTION_JSON_SCHEMA["properties"]["action"]["enum"] == ["answer", "click", "done", "select", "type"]


def test_structured_json_action_without_id_is_a_format_error() -> None:
    with pytest.raises(OutputFormatError, match="numeric"):
        parse_output(json.dumps({"thought": "t", "action": "click", "text": ""}), json_actions=True)


def test_agent_records_the_target_the_environment_reports() -> None:
    class TargetEnv(ScriptedEnvironment):
        def step(self, action: str):  # type: ignore[no-untyped-def]
            obs = super().step(action)
            obs.info["target"] = "button 'Submit'" if action.startswith("click(1") else "input_text"
            return obs

    env = TargetEnv(fields={"name": "Ada"})
    llm = ScriptedLLM(
        ['<think>t</think><action>type(2, "Ada")</action>', "<think>t</think><action>click(1)</action>"]
    )
    result = ReActAgent(llm, max_steps=3).run(env, TaskSpec("form", 0))
    assert [s.target for s in result.trajectory.steps] == ["input_text", "button 'Submit'"]
