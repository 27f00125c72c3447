"""Secrets taken out of what ``learn`` stores and sends: trajectories, verdicts and items.

:class:`~reasoningbank.text.redact.Redactor` works on text; this module walks
the models that carry text to the judge, the extractor and the store, and
returns redacted copies with the number of secrets removed, by kind (recorded on
the experience as ``redactions``). The task id is left alone: it is how a task is
matched to its memory and to the items shown to it, not something an agent read.
An imported experience goes through the same walk (:func:`redact_experience`,
:func:`import_redacted`): an export may come from a bank that redacted less.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..config import Preset
from ..models import Experience, MemoryItem, Step, Trajectory, Verdict
from ..stores.base import Store
from ..stores.exchange import import_jsonl
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


def redact_experience(redactor: Redactor, exp: Experience, counts: Counter[str]) -> Experience:
    """``exp`` with every text it shows or sends redacted (query, trajectory and rollouts, verdict,
    items, the extractor's raw output and note); what is found is added to its ``redactions``."""
    if not redactor.active:
        return exp
    found: Counter[str] = Counter()
    r = redactor.redact
    update: dict[str, object] = {
        "query": r(exp.query, found),
        "trajectory": None if exp.trajectory is None else redact_trajectory(redactor, exp.trajectory, found),
        "rollouts": [redact_trajectory(redactor, t, found) for t in exp.rollouts],
        "verdict": None if exp.verdict is None else redact_verdict(redactor, exp.verdict, found),
        "items": redact_items(redactor, exp.items, found),
        "raw_extraction": r(exp.raw_extraction, found),
        "extraction_note": r(exp.extraction_note, found),
    }
    if found:
        update["redactions"] = dict(sorted((Counter(exp.redactions) + found).items()))
        counts.update(found)
    return exp.model_copy(update=update)


@dataclass(frozen=True)
class ImportResult:
    """How many experiences an import stored and the secrets it redacted from them, by kind."""

    imported: int
    redactions: dict[str, int] = field(default_factory=dict)

    @property
    def note(self) -> str:
        return redaction_note(self.redactions)


def import_redacted(
    store: Store, source: str | Path | TextIO, redactor: Redactor, *, scope: str | None = None
) -> ImportResult:
    """Import a JSON Lines export (all or nothing) with every experience redacted first."""
    counts: Counter[str] = Counter()
    n = import_jsonl(store, source, scope=scope, redact=lambda exp: redact_experience(redactor, exp, counts))
    return ImportResult(imported=n, redactions=dict(sorted(counts.items())))


def redaction_note(counts: Counter[str] | dict[str, int]) -> str:
    """``redacted 3 secret(s): openai-key 2, password 1`` (empty when nothing was redacted)."""
    total = sum(counts.values())
    if not total:
        return ""
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    return f"redacted {total} secret(s): {kinds}"
