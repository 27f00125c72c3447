"""Secrets taken out of what ``learn`` stores and sends: trajectories, verdicts and items.

:class:`~reasoningbank.text.redact.Redactor` works on text; this module walks
the models that carry text to the judge, the extractor and the store, and
returns redacted copies with the number of secrets removed, by kind (recorded on
the experience as ``redactions``). A value redacted once (a password the task
names) is redacted wherever else it occurs: in the steps that type it, the
verdict, the items, the other attempts of the task. The task id is left alone: it is how a task is
matched to its memory and to the items shown to it, not something an agent read.
An imported experience goes through the same walk (:func:`redact_experience`,
:func:`import_redacted`): an export may come from a bank that redacted less.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..config import Preset
from ..models import Experience, MemoryItem, Step, Trajectory, Verdict
from ..stores.base import Store
from ..stores.exchange import import_jsonl
from ..text.redact import Found, Redactor


def redactor_for(preset: Preset) -> Redactor:
    """The redactor a preset asks for (built-in shapes unless ``redact.secrets`` is off, plus its
    ``redact_patterns``)."""
    return Redactor(preset.redact.patterns, builtin=preset.redact.secrets)


def redact_trajectory(
    redactor: Redactor, trajectory: Trajectory, counts: Counter[str], found: Found | None = None
) -> Trajectory:
    """``trajectory`` with its query, steps, final answer and meta strings redacted, in two passes:
    the secret shapes first, then every copy of a value they replaced (and of the values already
    in ``found``, which receives the new ones): a password the task names is redacted where it is
    typed too (``type [3] "hunter2"``)."""
    if not redactor.active:
        return trajectory
    seen: Found = {} if found is None else found
    once = _map_trajectory(
        trajectory,
        lambda t: redactor.redact(t, counts, seen),
        lambda v: redactor.redact_value(v, counts, found=seen),
    )
    return _map_trajectory(
        once,
        lambda t: redactor.redact_known(t, seen, counts),
        lambda v: redactor.redact_known_value(v, seen, counts),
    )


def collect_values(redactor: Redactor, trajectories: Sequence[Trajectory]) -> Found:
    """The secret values the shapes find in ``trajectories`` (value -> kind), counting nothing:
    what one attempt typed is redacted in every other attempt of the task too."""
    found: Found = {}
    for trajectory in trajectories:
        redact_trajectory(redactor, trajectory, Counter(), found)
    return found


def _map_trajectory(
    trajectory: Trajectory, text: Callable[[str], str], value: Callable[[Any], Any]
) -> Trajectory:
    """``trajectory`` with ``text`` applied to every string a model or a reader sees (the task
    id apart) and ``value`` to its meta."""
    steps = [
        Step(
            thought=text(s.thought),
            action=text(s.action),
            observation=None if s.observation is None else text(s.observation),
            target=None if s.target is None else text(s.target),
        )
        for s in trajectory.steps
    ]
    answer = trajectory.final_answer
    return trajectory.model_copy(
        update={
            "query": text(trajectory.query),
            "steps": steps,
            "final_answer": None if answer is None else text(answer),
            "meta": value(trajectory.meta),
        }
    )


def redact_verdict(
    redactor: Redactor, verdict: Verdict, counts: Counter[str], found: Found | None = None
) -> Verdict:
    """A verdict's texts (the judge's thoughts and raw reply, the reason) redacted, with every copy
    of a value in ``found`` too: a caller may pass its own, and a judge may quote what it read."""
    if not redactor.active:
        return verdict
    thoughts, raw, reason = _two_pass(
        redactor, counts, found, [verdict.thoughts, verdict.raw, verdict.reason]
    )
    return verdict.model_copy(update={"thoughts": thoughts, "raw": raw, "reason": reason})


def redact_items(
    redactor: Redactor, items: Sequence[MemoryItem], counts: Counter[str], found: Found | None = None
) -> list[MemoryItem]:
    """Items with their title, description and content redacted, with every copy of a value in
    ``found`` too (an extractor may copy a secret from the episode, or make one up)."""
    if not redactor.active:
        return list(items)
    texts = _two_pass(
        redactor, counts, found, [t for it in items for t in (it.title, it.description, it.content)]
    )
    return [
        it.model_copy(
            update={"title": texts[3 * n], "description": texts[3 * n + 1], "content": texts[3 * n + 2]}
        )
        for n, it in enumerate(items)
    ]


def _two_pass(redactor: Redactor, counts: Counter[str], found: Found | None, texts: list[str]) -> list[str]:
    """``texts`` redacted: the shapes in all of them (their values added to ``found``), then every
    copy of a known value."""
    seen: Found = {} if found is None else found
    once = [redactor.redact(t, counts, seen) for t in texts]
    return [redactor.redact_known(t, seen, counts) for t in once]


def redact_texts(redactor: Redactor, texts: Sequence[str], counts: Counter[str]) -> list[str]:
    """``texts`` redacted together: a value one of them shows as a secret is redacted in all
    (a hand-written item whose title names a password its content repeats bare)."""
    return _two_pass(redactor, counts, None, list(texts)) if redactor.active else list(texts)


def redact_experience(redactor: Redactor, exp: Experience, counts: Counter[str]) -> Experience:
    """``exp`` with every text it shows or sends redacted (query, trajectory and rollouts, verdict,
    items, the extractor's raw output and note); what is found is added to its ``redactions``."""
    if not redactor.active:
        return exp
    played = [t for t in (exp.trajectory, *exp.rollouts) if t is not None]
    values = collect_values(redactor, played)  # a value found in one text is redacted in all of them
    found: Counter[str] = Counter()
    query, raw, note = _two_pass(
        redactor, found, values, [exp.query, exp.raw_extraction, exp.extraction_note]
    )
    trajectory = exp.trajectory
    update: dict[str, object] = {
        "query": query,
        "trajectory": None if trajectory is None else redact_trajectory(redactor, trajectory, found, values),
        "rollouts": [redact_trajectory(redactor, t, found, values) for t in exp.rollouts],
        "verdict": None if exp.verdict is None else redact_verdict(redactor, exp.verdict, found, values),
        "items": redact_items(redactor, exp.items, found, values),
        "raw_extraction": raw,
        "extraction_note": note,
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
