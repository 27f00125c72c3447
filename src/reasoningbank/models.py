"""The data model: trajectories, verdicts, memory items and experiences, and what learning did.

Every persisted object carries ``schema_version``, the data model's version
(:data:`DATA_MODEL_VERSION`), so stores and exports can refuse or migrate data
written by a different version of the library. (The SQL stores' own migration
counts are :data:`~reasoningbank.stores.sqlite.schema.SQLITE_SCHEMA_VERSION` and
:data:`~reasoningbank.stores.postgres.schema.POSTGRES_SCHEMA_VERSION`.)
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATA_MODEL_VERSION = 1
"""The data model's version: the ``schema_version`` of every object written now."""


def __getattr__(name: str) -> Any:
    """``SCHEMA_VERSION``, the old name of :data:`DATA_MODEL_VERSION`, still reads, with a warning."""
    if name == "SCHEMA_VERSION":
        warnings.warn(
            f"{__name__}.SCHEMA_VERSION is deprecated; use DATA_MODEL_VERSION (the data model's version)",
            DeprecationWarning,
            stacklevel=2,
        )
        return DATA_MODEL_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Label = Literal["success", "failure"]
VerdictLabel = Literal["success", "failure", "abstained"]
VerdictSource = Literal["judge", "rules", "outcome"]
ItemStatus = Literal["active", "retired"]
Origin = Literal["success", "failure", "contrast", "refinement", "manual", "trajectory", "workflow"]
DropReason = Literal[
    "example_copy", "placeholder", "invalid", "page_specific", "unknown_action", "exact_duplicate"
]
"""Why an extracted item was kept out of the bank (see :class:`Dropped`)."""
SkipReason = Literal["abstained", "held_already"]
"""Why no extraction was made (see :class:`Skipped`)."""


def new_id() -> str:
    """A fresh random identifier (uuid4 hex)."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Step(_Model):
    """One agent step: the thought, the action taken and (optionally) what it saw."""

    thought: str = ""
    action: str = ""
    observation: str | None = None
    # What the action acted on, as the environment described it (e.g. "button 'Submit'"):
    # lets a judge or extractor that sees only the action history tell what click(2) did.
    target: str | None = None


class Trajectory(_Model):
    """What the agent did for one task."""

    task_id: str
    query: str
    steps: list[Step] = Field(default_factory=list)
    final_answer: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("query")
    @classmethod
    def _query_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("query must not be empty")
        return v

    @field_validator("task_id")
    @classmethod
    def _task_id_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("task_id must not be empty")
        return v


class Verdict(_Model):
    """What the learning loop believes about an episode: never read from a benchmark's score.

    * ``label``: ``success`` or ``failure`` (items are distilled accordingly), or
      ``abstained``: not sure enough to learn; the experience is kept with no items.
    * ``p_success``: the judged probability that the episode succeeded (None when
      the judge gives no probability, e.g. the paper's judge on a backend without
      log-probabilities).
    * ``source``: ``judge`` (a model answered), ``rules`` (code decided from the
      episode's evidence: how it ended, what the agent did) or ``outcome`` (the
      caller passed a known outcome: a labelled input, not a judgement).
    * ``reason``: why this label (the rule that fired, or why it abstained); ``rule``
      names the code rule that decided, when one did.
    * ``parsed`` is False when the judge's output could not be read even after a
      retry; the label is then ``failure`` (paper judge) or ``abstained``.
    """

    label: VerdictLabel
    thoughts: str = ""
    judge_model: str = ""
    parsed: bool = True
    raw: str = ""
    p_success: float | None = Field(default=None, ge=0.0, le=1.0)
    source: VerdictSource = "judge"
    reason: str = ""
    rule: str = ""  # the code rule that decided (source "rules"), e.g. "step_limit"

    @property
    def success(self) -> bool:
        return self.label == "success"

    @property
    def abstained(self) -> bool:
        return self.label == "abstained"

    @property
    def confidence(self) -> float | None:
        """How sure the verdict is of its lean: ``max(p, 1 - p)``; None without a probability."""
        if self.p_success is None:
            return None
        return max(self.p_success, 1.0 - self.p_success)


class MemoryItem(_Model):
    """A distilled piece of reasoning: a strategy or a preventive lesson.

    Items are never edited in place: a new version is a new item whose
    ``version`` is higher and the old item gets ``superseded_by``.
    """

    id: str = Field(default_factory=new_id)
    title: str
    description: str = ""
    content: str
    origin: Origin = "success"
    experience_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1
    superseded_by: str | None = None
    # "retired": the item's record says it does more harm than good; it is kept (as a new
    # version, with the reason) and can be restored, but it is never retrieved.
    status: ItemStatus = "active"
    status_reason: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"

    @field_validator("title", "content")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v.strip()


class EmbeddingRef(_Model):
    """A stored vector with the model that made it."""

    model: str
    dim: int
    vector: list[float]

    @field_validator("vector")
    @classmethod
    def _finite(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("embedding vector is empty")
        return v


class LearnedWith(_Model):
    """The preset an experience was stored under: its name and the retrieve section its query was
    embedded for. The scope's oldest experience that has one decides how the bank retrieves."""

    preset: str
    retrieve: dict[str, Any] = Field(default_factory=dict)


class Experience(_Model):
    """One bank entry: a task, what the agent did, the judge's verdict and the
    memory items distilled from it."""

    schema_version: int = DATA_MODEL_VERSION
    id: str = Field(default_factory=new_id)
    scope: str = "default"
    task_id: str
    query: str
    query_embedding: EmbeddingRef | None = None
    trajectory: Trajectory | None = None
    # The other rollouts of a task run several times (MaTTS): the items came from all of them.
    rollouts: list[Trajectory] = Field(default_factory=list)
    verdict: Verdict | None = None
    items: list[MemoryItem] = Field(default_factory=list)
    raw_extraction: str = ""
    extraction_note: str = ""
    # Secrets taken out before anything was stored or sent to a model, by kind ("openai-key": 2).
    redactions: dict[str, int] = Field(default_factory=dict)
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict)
    # None: stored by a version that did not record it (retrieval then uses the bank's own preset).
    learned_with: LearnedWith | None = None
    created_at: datetime = Field(default_factory=utcnow)


class UsageEvent(_Model):
    """One task's judged outcome, for one item: shown to the task, or of its kind but not shown."""

    item_id: str
    task_id: str
    shown: bool
    label: VerdictLabel
    created_at: datetime = Field(default_factory=utcnow)


class Usage(_Model):
    """Token usage and cost of one or several LLM calls."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost=self.cost + other.cost,
            seconds=self.seconds + other.seconds,
        )


class RetrievedExperience(_Model):
    """A retrieval hit: the experience and its cosine similarity to the query."""

    experience: Experience
    score: float


# ----------------------------------------------------------------------------- what learning did

_COUNTED: dict[str, str] = {
    "example_copy": "dropped {n} item(s) copying the prompt's example",
    "exact_duplicate": "dropped {n} exact duplicate item(s)",
}
"""Drop reasons the note tells as one count, not item by item."""


class Dropped(_Model):
    """One extracted item kept out of the bank, and why.

    ``detail`` is what the reason names: the page-specific element (``page_specific``),
    the missing actions (``unknown_action``) or the validation error (``invalid``)."""

    reason: DropReason
    title: str = ""
    detail: str = ""

    def note(self) -> str:
        """This drop as the learn note tells it (a counted reason says ``1 item(s)``)."""
        return dropped_notes([self])[0]


def dropped_notes(dropped: Sequence[Dropped]) -> list[str]:
    """The note's parts for ``dropped``, in order: one per item, except that example copies and
    exact duplicates are told as one count where the first of them was."""
    notes: list[str] = []
    told: set[str] = set()
    for d in dropped:
        if d.reason in _COUNTED:
            if d.reason not in told:
                told.add(d.reason)
                notes.append(_COUNTED[d.reason].format(n=sum(x.reason == d.reason for x in dropped)))
        elif d.reason == "placeholder":
            notes.append(f"dropped a placeholder item ({d.title[:40]!r})")
        elif d.reason == "invalid":
            notes.append(f"dropped an invalid item ({d.detail})")
        elif d.reason == "page_specific":
            notes.append(f"dropped {d.title[:60]!r}: it names a page-specific element ({d.detail!r})")
        else:
            notes.append(f"dropped {d.title[:60]!r}: the agent has no action {d.detail}")
    return notes


class Retired(_Model):
    """An item retired after a learn because its record is net harmful."""

    item_id: str
    title: str
    reason: str

    def note(self) -> str:
        return f"retired {self.title[:60]!r}: {self.reason}"


class Skipped(_Model):
    """Why no extraction was made: the verdict abstained, or the bank holds the lesson already."""

    reason: SkipReason
    detail: str = ""

    def note(self) -> str:
        return f"{'abstained' if self.reason == 'abstained' else 'not extracted'}: {self.detail}"


class LearnReport(_Model):
    """What ``ReasoningBank.learn`` did for one trajectory, one fact a field.

    ``note`` renders the facts for people (and for records written before the facts were
    kept): the redactions, the extraction's remarks, the drops, merges and retirements."""

    experience_id: str
    verdict: Verdict
    items: list[MemoryItem]
    stored: bool
    note: str = ""
    judge_usage: Usage = Field(default_factory=Usage)
    extraction_usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    redactions: dict[str, int] = Field(default_factory=dict)
    dropped: list[Dropped] = Field(default_factory=list)
    merged: int = 0  # near-duplicates merged into existing items (not stored)
    retired: list[Retired] = Field(default_factory=list)
    skipped: Skipped | None = None
    literals_replaced: int = 0  # fields whose task values were replaced (``generalize_literals``)

    @property
    def usage(self) -> Usage:
        return self.judge_usage + self.extraction_usage


def item_hash(title: str, content: str) -> str:
    """Content hash for exact-duplicate suppression: case- and whitespace-insensitive."""
    import hashlib

    norm = " ".join(title.lower().split()) + "\n" + " ".join(content.lower().split())
    return hashlib.sha256(norm.encode()).hexdigest()
