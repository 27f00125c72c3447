"""Wall time of parallel MaTTS at k=3 against k=1, against an LLM double that serves requests concurrently.

The double answers like a hosted model: every call waits ``--latency`` seconds (the wait releases
the interpreter, so concurrent calls overlap, as they do against a real API) and then replies by
role: the agent types the value and submits, the best-of-N selector picks 1, the contrast
extractor returns one item. Each rollout plays a scripted form in its own environment. The same
tasks run at k=1 and at k=3 (max concurrency 3), in one run, and the result is the ratio of the
mean wall time per task::

    python benchmarks/matts_concurrency.py --tasks 5 --latency 0.3

Target: k=3 at no more than 1.5x the wall time of k=1 (the three rollouts overlap; what cannot
overlap is the selection and the single contrast extraction after them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Sequence
from typing import Any

from reasoningbank import ReasoningBank
from reasoningbank.bench.agent import ReActAgent
from reasoningbank.bench.envs.base import TaskSpec
from reasoningbank.bench.envs.scripted import ScriptedEnvironment
from reasoningbank.embed import HashEmbedder
from reasoningbank.llm import LLMResponse, Message
from reasoningbank.models import Trajectory
from reasoningbank.scaling import MaTTS, RolloutRequest
from reasoningbank.stores import InMemoryStore

ITEM = {
    "title": "Type, then submit",
    "description": "d",
    "content": "Type the value first, then press Submit.",
}


class LatencyLLM:
    """A thread-safe LLM double: waits ``latency`` seconds per call, then answers by role."""

    def __init__(self, latency: float) -> None:
        self.model = "latency-double"
        self.latency = latency
        self.calls = 0
        self._lock = threading.Lock()

    def complete(self, messages: Sequence[Message], **kwargs: Any) -> LLMResponse:
        time.sleep(self.latency)
        with self._lock:
            self.calls += 1
        system, user = messages[0]["content"], messages[-1]["content"]
        if system.startswith("You compare several trajectories"):
            text = '{"index": 1, "analysis": "the first typed the value"}'
        elif system.startswith("You are an agent"):
            text = '{"thought": "type", "action": "type", "id": 2, "text": "Ada"}'
            if "value='Ada'" in user or 'value="Ada"' in user:
                text = '{"thought": "submit", "action": "click", "id": 1, "text": ""}'
        else:
            text = json.dumps({"items": [ITEM]})
        return LLMResponse(text=text, model=self.model, prompt_tokens=100, completion_tokens=20)


def rollout_for(llm: LatencyLLM, task: TaskSpec):  # type: ignore[no-untyped-def]
    def rollout(request: RolloutRequest) -> Trajectory:
        env = ScriptedEnvironment(fields={"name": "Ada"})  # its own environment per call
        agent = ReActAgent(llm, max_steps=4, memory_text=request.memory, json_actions=True)  # type: ignore[arg-type]
        traj = agent.run(env, task).trajectory
        return traj.model_copy(update={"meta": {**traj.meta, "stop_reason": "done"}})

    return rollout


def time_tasks(k: int, n_tasks: int, latency: float) -> list[float]:
    llm = LatencyLLM(latency)
    bank = ReasoningBank.from_preset(InMemoryStore(), HashEmbedder(dim=64), llm, "small-local")  # type: ignore[arg-type]
    matts = MaTTS(bank, llm, mode="parallel", k=k, max_concurrency=3)  # type: ignore[arg-type]
    seconds = []
    for i in range(n_tasks):
        task = TaskSpec("form", i)
        started = time.perf_counter()
        matts.run(task.task_id, 'Enter "Ada" into the name field and press Submit.', rollout_for(llm, task))
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per model call")
    args = parser.parse_args(argv)
    one = time_tasks(1, args.tasks, args.latency)
    three = time_tasks(3, args.tasks, args.latency)
    ratio = statistics.mean(three) / statistics.mean(one)
    print(f"latency {args.latency:.2f} s per call, {args.tasks} tasks each, max concurrency 3")
    print("| k | mean s / task | min | max |")
    print("|---|---|---|---|")
    for k, s in ((1, one), (3, three)):
        print(f"| {k} | {statistics.mean(s):.2f} | {min(s):.2f} | {max(s):.2f} |")
    print(f"\nratio k=3 / k=1: {ratio:.2f} (target <= 1.5)")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
