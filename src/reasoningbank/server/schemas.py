"""What goes over the wire: requests and answers of the service (REST, and the MCP server's tools).

Requests forbid unknown fields and cap every size a caller controls, so a typo
is an error instead of a silently ignored option and no single field can be
made large enough to hurt. Answers never echo a request's free text back (only
ids and stored data), so nothing a caller sends can break their serialisation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Experience, MemoryItem, Trajectory, Verdict, VerdictLabel, VerdictSource
from ..records.record import ItemRecord
from .jobs import JobStatus

MAX_QUERY_CHARS = 20_000
MAX_ID_CHARS = 200
MAX_TITLE_CHARS = 1_000
MAX_ITEM_CHARS = 20_000
"""Largest hand-written item's content (a learned item is far shorter)."""
MAX_BODY_BYTES = 4 * 1024 * 1024
"""Largest request body but an import: a long trajectory fits many times over."""
MAX_IMPORT_BYTES = 64 * 1024 * 1024
"""Largest import body (an export with every item version and the vectors)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    where: str = Field(description="the field at fault, e.g. 'body.trajectory.query'")
    message: str


class ErrorInfo(BaseModel):
    status: int
    code: str = Field(description="machine-readable kind: unauthorized, not_found, invalid_request, ...")
    message: str = Field(description="what is wrong, for a person")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Every error answer of the service."""

    error: ErrorInfo


# ----------------------------------------------------------------------------- retrieval


class RetrieveRequest(_Request):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="the task to find memory for")
    k: int | None = Field(default=None, ge=1, le=50, description="experiences to return (the preset's k)")
    task_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ID_CHARS,
        description="the task's id: its own past experiences are left out (unless include_same_task), "
        "and the items returned are remembered as shown to it, to credit them when it is learned",
    )
    include_same_task: bool = False
    render: bool = Field(default=False, description="also return the system-prompt memory block")
    why: bool = Field(default=True, description="include each item's usage record")
    min_score: float | None = Field(
        default=None,
        ge=-1.0,
        le=1.0,
        description="similarity floor for this query (default: the one the bank learned with)",
    )


class RecordView(BaseModel):
    """An item's record: judged outcomes of the tasks it was shown to, against its kind's tasks without it."""

    shown: int
    shown_success: int
    shown_failure: int
    not_shown: int
    not_shown_success: int
    not_shown_failure: int
    shown_success_rate: float | None
    not_shown_success_rate: float | None

    @classmethod
    def of(cls, record: ItemRecord) -> RecordView:
        return cls(
            shown=record.shown,
            shown_success=record.shown_success,
            shown_failure=record.shown_failure,
            not_shown=record.unshown,
            not_shown_success=record.unshown_success,
            not_shown_failure=record.unshown_failure,
            shown_success_rate=record.shown_rate,
            not_shown_success_rate=record.unshown_rate,
        )


class VerdictView(BaseModel):
    label: VerdictLabel
    source: VerdictSource
    p_success: float | None
    reason: str
    rule: str

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictView:
        return cls.model_validate(verdict, from_attributes=True)


class ItemWhy(BaseModel):
    item: MemoryItem
    record: RecordView | None = Field(description="null when the request asked why=false")


class Hit(BaseModel):
    """One retrieved experience and why: its similarity, the task it came from and its verdict."""

    score: float = Field(description="cosine similarity of the query to the experience's task")
    experience_id: str
    task_id: str
    query: str = Field(description="the past task the items were learned from")
    verdict: VerdictView | None = Field(description="null for hand-written items")
    created_at: datetime
    items: list[ItemWhy]


class Nearest(BaseModel):
    """The most similar experience when none passed the floor."""

    title: str | None = Field(description="its first current item's title")
    score: float = Field(description="cosine similarity of the query to its task")
    experience_id: str


class RetrieveResponse(BaseModel):
    bank: str
    k: int
    min_score: float = Field(
        description="the similarity floor used (the bank's, unless the request gave one): less "
        "similar experiences are skipped"
    )
    nearest: Nearest | None = Field(
        default=None, description="when no experience passed the floor, the most similar one"
    )
    note: str | None = Field(default=None, description="when nothing was retrieved, why, in one sentence")
    hits: list[Hit]
    items: list[MemoryItem] = Field(description="every item of the hits, best hit first (what to show)")
    rendered: str | None = Field(default=None, description="the memory block, when render was asked")


# ----------------------------------------------------------------------------- learning


class LearnRequest(_Request):
    trajectory: Trajectory
    outcome: Literal["success", "failure"] | None = Field(
        default=None,
        description="the known outcome (tests passed, a form was accepted): recorded as the verdict "
        "instead of asking the judge",
    )
    shown: list[str] | None = Field(
        default=None,
        max_length=200,
        description="ids of the items shown to the task (default: what retrieve returned for its task_id)",
    )


class LearnResult(BaseModel):
    experience_id: str
    verdict: VerdictView | None
    items: list[MemoryItem]
    note: str = ""
    resumed: bool = Field(
        default=False, description="the experience had been stored before a restart interrupted the job"
    )


class JobView(BaseModel):
    id: str
    bank: str
    status: JobStatus
    attempts: int = Field(description="runs that ended in the job's own code (returned, or raised)")
    interruptions: int = Field(
        default=0, description="runs a stop of the service cut short; the job ran again, at no attempt"
    )
    created_at: str
    updated_at: str
    result: LearnResult | None = None
    error: str | None = None


# ----------------------------------------------------------------------------- stored data


class ExperienceSummary(BaseModel):
    id: str
    task_id: str
    query: str
    verdict: VerdictLabel | None
    items: int
    retired: int
    created_at: datetime

    @classmethod
    def of(cls, exp: Experience) -> ExperienceSummary:
        return cls(
            id=exp.id,
            task_id=exp.task_id,
            query=exp.query,
            verdict=exp.verdict.label if exp.verdict else None,
            items=len(exp.items),
            retired=sum(1 for it in exp.items if not it.active),
            created_at=exp.created_at,
        )


class ExperienceList(BaseModel):
    bank: str
    total: int
    limit: int
    offset: int
    experiences: list[ExperienceSummary]


class ExperienceDetail(BaseModel):
    experience: Experience = Field(description="query_embedding is null unless with_vector was asked")
    embedding_model: str | None
    embedding_dim: int | None
    item_records: dict[str, RecordView] = Field(description="the current items' records, by item id")


class ItemView(BaseModel):
    item: MemoryItem
    experience_id: str
    task_id: str
    record: RecordView


_KIND = "the kind of task it helps with, as a user would ask it: what retrieval matches (default: the title)"


class AddItemRequest(_Request):
    """A hand-written item: stored as its own experience (origin ``manual``), redacted like learned ones."""

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, description="what the lesson is, in a line")
    content: str = Field(min_length=1, max_length=MAX_ITEM_CHARS, description="the lesson itself")
    description: str = Field(default="", max_length=MAX_TITLE_CHARS, description="when it applies")
    query: str | None = Field(default=None, min_length=1, max_length=MAX_QUERY_CHARS, description=_KIND)
    task_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)


class ItemList(BaseModel):
    bank: str
    items: list[ItemView]


class Deleted(BaseModel):
    deleted: str
    items: int


class Imported(BaseModel):
    imported: int
    redactions: dict[str, int] = Field(default_factory=dict)  # secrets redacted on the way in, by kind


class Stats(BaseModel):
    bank: str
    experiences: int
    items: int
    items_including_superseded: int
    success: int
    failure: int
    abstained: int
    unjudged: int
    embedding_model: str | None
    embedding_dim: int | None
    jobs: dict[str, int]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    worker: bool = Field(description="the learning worker is running")
