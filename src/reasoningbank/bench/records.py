"""Typed, versioned records of a benchmark run: what each of its files holds.

* :class:`TaskRecord` — one line of ``<method>/records.jsonl`` (one finished task);
* :class:`TrajectoryLine` — one line of ``<method>/trajectories.jsonl``;
* :class:`PendingEpisode` — ``<method>/pending.json``, the episode being learned;
* :class:`RunManifest` — ``run.json``, the settings the run was started with.

Every model has a ``record_version``. Files written before the field existed
have none and read as version 1, which is their format. How to change them:

* a new field gets a default (``None``, ``0``, an empty list ...), so every
  older line still loads; the version stays;
* a change of meaning (a renamed field, another unit) bumps
  :data:`RECORD_VERSION`, and a reader refuses lines newer than it knows rather
  than misread them.

Fields a reader does not know (written by newer code) are ignored, except in
the manifest, which keeps them (``manifest_extra`` settings live there).
The file I/O itself is :mod:`.rundir`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..models import LearnReport, Trajectory, Usage, Verdict
from .rundir import read_records

RECORD_VERSION = 1
"""The newest record format this code writes and reads."""

ROLES = ("action", "judge", "extraction", "total")
"""The LLM roles a task record splits its token usage into."""


class _Part(BaseModel):
    """A nested part of a record: unknown (newer) fields are ignored."""

    model_config = ConfigDict(extra="ignore")


class _Record(_Part):
    """A top-level record: carries its format version."""

    record_version: int = RECORD_VERSION

    @field_validator("record_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if not 1 <= v <= RECORD_VERSION:
            raise ValueError(
                f"record_version {v} is not one this reasoningbank reads (1 to {RECORD_VERSION}); "
                "a newer version wrote it"
            )
        return v


class UsageRecord(_Part):
    """The token accounting of one LLM role in one task."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0

    @classmethod
    def of(cls, usage: Usage) -> UsageRecord:
        return cls(
            calls=usage.calls,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens,
            cost=usage.cost,
            seconds=round(usage.seconds, 4),
        )


class LLMUsage(_Part):
    """Token usage of one task per role (:data:`ROLES`)."""

    action: UsageRecord = Field(default_factory=UsageRecord)
    judge: UsageRecord = Field(default_factory=UsageRecord)
    extraction: UsageRecord = Field(default_factory=UsageRecord)
    total: UsageRecord = Field(default_factory=UsageRecord)

    def by_role(self) -> dict[str, UsageRecord]:
        return {
            "action": self.action,
            "judge": self.judge,
            "extraction": self.extraction,
            "total": self.total,
        }


class LearnedItem(_Part):
    """A memory item a method learned from a task."""

    title: str
    description: str = ""
    content: str
    origin: str = ""


class DroppedRecord(_Part):
    """An extracted item the memory update kept out of the bank, and why (a
    :data:`~reasoningbank.models.DropReason`; a plain string, so a newer reason still loads)."""

    reason: str
    title: str = ""
    detail: str = ""


class RetiredRecord(_Part):
    """An item the memory update retired."""

    item_id: str = ""  # records read from an old note do not know it
    title: str
    reason: str


class LearnRecord(_Part):
    """What the memory update of one task did, one fact a field; a scaled task may learn several
    times (``vanilla`` learns every rollout): the facts of all its learns together."""

    dropped: list[DroppedRecord] = Field(default_factory=list)
    merged: int = 0  # near-duplicates merged into existing items
    retired: list[RetiredRecord] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)  # per learn that extracted nothing: why

    @classmethod
    def of(cls, reports: Sequence[LearnReport]) -> LearnRecord:
        return cls(
            dropped=[
                DroppedRecord(reason=d.reason, title=d.title, detail=d.detail)
                for r in reports
                for d in r.dropped
            ],
            merged=sum(r.merged for r in reports),
            retired=[
                RetiredRecord(item_id=x.item_id, title=x.title, reason=x.reason)
                for r in reports
                for x in r.retired
            ],
            skipped=[r.skipped.reason for r in reports if r.skipped is not None],
        )


class RolloutRecord(_Part):
    """One of a scaled task's rollouts (or sequential passes): its score and its verdict."""

    score: float
    steps: int
    judge_label: str | None = None
    judge_p_success: float | None = None


class ScaledRecord(_Part):
    """How a task was scaled: the rollouts, which answered (best-of-N or the last pass), and a
    seeded random pick for Pass@1.

    ``k`` is the run's factor; ``rollouts`` holds the attempts that ran, fewer than k when
    sequential scaling stopped at a pass judged a success (``stopped == "success"``). Then a Pass@1
    pick past the last pass reads the last pass: the episode's answer stood from there on.
    """

    mode: str
    k: int
    aggregation: str
    rollouts: list[RolloutRecord]
    selected: int
    selected_by: str  # selector, fallback, success (the only judged success) or last
    selection_note: str = ""
    pass1: int
    # Added with the scale section (older lines: every rollout shown, every pass run).
    candidates: list[int] = Field(default_factory=list)  # the rollouts best-of-N chose among
    stopped: str = "k"  # "k": all k attempts ran; "success": stopped at a pass judged a success

    @property
    def pass_at_1(self) -> bool:
        return self.rollouts[self.pass1].score >= 1.0

    @property
    def pass_at_k(self) -> bool:
        return any(r.score >= 1.0 for r in self.rollouts)


class TaskRecord(_Record):
    """One finished task of one method (a line of ``records.jsonl``).

    ``success`` is the benchmark's score (``score >= 1``), never the judge's
    verdict (``judge_label``, None when the method judges nothing).
    """

    method: str
    index: int
    task_id: str
    family: str
    seed: int
    score: float
    success: bool
    judge_label: str | None
    judge_parsed: bool | None
    steps: int
    parse_failures: int
    llm: LLMUsage
    items_learned: list[LearnedItem]
    memory_size: int
    retrieved: list[str]
    recovered: bool
    seconds: float
    # Added after the first runs: older lines lack them.
    goal: str = ""
    memory_chars: int = 0
    retrieved_from: list[str | None] = Field(default_factory=list)
    # Added with the evidence judge (older lines: None / "" / False).
    judge_source: str | None = None  # judge, rules or outcome
    judge_p_success: float | None = None
    judge_reason: str = ""
    feedback: bool = False  # learned from the benchmark's score: a diagnostic arm, not the method
    learn_note: str = ""  # dropped, merged or retired items; why it abstained (for people)
    learn: LearnRecord | None = None  # the same as facts; None in records written before them
    scaled: ScaledRecord | None = None  # a MaTTS task: success is the answer's (best-of-N / last pass)


class TrajectoryLine(_Record):
    """The trajectory of one finished task, with the verdict it was learned with (never the score)."""

    index: int
    task_id: str
    trajectory: Trajectory
    judge: Verdict | None = None


class RetrievedRef(_Part):
    """A memory item shown to the agent, and the task it was learned from."""

    title: str
    origin: str = ""
    from_task: str | None = None
    item_id: str | None = None  # credited with the task's outcome when it is learned


class PendingEpisode(_Record):
    """A finished episode waiting for its memory update (``pending.json``)."""

    index: int
    task_id: str
    goal: str = ""
    trajectory: Trajectory
    score: float
    steps: int
    parse_failures: int
    action_usage: Usage
    retrieved: list[RetrievedRef]
    memory_chars: int = 0
    episode_seconds: float


class PendingScaled(_Record):
    """A scaled task played and waiting for its memory update (``pending.json``)."""

    index: int
    task_id: str
    goal: str = ""
    trajectories: list[Trajectory]
    scores: list[float]
    steps: list[int]
    verdicts: list[Verdict | None]
    selected: int
    selected_by: str
    selection_note: str = ""
    selection_candidates: list[int] = Field(default_factory=list)
    stopped: str = "k"
    memory_ids: list[str] = Field(default_factory=list)
    memory_titles: list[str] = Field(default_factory=list)
    action_usage: Usage = Field(default_factory=Usage)
    judge_usage: Usage = Field(default_factory=Usage)
    selection_usage: Usage = Field(default_factory=Usage)
    episode_seconds: float = 0.0


class TaskRef(_Part):
    family: str
    seed: int


class RunManifest(_Record):
    """The settings of a run (``run.json``); extra keys (``manifest_extra``) are kept."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    preset: dict[str, Any] | str | None = None
    embedder: str = ""
    methods: list[str] = Field(default_factory=list)
    tasks: list[TaskRef] = Field(default_factory=list)
    max_steps: int | None = None
    agent_kwargs: dict[str, Any] = Field(default_factory=dict)
    prompt_fingerprint: dict[str, str] | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    created_at: str = ""

    @property
    def preset_name(self) -> str | None:
        """The preset's name (the manifest stores the whole preset)."""
        name = self.preset.get("name") if isinstance(self.preset, dict) else self.preset
        return None if name is None else str(name)


_R = TypeVar("_R", bound=_Record)


def parse_lines(kind: type[_R], path: Path) -> list[_R]:
    """The records of a JSONL file as ``kind`` (a torn last line is dropped, see :mod:`.rundir`)."""
    out: list[_R] = []
    for n, obj in enumerate(read_records(path), start=1):
        try:
            out.append(kind.model_validate(obj))
        except ValidationError as exc:
            raise ValueError(f"{path}: record {n} is not a valid {kind.__name__}: {exc}") from exc
    return out


def read_task_records(path: Path) -> list[TaskRecord]:
    """The task records of a ``records.jsonl`` file, in file order."""
    return parse_lines(TaskRecord, path)


def read_trajectory_lines(path: Path) -> list[TrajectoryLine]:
    """The lines of a ``trajectories.jsonl`` file, in file order."""
    return parse_lines(TrajectoryLine, path)
