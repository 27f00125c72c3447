"""Render trajectories as prompt text for the judge and the extractor.

Only the query, steps and final answer are rendered: ``Trajectory.meta`` (which
may hold a benchmark score) is never shown to a model. Long trajectories keep
their first and last steps and say how many were left out; long fields keep
their head and tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Step, Trajectory


@dataclass(frozen=True)
class Limits:
    """How much of a trajectory a prompt may show."""

    head_steps: int = 10
    tail_steps: int = 20
    max_field_chars: int = 2000
    max_state_chars: int = 4000


DEFAULT_LIMITS = Limits()


def clip(text: str, max_chars: int) -> str:
    """Keep the head and tail of ``text`` within about ``max_chars`` characters."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    half = max_chars // 2
    omitted = len(text) - 2 * half
    return f"{text[:half]}\n[... {omitted} characters omitted ...]\n{text[-half:]}"


def select_steps(steps: Sequence[Step], limits: Limits) -> tuple[list[tuple[int, Step]], int]:
    """Return ``(numbered steps to show, number elided)``; numbering is 1-based.

    When steps are elided, the elision point sits after the head steps.
    """
    numbered = list(enumerate(steps, start=1))
    keep = limits.head_steps + limits.tail_steps
    if len(numbered) <= keep:
        return numbered, 0
    head = numbered[: limits.head_steps]
    tail = numbered[len(numbered) - limits.tail_steps :] if limits.tail_steps > 0 else []
    return head + tail, len(numbered) - keep


def _elision_line(n: int) -> str:
    return f"[... {n} steps omitted ...]"


def _with_target(action: str, step: Step) -> str:
    return f"{action}  # on {step.target.strip()}" if step.target and step.target.strip() else action


def action_history(traj: Trajectory, limits: Limits = DEFAULT_LIMITS) -> str:
    """Numbered ``i: action`` lines (thought used when an action is empty)."""
    shown, elided = select_steps(traj.steps, limits)
    if not shown:
        return "(no actions)"
    lines: list[str] = []
    for pos, (i, step) in enumerate(shown):
        if elided and pos == limits.head_steps:
            lines.append(_elision_line(elided))
        action = step.action.strip() or "(no action)"
        lines.append(f"{i}: {clip(_with_target(action, step), limits.max_field_chars)}")
    if elided and len(shown) == limits.head_steps:  # no tail: the elision comes last
        lines.append(_elision_line(elided))
    return "\n".join(lines)


def final_state(traj: Trajectory, limits: Limits = DEFAULT_LIMITS) -> str:
    """The last observation if the last step has one, else the last thought."""
    if not traj.steps:
        return "(the agent took no steps)"
    last = traj.steps[-1]
    text = last.observation if last.observation and last.observation.strip() else last.thought
    text = text.strip() or "(empty)"
    return clip(text, limits.max_state_chars)


def think_action_blocks(traj: Trajectory, limits: Limits = DEFAULT_LIMITS) -> str:
    """``<think>..</think>`` / ``<action>..</action>`` blocks separated by blank lines."""
    shown, elided = select_steps(traj.steps, limits)
    if not shown:
        return "(the agent took no steps)"
    blocks: list[str] = []
    for pos, (_, step) in enumerate(shown):
        if elided and pos == limits.head_steps:
            blocks.append(_elision_line(elided))
        thought = clip(step.thought.strip(), limits.max_field_chars)
        action = clip(_with_target(step.action.strip(), step), limits.max_field_chars)
        blocks.append(f"<think>\n{thought}\n</think>\n<action>\n{action}\n</action>")
    if elided and len(shown) == limits.head_steps:  # no tail: the elision comes last
        blocks.append(_elision_line(elided))
    return "\n\n".join(blocks)
