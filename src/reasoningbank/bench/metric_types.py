"""The numbers of a run's report, typed: what :func:`~.metrics.run_metrics` computes and the
tables read. :meth:`RunMetrics.to_json` is the document ``reasoningbank report --json`` prints
(the fields in this order; a method's ``vs_baseline`` only when it is compared)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Metrics(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rate(_Metrics):
    """Success rate and average steps of some tasks (None when there are none)."""

    n: int
    success_rate: float | None
    avg_steps: float | None


class Confusion(_Metrics):
    """The judge against the benchmark: the confusion counts of the decided verdicts, abstentions
    apart, precision and recall of "success", AUROC of p(success) and who decided."""

    n: int
    tp: int
    fp: int
    fn: int
    tn: int
    accuracy: float | None
    unparsed: int
    judged: int
    abstained: int
    precision: float | None
    recall: float | None
    auroc: float | None
    sources: dict[str, int]


class VsBaseline(_Metrics):
    """A method against the baseline, task by task: the paired counts and the exact McNemar p."""

    baseline: str
    n: int
    both: int
    only_method: int
    only_baseline: int
    neither: int
    difference: float
    p_value: float


class Significance(_Metrics):
    ci95: tuple[float, float] | None  # Wilson 95% interval of the success rate
    vs_baseline: VsBaseline | None = Field(default=None, exclude_if=lambda v: v is None)


class Seconds(_Metrics):
    """Mean seconds per episode, and the model time of each role in it."""

    episode: float | None
    action: float | None
    judge: float | None
    extraction: float | None


class RetiredItem(_Metrics):
    task_id: str
    title: str
    reason: str


class Learning(_Metrics):
    """What the memory update did over the tasks (see :func:`~.metrics.learning`)."""

    items_learned: int
    not_extracted: int  # tasks whose extraction was skipped: the bank held the lesson already
    abstained: int
    merged: int  # near-duplicates merged into existing items
    dropped: int  # extracted items kept out of the bank, for every reason
    dropped_by_reason: dict[str, int]
    retired: list[RetiredItem]


class RoleTokens(_Metrics):
    tokens_per_task: float | None
    calls_per_task: float | None


class Retrieval(_Metrics):
    """How much memory each task got, and how much of it came from a task of the same family."""

    tasks_with_memory: int
    items_per_task: float | None
    items_with_source: int
    same_family: float | None


class MethodMetrics(_Metrics):
    overall: Rate
    significance: Significance
    families: dict[str, Rate]
    judge: Confusion
    feedback: bool  # the method learned from the benchmark's score (a diagnostic arm)
    seconds: Seconds
    learning: Learning
    tokens: dict[str, RoleTokens]  # by role (:data:`~.records.ROLES`)
    retrieval: Retrieval
    items_learned: int
    memory_size: int
    tasks_recorded: int
    tasks_planned: int


class RunMetrics(_Metrics):
    """Every number of a run's report; computed on the tasks all methods finished."""

    run_dir: str
    model: str | None
    preset: str | None
    families: list[str]
    compared_tasks: int
    baseline: str | None
    methods: dict[str, MethodMetrics]

    def to_json(self) -> dict[str, Any]:
        """The JSON document of these numbers (``reasoningbank report --json``)."""
        return self.model_dump(mode="json")
