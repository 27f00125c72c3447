"""What the runner needs of an agent: the protocols it calls, and the default factory.

The runner builds one agent per task from the rendered memory block; tests pass
scripted agents through the same seam.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..llm import LLM
from ..models import Trajectory, Usage
from .envs.base import Environment, TaskSpec


class AgentResultLike(Protocol):
    @property
    def trajectory(self) -> Trajectory: ...

    @property
    def usage(self) -> Usage: ...

    @property
    def steps(self) -> int: ...

    @property
    def parse_failures(self) -> int: ...


class AgentLike(Protocol):
    def run(self, env: Environment, task: TaskSpec) -> AgentResultLike: ...


AgentFactory = Callable[[str], AgentLike]
"""Builds the agent for one task from the rendered memory block."""


def react_agent_factory(llm: LLM, *, max_steps: int, **agent_kwargs: Any) -> AgentFactory:
    """The default: a :class:`~reasoningbank.bench.agent.ReActAgent` per task."""
    from .agent import ReActAgent

    def make(memory_text: str) -> AgentLike:
        agent: AgentLike = ReActAgent(llm, max_steps=max_steps, memory_text=memory_text, **agent_kwargs)
        return agent

    return make
