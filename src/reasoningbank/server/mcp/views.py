"""What the MCP tools answer: a structured result and the text a coding agent reads.

A tool result carries both. The structured content (these models, published
as each tool's output schema) is for clients that parse it; the text is what
most coding agents put in front of the model, so it leads with what to do
(the memory block) and keeps the "why" to one line per item. Both are built
from the service's answers (:mod:`..schemas`) only: nothing here reads a store.
"""

from __future__ import annotations

from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from ...models import ItemStatus, MemoryItem, Origin, VerdictLabel
from ...retrieve import floor_note
from ...text.formatting import clip
from ..schemas import ItemList, ItemView, JobView, RecordView, RetrieveResponse

_QUERY_CHARS = 160
"""How much of a past task's text a "why" line quotes."""


class RetrievedItem(BaseModel):
    id: str
    title: str
    description: str
    content: str
    origin: Origin = Field(description="success, failure (a lesson from a mistake), contrast, ...")
    score: float = Field(description="similarity of this task to the past task the item came from")
    source_task: str = Field(description="the past task the item was learned from")
    source_task_id: str
    source_outcome: VerdictLabel | None = Field(description="how the past task went (null: hand-written)")
    record: RecordView | None = Field(description="outcomes of tasks shown this item, against tasks not")


class RetrieveOutput(BaseModel):
    bank: str
    task_id: str = Field(description="pass it to submit_trajectory when the task is finished")
    memory: str = Field(description="the memory block to read before planning ('' when nothing matched)")
    items: list[RetrievedItem] = Field(description="the items of the memory block, best match first")
    note: str | None = Field(
        default=None, description="when no lesson passed the similarity floor: the nearest and its similarity"
    )


class ItemBrief(BaseModel):
    id: str
    title: str
    description: str
    content: str


class Learned(BaseModel):
    experience_id: str
    verdict: VerdictLabel | None
    verdict_reason: str
    items: list[ItemBrief]
    note: str


class JobOutput(BaseModel):
    job_id: str
    bank: str
    status: str = Field(description="accepted, running, done or failed")
    task_id: str | None = Field(default=None, description="the task the trajectory was submitted for")
    result: Learned | None = Field(default=None, description="what was learned, once done")
    error: str | None = Field(default=None, description="why the job failed, if it did")


class ListedItem(BaseModel):
    id: str
    title: str
    description: str
    content: str
    origin: Origin
    status: ItemStatus
    experience_id: str
    task_id: str
    record: RecordView


class ItemsOutput(BaseModel):
    bank: str
    offset: int
    limit: int
    total_experiences: int
    next_offset: int | None = Field(description="offset of the next page (null: this was the last)")
    items: list[ListedItem]


class ItemOutput(BaseModel):
    bank: str
    item: MemoryItem
    experience_id: str
    task_id: str
    record: RecordView


def result(model: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json")
    )


def record_text(rec: RecordView | None) -> str:
    if rec is None:
        return "record not asked for"
    if rec.shown == 0:
        shown = "not yet shown to a judged task"
    else:
        shown = f"shown to {rec.shown} judged task(s), {rec.shown_success} succeeded"
    if rec.not_shown == 0:
        return shown
    return f"{shown}; similar tasks without it: {rec.not_shown_success} of {rec.not_shown} succeeded"


# ----------------------------------------------------------------------------- retrieve


def retrieve_output(resp: RetrieveResponse, task_id: str) -> RetrieveOutput:
    items = [
        RetrievedItem(
            id=why.item.id,
            title=why.item.title,
            description=why.item.description,
            content=why.item.content,
            origin=why.item.origin,
            score=round(hit.score, 4),
            source_task=hit.query,
            source_task_id=hit.task_id,
            source_outcome=hit.verdict.label if hit.verdict else None,
            record=why.record,
        )
        for hit in resp.hits
        for why in hit.items
    ]
    note = None
    if resp.nearest is not None and not items:
        lower = "the server's retrieve.min_score setting"
        note = floor_note(resp.min_score, resp.nearest.title, resp.nearest.score, lower)
    return RetrieveOutput(bank=resp.bank, task_id=task_id, memory=resp.rendered or "", items=items, note=note)


def retrieve_text(out: RetrieveOutput) -> str:
    tail = f"(bank {out.bank}; task_id {out.task_id}: pass it to submit_trajectory when you finish)"
    if not out.items:
        said = (
            f"{out.note} Proceed as usual."
            if out.note
            else "No stored lesson matches this task: proceed as usual."
        )
        return f"{said}\n{tail}\nWhen you finish, call submit_trajectory so the bank learns from this task."
    lines = [out.memory.strip(), "", "Why these items:"]
    for n, it in enumerate(out.items, start=1):
        outcome = it.source_outcome or "hand-written"
        past = clip(" ".join(it.source_task.split()), _QUERY_CHARS)
        lines.append(
            f"{n}. {it.title} [item {it.id}]: from a past task ({outcome}, similarity {it.score:.2f}) "
            f'"{past}"; {record_text(it.record)}'
        )
    lines += ["", tail]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- jobs


def job_output(job: JobView, task_id: str | None = None) -> JobOutput:
    learned = None
    if job.result is not None:
        r = job.result
        learned = Learned(
            experience_id=r.experience_id,
            verdict=r.verdict.label if r.verdict else None,
            verdict_reason=r.verdict.reason if r.verdict else "",
            items=[
                ItemBrief(id=i.id, title=i.title, description=i.description, content=i.content)
                for i in r.items
            ],
            note=r.note,
        )
    return JobOutput(
        job_id=job.id, bank=job.bank, status=job.status, task_id=task_id, result=learned, error=job.error
    )


def job_text(out: JobOutput) -> str:
    head = f"Learning job {out.job_id} (bank {out.bank}): {out.status}."
    if out.status in ("accepted", "running"):
        return (
            f"{head} It runs in the background; you need not wait for it. To see what was "
            f"learned, call learning_job_status with job_id {out.job_id}."
        )
    if out.status == "failed" or out.result is None:
        return f"{head} Nothing was learned: {out.error or 'no reason given'}"
    r = out.result
    lines = [
        f"{head} Verdict: {r.verdict or 'none'}" + (f" ({r.verdict_reason})" if r.verdict_reason else "")
    ]
    if r.items:
        lines.append(f"{len(r.items)} item(s) stored:")
        lines += [f"- {i.title} [item {i.id}]: {i.description}" for i in r.items]
    else:
        lines.append("No new item was stored" + (f": {r.note}" if r.note else "."))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- stored items


def items_output(found: ItemList, *, offset: int, limit: int, total: int) -> ItemsOutput:
    items = [
        ListedItem(
            id=v.item.id,
            title=v.item.title,
            description=v.item.description,
            content=v.item.content,
            origin=v.item.origin,
            status=v.item.status,
            experience_id=v.experience_id,
            task_id=v.task_id,
            record=v.record,
        )
        for v in found.items
    ]
    more = offset + limit < total
    return ItemsOutput(
        bank=found.bank,
        offset=offset,
        limit=limit,
        total_experiences=total,
        next_offset=offset + limit if more else None,
        items=items,
    )


def items_text(out: ItemsOutput) -> str:
    last = min(out.offset + out.limit, out.total_experiences)
    head = (
        f"Bank {out.bank}: {len(out.items)} item(s) from experiences {out.offset + 1}-{last} "
        f"of {out.total_experiences} (oldest first)."
    )
    if out.total_experiences == 0 or out.offset >= out.total_experiences:
        head = f"Bank {out.bank}: no experiences at offset {out.offset} ({out.total_experiences} stored)."
    lines = [head]
    for it in out.items:
        retired = " (retired)" if it.status != "active" else ""
        lines.append(f"- {it.title}{retired} [item {it.id}]: {it.description}")
    if out.next_offset is not None:
        lines.append(f"More: call list_memory_items with offset {out.next_offset}.")
    return "\n".join(lines)


def item_output(bank: str, view: ItemView) -> ItemOutput:
    return ItemOutput(
        bank=bank, item=view.item, experience_id=view.experience_id, task_id=view.task_id, record=view.record
    )


def item_text(out: ItemOutput) -> str:
    it = out.item
    status = f"status {it.status}" + (f" ({it.status_reason})" if it.status_reason else "")
    return "\n".join(
        [
            f"# {it.title}",
            f"[item {it.id}, version {it.version}, origin {it.origin}, {status}]",
            it.description,
            "",
            it.content,
            "",
            f"Learned from task {out.task_id} (experience {out.experience_id}); {record_text(out.record)}.",
        ]
    )
