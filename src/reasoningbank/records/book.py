"""The read side of the item records: an item by id, its record, retiring and restoring it.

:class:`ItemBook` needs only a store and a scope, so the CLI and the service
read records without building the learning side
(:class:`~reasoningbank.records.tracker.ItemTracker`), which uses a book too.
Retiring and restoring add a new version of the item with the reason: nothing is
ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import MemoryItem, new_id
from ..stores.base import NotFoundError, Store
from .record import ItemRecord, item_record, lineage


@dataclass(frozen=True)
class ItemBook:
    store: Store
    scope: str

    def record(self, item: MemoryItem) -> ItemRecord:
        """The record of ``item`` over every version of it."""
        ids = [item.id]
        if item.experience_id:
            try:
                exp = self.store.get(self.scope, item.experience_id, include_superseded=True)
                ids = lineage(exp.items, item.id)
            except NotFoundError:
                pass
        return item_record(self.store.usage(self.scope, ids))

    def find(self, item_id: str) -> MemoryItem:
        """The current version of an item, by the id of any of its versions (or a unique prefix)."""
        matches: list[MemoryItem] = []
        for exp in self.store.list(self.scope, include_superseded=True):
            chain = {it.id: it for it in exp.items}
            for it in exp.items:
                if it.id == item_id or it.id.startswith(item_id):
                    current = it
                    while current.superseded_by and current.superseded_by in chain:
                        current = chain[current.superseded_by]
                    matches.append(current)
        unique = {m.id: m for m in matches}
        if not unique:
            raise NotFoundError(f"no item {item_id!r} in scope {self.scope!r}")
        if len(unique) > 1:
            raise NotFoundError(f"item id prefix {item_id!r} is ambiguous in scope {self.scope!r}")
        return next(iter(unique.values()))

    def set_status(self, item_id: str, status: str, reason: str) -> MemoryItem:
        """Retire or restore the current version of an item, under the scope's write lock:
        the version read here is the one superseded, even with a learner retiring it at once."""
        with self.store.write_lock(self.scope):
            item = self.find(item_id)
            if item.status == status:
                return item
            return self.supersede(item, status, reason)

    def supersede(self, item: MemoryItem, status: str, reason: str) -> MemoryItem:
        """A new version of ``item`` with ``status`` and ``reason`` (the caller holds the lock)."""
        new = item.model_copy(update={"id": new_id(), "status": status, "status_reason": reason})
        return self.store.supersede_item(self.scope, item.id, new)
