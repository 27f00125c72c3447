"""The record of a finished task, built in one place for plain and scaled tasks.

A task is played (:class:`Played`: once, or k times with MaTTS, whose answer is one
rollout) and then learned (a :class:`~.methods.MethodUpdate`); :func:`build_task_record`
makes the :class:`~.records.TaskRecord` of the two. ``success`` is the benchmark's score
of the answer, never the judge's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Usage, Verdict
from .envs.base import TaskSpec
from .methods import MethodUpdate
from .records import (
    LearnedItem,
    LLMUsage,
    PendingEpisode,
    PendingScaled,
    ScaledRecord,
    TaskRecord,
    UsageRecord,
)

_SHARED = ("index", "goal", "score", "steps", "parse_failures", "memory_chars")
"""What a pending episode, :class:`Played` and the task record name alike."""
_JUDGED = ("judge_label", "judge_parsed", "judge_source", "judge_p_success", "judge_reason")


def _shared(obj: object) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _SHARED}


@dataclass(frozen=True)
class Played:
    """How a task was played, as its record tells it (for a scaled task: the answer's rollout)."""

    index: int
    goal: str
    score: float
    steps: int
    parse_failures: int
    retrieved: list[str]
    action_usage: Usage
    seconds: float
    retrieved_from: list[str | None] = field(default_factory=list)
    memory_chars: int = 0
    judge_usage: Usage = field(default_factory=Usage)  # judging while playing (MaTTS)

    @classmethod
    def of_episode(cls, p: PendingEpisode) -> Played:
        titles, sources = [r.title for r in p.retrieved], [r.from_task for r in p.retrieved]
        return cls(**_shared(p), retrieved=titles, retrieved_from=sources, action_usage=p.action_usage,
                   seconds=p.episode_seconds)  # fmt: skip

    @classmethod
    def of_scaled(cls, p: PendingScaled) -> Played:
        return cls(
            index=p.index,
            goal=p.goal,
            score=p.scores[p.selected],
            steps=p.steps[p.selected],
            parse_failures=0,
            retrieved=p.memory_titles,
            action_usage=p.action_usage,
            judge_usage=p.judge_usage + p.selection_usage,
            seconds=p.episode_seconds,
        )


def _judged(v: Verdict | None) -> dict[str, Any]:
    """The record's fields on the verdict the task was learned with (None: nothing was judged)."""
    if v is None:
        return {"judge_label": None, "judge_parsed": None}
    values = (v.label, v.parsed, v.source, v.p_success, v.reason)
    return {**dict(zip(_JUDGED, values, strict=True)), "feedback": v.source == "outcome"}


def _llm_usage(played: Played, update: MethodUpdate) -> LLMUsage:
    judge = played.judge_usage + update.judge_usage
    total = played.action_usage + judge + update.extraction_usage
    return LLMUsage(
        action=UsageRecord.of(played.action_usage),
        judge=UsageRecord.of(judge),
        extraction=UsageRecord.of(update.extraction_usage),
        total=UsageRecord.of(total),
    )


def build_task_record(
    method: str,
    task: TaskSpec,
    played: Played,
    update: MethodUpdate,
    *,
    learn_seconds: float,
    memory_size: int,
    scaled: ScaledRecord | None = None,
) -> TaskRecord:
    """The record of a finished task: how it was played, its score and its memory update (whose
    facts are unknown when it was recovered from the bank after a crash)."""
    items = [
        LearnedItem(title=it.title, description=it.description, content=it.content, origin=it.origin)
        for it in update.items
    ]
    return TaskRecord(
        method=method,
        task_id=task.task_id,
        family=task.family,
        seed=task.seed,
        **_shared(played),
        success=played.score >= 1.0,
        retrieved=played.retrieved,
        retrieved_from=played.retrieved_from,
        **_judged(update.verdict),
        learn_note=update.note,
        learn=None if update.recovered else update.learn,
        llm=_llm_usage(played, update),
        items_learned=items,
        memory_size=memory_size,
        recovered=update.recovered,
        seconds=round(played.seconds + learn_seconds, 3),
        scaled=scaled,
    )
