"""Fakes for the bench tests: a form environment per task family, a scripted model
that plays the agent, the judge and the extractor, and a helper that runs a stream."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reasoningbank.bench.envs.base import Observation, TaskSpec
from reasoningbank.bench.envs.scripted import ScriptedEnvironment
from reasoningbank.bench.runner import StreamResult, run_stream
from reasoningbank.bench.settings import RunSettings
from reasoningbank.bench.stream import make_stream
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import Message, ScriptedLLM

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


def run(tmp_path: Path, llm: ScriptedLLM, env: FamilyEnv | None = None, **kw: Any) -> StreamResult:
    """Run the stream into ``tmp_path / "run"`` with the paper preset, 4 steps, no progress bar."""
    env = env or FamilyEnv()
    return run_stream(
        lambda: env,
        kw.pop("tasks", TASKS),
        kw.pop("methods", METHODS),
        llm,
        HashEmbedder(),
        tmp_path / "run",
        RunSettings(preset="paper", max_steps=4, progress=False, **kw),
    )
