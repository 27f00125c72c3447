"""The facts of an episode that code can read without a model, and without ground truth.

How the episode ended (the agent finished it, or ran out of steps), the errors
its actions raised, its final answer, the values the task names and whether an
action used them, the controls the task says to press and whether one was
pressed, and whether the agent kept repeating one action. Every deployment has
these facts; none of them is the benchmark's score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..models import Step, Trajectory
from ..text.literals import query_literals

Ending = Literal["finished", "step_limit", "unknown"]

# Stop reasons agents write into ``Trajectory.meta`` (ours: "done" / "max_steps"; mini-swe-agent's
# exit statuses too). Anything else is "unknown" and decides nothing.
FINISHED = frozenset({"done", "finished", "answered", "submitted", "completed", "stop"})
STEP_LIMIT = frozenset({"max_steps", "step_limit", "limitsexceeded", "max_turns", "timeout", "truncated"})
_STOP_KEYS = ("stop_reason", "exit_status", "finish_reason")

# "press Submit", "click the Login button", "hit "Search"": a control the task names.
_CONTROL = re.compile(r"\b(?:press|click|hit|tap)\s+(?:on\s+)?(?:the\s+)?[\"“']?([A-Za-z][\w-]*)", re.I)
_NOT_CONTROLS = frozenset({"a", "an", "it", "on", "the", "button", "link", "element", "each", "every", "all"})
_ERROR_PREFIX = "ERROR:"


@dataclass(frozen=True)
class Evidence:
    ending: Ending
    stop_reason: str | None
    steps: int
    action_errors: int
    final_answer: str | None
    values: tuple[str, ...]
    missing_values: tuple[str, ...]
    controls: tuple[str, ...]
    unpressed: tuple[str, ...] | None  # None: the steps name no targets, so it cannot be told
    longest_repeat: int

    def lines(self) -> list[str]:
        """The evidence as short sentences, for a prompt or an audit record."""
        ended = {
            "finished": "The agent ended the episode itself.",
            "step_limit": "The agent ran out of steps before it ended the episode.",
            "unknown": "How the episode ended is not known.",
        }[self.ending]
        out = [ended, f"Steps taken: {self.steps}; actions that raised an error: {self.action_errors}."]
        if self.values:
            used = [v for v in self.values if v not in self.missing_values]
            out.append(
                "Values the task names: "
                + ", ".join(f"'{v}' ({'used' if v in used else 'never used'})" for v in self.values)
                + "."
            )
        if self.controls and self.unpressed is not None:
            out.append(
                "Controls the task says to press: "
                + ", ".join(
                    f"'{c}' ({'not pressed' if c in self.unpressed else 'pressed'})" for c in self.controls
                )
                + "."
            )
        if self.longest_repeat >= 3:
            out.append(f"The agent repeated one action {self.longest_repeat} times in a row.")
        if self.final_answer:
            out.append(f"Final answer: {self.final_answer.strip()[:300]}")
        return out


def ending_of(trajectory: Trajectory) -> tuple[Ending, str | None]:
    """How the episode ended, from the stop reason the agent recorded in ``meta``."""
    for key in _STOP_KEYS:
        value = trajectory.meta.get(key)
        if isinstance(value, str) and value.strip():
            norm = value.strip().lower().replace(" ", "_")
            if norm in FINISHED:
                return "finished", value
            if norm in STEP_LIMIT:
                return "step_limit", value
            return "unknown", value
    return "unknown", None


def _used(value: str, steps: list[Step]) -> bool:
    return any(value in step.action or value in (step.target or "") for step in steps)


def named_controls(query: str) -> tuple[str, ...]:
    """The controls a task tells the agent to press, in order, without duplicates."""
    found = [m.group(1) for m in _CONTROL.finditer(query) if m.group(1).lower() not in _NOT_CONTROLS]
    return tuple(dict.fromkeys(found))


def _unpressed(controls: tuple[str, ...], steps: list[Step]) -> tuple[str, ...] | None:
    if not any(step.target for step in steps):
        return None
    clicked = [
        (step.target or "").lower() for step in steps if step.action.strip().lower().startswith("click")
    ]
    return tuple(c for c in controls if not any(c.lower() in t for t in clicked))


def _longest_repeat(steps: list[Step]) -> int:
    best = run = 0
    previous: str | None = None
    for step in steps:
        action = step.action.strip()
        run = run + 1 if action and action == previous else 1
        previous = action
        best = max(best, run)
    return best


def gather(trajectory: Trajectory) -> Evidence:
    """Read the evidence of one episode (pure code, no model)."""
    steps = list(trajectory.steps)
    ending, stop = ending_of(trajectory)
    values = tuple(query_literals(trajectory.query))
    controls = named_controls(trajectory.query)
    return Evidence(
        ending=ending,
        stop_reason=stop,
        steps=len(steps),
        action_errors=sum(1 for s in steps if (s.observation or "").startswith(_ERROR_PREFIX)),
        final_answer=trajectory.final_answer,
        values=values,
        missing_values=tuple(v for v in values if not _used(v, steps)),
        controls=controls,
        unpressed=_unpressed(controls, steps),
        longest_repeat=_longest_repeat(steps),
    )
