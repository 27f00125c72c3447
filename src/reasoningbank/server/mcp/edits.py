"""The MCP tools that change stored lessons: add one a person dictates, retire, restore or delete one.

Each is, like the tools of :mod:`.tools`, a thin call into the service
(:meth:`~reasoningbank.server.service.MemoryService.add_item`,
``set_item_status``, ``delete_item``) after the caller and the bank are
resolved, so redaction, the duplicate check and the tenant's banks are the
service's. Their answers reuse the item view of :mod:`.views`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol, TypeVar

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from ..keys import Principal
from ..schemas import MAX_ID_CHARS, MAX_ITEM_CHARS, MAX_QUERY_CHARS, MAX_TITLE_CHARS, AddItemRequest, ItemView
from ..service import MemoryService
from . import views
from .arguments import BankArg, TaskIdArg

_T = TypeVar("_T")

ADD_DOC = (
    "Store a lesson a person dictates or asks you to remember ('remember that...', 'next time...'): "
    "a title, the lesson itself (content), when it applies (description) and the kind of task it helps "
    "with (task: new tasks are matched against it). Call it only when the user asks to store a lesson; "
    "what you learn from your own work goes through submit_trajectory. Secrets are redacted before it "
    "is stored; a lesson already stored with the same title and content is refused, with its id."
)
RETIRE_DOC = (
    "Retire a stored lesson that is wrong, outdated or harmful, by its id (from retrieve_memory or "
    "list_memory_items): it is no longer retrieved, its text and track record are kept, and "
    "restore_memory_item undoes it. Call it when the user says a lesson is wrong, or when a lesson you "
    "were shown misled you. Prefer it to delete_memory_item."
)
RESTORE_DOC = (
    "Undo a retirement: the lesson (by the id of any of its versions) is retrieved again. Call it when "
    "the user asks to bring a retired lesson back; list_memory_items with include_retired shows them."
)
DELETE_DOC = (
    "Delete a stored lesson for good, by its id, with every version of it and its track record; it "
    "cannot be undone. Call it only when the user asks to erase a lesson (say it holds something "
    "private); to stop a lesson being retrieved, retire it instead. Lessons learned together from one "
    "task are stored and deleted together: such a lesson is refused unless whole_experience is true, "
    "which deletes all of them."
)

ItemIdArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description="the lesson's id (any version's, or a unique prefix)",
    ),
]
ReasonArg = Annotated[
    str, Field(max_length=MAX_TITLE_CHARS, description="why, in a few words (kept with it)")
]


class DeletedOutput(BaseModel):
    bank: str
    item_id: str = Field(description="the id the call named")
    experience_id: str = Field(description="the experience deleted with it")
    deleted_items: int = Field(description="how many lessons went (more than one with whole_experience)")


class Caller(Protocol):
    """What these tools need of :class:`~.tools.Tools`: the service, who calls, and the error mapping."""

    service: MemoryService

    async def call(self, fn: Callable[..., _T], *args: object) -> _T: ...

    async def who(self, ctx: Context, bank: str | None) -> tuple[Principal, str]: ...


def item_result(bank: str, view: ItemView) -> CallToolResult:
    out = views.item_output(bank, view)
    return views.result(out, views.item_text(out))


class EditTools:
    """The tools that change lessons, on the caller resolution and error mapping of :class:`~.tools.Tools`."""

    def __init__(self, tools: Caller) -> None:
        self.tools = tools
        self.service = tools.service

    async def add_memory_item(
        self,
        title: Annotated[
            str, Field(min_length=1, max_length=MAX_TITLE_CHARS, description="the lesson in a line")
        ],
        content: Annotated[
            str, Field(min_length=1, max_length=MAX_ITEM_CHARS, description="the lesson: what to do or avoid")
        ],
        ctx: Context,
        description: Annotated[
            str, Field(max_length=MAX_TITLE_CHARS, description="when it applies, in a sentence")
        ] = "",
        task: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=MAX_QUERY_CHARS,
                description="the kind of task it helps with, as a user would ask it (omit: the title)",
            ),
        ] = None,
        task_id: TaskIdArg = None,
        bank: BankArg = None,
    ) -> Annotated[CallToolResult, views.ItemOutput]:
        principal, name = await self.tools.who(ctx, bank)
        req = AddItemRequest(
            title=title, content=content, description=description, query=task, task_id=task_id
        )
        view = await self.tools.call(self.service.add_item, principal, name, req)
        return item_result(name, view)

    async def retire_memory_item(
        self, item_id: ItemIdArg, ctx: Context, reason: ReasonArg = "retired by hand", bank: BankArg = None
    ) -> Annotated[CallToolResult, views.ItemOutput]:
        return await self._status(ctx, bank, item_id, active=False, reason=reason)

    async def restore_memory_item(
        self, item_id: ItemIdArg, ctx: Context, reason: ReasonArg = "restored by hand", bank: BankArg = None
    ) -> Annotated[CallToolResult, views.ItemOutput]:
        return await self._status(ctx, bank, item_id, active=True, reason=reason)

    async def _status(
        self, ctx: Context, bank: str | None, item_id: str, *, active: bool, reason: str
    ) -> CallToolResult:
        principal, name = await self.tools.who(ctx, bank)
        view = await self.tools.call(
            lambda: self.service.set_item_status(principal, name, item_id, active=active, reason=reason)
        )
        return item_result(name, view)

    async def delete_memory_item(
        self,
        item_id: ItemIdArg,
        ctx: Context,
        whole_experience: Annotated[
            bool, Field(description="also delete the lessons learned with it from the same task")
        ] = False,
        bank: BankArg = None,
    ) -> Annotated[CallToolResult, DeletedOutput]:
        principal, name = await self.tools.who(ctx, bank)
        gone = await self.tools.call(
            lambda: self.service.delete_item(principal, name, item_id, whole_experience=whole_experience)
        )
        out = DeletedOutput(bank=name, item_id=item_id, experience_id=gone.deleted, deleted_items=gone.items)
        text = f"Deleted {gone.items} lesson(s), experience {gone.deleted}, from bank {name} for good."
        return views.result(out, text)
