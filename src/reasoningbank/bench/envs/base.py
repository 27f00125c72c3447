"""The environment seam the agent acts in.

``reset`` starts an episode and returns the goal and the first observation;
``step`` applies one action; ``evaluate`` returns the benchmark's own score.
The score is for reporting only: it is never shown to the judge or the memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class TaskSpec:
    """One task instance of a stream: a family (e.g. ``enter-text``) and a seed."""

    family: str
    seed: int

    @property
    def task_id(self) -> str:
        return f"{self.family}:{self.seed}"


@dataclass
class Observation:
    goal: str
    text: str
    done: bool = False
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


class ActionError(ValueError):
    """An action the environment cannot parse or apply (the agent sees the message)."""


@runtime_checkable
class Environment(Protocol):
    def reset(self, task: TaskSpec) -> Observation: ...

    def step(self, action: str) -> Observation: ...

    def evaluate(self) -> float:
        """The benchmark's own score of the episode so far (1.0 = success)."""
        ...

    def close(self) -> None: ...
