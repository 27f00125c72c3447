"""Secrets taken out of what ``learn`` stores and sends: trajectories, verdicts and items.

:class:`~reasoningbank.text.redact.Redactor` works on text; this module walks
the models that carry text to the judge, the extractor and the store, and
returns redacted copies with the number of secrets removed, by kind (recorded on
the experience as ``redactions``). The task id is left alone: it is how a task is
matched to its memory and to the items shown to it, not something an agent read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..config import Preset
from ..models import MemoryItem, Step, Trajectory, Verdict
from ..text.redact import Redactor


def redactor_for(preset: Preset) -> Redactor:
    """The redactor a preset asks for (built-in shapes unless ``redact.secrets`` is off, plus its
    ``redact_patterns``)."""
    return Redactor(preset.redact.patterns, builtin=preset.redact.secrets)


def redact_trajectory(redactor: Redactor, trajectory: Trajectory, counts: Counter[str]) -> Trajectory:
    """``trajectory`` with its query, steps, final answer and meta strings redacted."""
    if not redactor.active:
        return trajectory
    r = redactor.redact
    steps = [
        Step(
            thought=r(s.thought, counts),
            action=r(s.action, counts),
            observation=None if s.observation is None else r(s.observation, counts),
            target=None if s.target is None else r(s.target, counts),
        )
        for s in trajectory.steps
    ]
    return trajectory.model_copy(
        update={
            "query": r(trajectory.query, counts),
            "steps": steps,
            "final_answer": None if trajectory.final_answer is None else r(trajectory.final_answer, counts),
            "meta": redactor.redact_value(trajectory.meta, counts),
        }
    )


def redact_verdict(redactor: Redactor, verdict: Verdict, counts: Counter[str]) -> Verdict:
    """A verdict's texts (the judge's thoughts and raw reply, the reason) redacted: a caller may
    pass its own, and a judge may quote what it read."""
    if not redactor.active:
        return verdict
    r = redactor.redact
    return verdict.model_copy(
        update={
            "thoughts": r(verdict.thoughts, counts),
            "raw": r(verdict.raw, counts),
            "reason": r(verdict.reason, counts),
        }
    )


def redact_items(redactor: Redactor, items: Sequence[MemoryItem], counts: Counter[str]) -> list[MemoryItem]:
    """Items with their title, description and content redacted (an extractor may copy a secret
    from the episode, or make one up)."""
    if not redactor.active:
        return list(items)
    r = redactor.redact
    return [
        it.model_copy(
            update={
                "title": r(it.title, counts),
                "description": r(it.description, counts),
                "content": r(it.content, counts),
            }
        )
        for it in items
    ]


def redaction_note(counts: Counter[str] | dict[str, int]) -> str:
    """``redacted 3 secret(s): openai-key 2, password 1`` (empty when nothing was redacted)."""
    total = sum(counts.values())
    if not total:
        return ""
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    return f"redacted {total} secret(s): {kinds}"
