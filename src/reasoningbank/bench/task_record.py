"""The record of a finished task, built in one place for plain and scaled tasks.

A task is played (:class:`Played`: once, or k times with MaTTS) and then learned
(:class:`Learned`: the method's memory update); :func:`build_task_record` makes the
:class:`~.records.TaskRecord` of the two. ``success`` is the benchmark's score of the
answer, never the judge's verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import LearnReport, MemoryItem, Usage, Verdict
from .envs.base import TaskSpec
from .methods import MethodUpdate
from .records import (
    LearnedItem,
    LearnRecord,
    LLMUsage,
    PendingEpisode,
    PendingScaled,
    ScaledRecord,
    TaskRecord,
    UsageRecord,
)


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
    extra_judge_usage: Usage = field(default_factory=Usage)  # judging while playing (MaTTS)

    @classmethod
    def of_episode(cls, p: PendingEpisode) -> Played:
        return cls(
            index=p.index,
            goal=p.goal,
            score=p.score,
            steps=p.steps,
            parse_failures=p.parse_failures,
            retrieved=[r.title for r in p.retrieved],
            retrieved_from=[r.from_task for r in p.retrieved],
            memory_chars=p.memory_chars,
            action_usage=p.action_usage,
            seconds=p.episode_seconds,
        )

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
            extra_judge_usage=p.judge_usage + p.selection_usage,
            seconds=p.episode_seconds,
        )


@dataclass(frozen=True)
class Learned:
    """What the memory update of a task did; ``facts`` is None when it is unknown (recovered
    from the bank after a crash)."""

    verdict: Verdict | None
    items: list[MemoryItem]
    judge_usage: Usage
    extraction_usage: Usage
    note: str
    facts: LearnRecord | None
    recovered: bool
    seconds: float

    @classmethod
    def of_update(cls, update: MethodUpdate, seconds: float) -> Learned:
        return cls(
            verdict=update.verdict,
            items=update.items,
            judge_usage=update.judge_usage,
            extraction_usage=update.extraction_usage,
            note=update.note,
            facts=None if update.recovered else update.learn,
            recovered=update.recovered,
            seconds=seconds,
        )

    @classmethod
    def of_reports(
        cls, verdict: Verdict | None, reports: Sequence[LearnReport], *, recovered: bool, seconds: float
    ) -> Learned:
        """The learns of a scaled task (one per rollout for ``vanilla``, else one; none when
        recovered), judged by the answer's ``verdict``."""
        extraction = Usage()
        for r in reports:
            extraction = extraction + r.extraction_usage
        return cls(
            verdict=verdict,
            items=[it for r in reports for it in r.items],
            judge_usage=Usage(),
            extraction_usage=extraction,
            note="; ".join(r.note for r in reports if r.note),
            facts=None if recovered else LearnRecord.of(reports),
            recovered=recovered,
            seconds=seconds,
        )


def _llm_usage(played: Played, learned: Learned) -> LLMUsage:
    judge = played.extra_judge_usage + learned.judge_usage
    total = played.action_usage + judge + learned.extraction_usage
    return LLMUsage(
        action=UsageRecord.of(played.action_usage),
        judge=UsageRecord.of(judge),
        extraction=UsageRecord.of(learned.extraction_usage),
        total=UsageRecord.of(total),
    )


def build_task_record(
    method: str,
    task: TaskSpec,
    played: Played,
    learned: Learned,
    *,
    memory_size: int,
    scaled: ScaledRecord | None = None,
) -> TaskRecord:
    """The record of a finished task: how it was played, its score and its memory update."""
    v = learned.verdict
    return TaskRecord(
        method=method,
        index=played.index,
        task_id=task.task_id,
        family=task.family,
        seed=task.seed,
        goal=played.goal,
        score=played.score,
        success=played.score >= 1.0,
        judge_label=v.label if v is not None else None,
        judge_parsed=v.parsed if v is not None else None,
        judge_source=v.source if v is not None else None,
        judge_p_success=v.p_success if v is not None else None,
        judge_reason=v.reason if v is not None else "",
        feedback=v is not None and v.source == "outcome",
        learn_note=learned.note,
        learn=learned.facts,
        steps=played.steps,
        parse_failures=played.parse_failures,
        llm=_llm_usage(played, learned),
        items_learned=[
            LearnedItem(title=it.title, description=it.description, content=it.content, origin=it.origin)
            for it in learned.items
        ],
        memory_size=memory_size,
        retrieved=played.retrieved,
        retrieved_from=played.retrieved_from,
        memory_chars=played.memory_chars,
        recovered=learned.recovered,
        seconds=round(played.seconds + learned.seconds, 3),
        scaled=scaled,
    )
