"""Consolidation: decide which newly extracted items enter the bank.

* ``append`` is the paper's behaviour: every item is added.
* ``dedup`` drops an item whose :func:`~reasoningbank.models.item_hash` (case-
  and whitespace-insensitive title + content) already exists as a current item
  in the scope, or appears earlier in the same batch.
* ``merge`` drops those exact duplicates too, looked up by hash in the store
  (``Store.has_item_hash``, an indexed column): over the whole scope however
  old, and of any kind. It also drops an item whose text (title + content)
  embeds at least ``similarity`` close to an active item of a past experience of
  the same kind (the ``neighbours`` the caller passes, a kind's recent history)
  or of the batch: the same lesson, reworded. The older item stays, keeps being
  retrieved for that kind, and its record keeps growing; the new experience
  keeps the trajectory. Rewordings are merged within the same kind only: merged
  into another kind's experience, a reworded lesson would never be shown for
  this one; an exact copy is one lesson whichever kind repeats it.

Items are never edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .config import ConsolidationMode
from .embed import Embedder
from .models import Dropped, MemoryItem, dropped_notes, item_hash
from .stores.base import Store


@dataclass(frozen=True)
class Consolidation:
    kept: list[MemoryItem]
    duplicates: list[MemoryItem]
    near_duplicates: list[MemoryItem] = field(default_factory=list)

    @property
    def dropped(self) -> list[Dropped]:
        """The exact duplicates, as dropped items."""
        return [Dropped(reason="exact_duplicate", title=it.title) for it in self.duplicates]

    @property
    def note(self) -> str:
        parts = dropped_notes(self.dropped)
        if self.near_duplicates:
            parts.append(f"merged {len(self.near_duplicates)} near-duplicate item(s) into existing ones")
        return "; ".join(parts)


def item_text(item: MemoryItem) -> str:
    return f"{item.title}\n{item.content}"


class Consolidator:
    def __init__(
        self,
        mode: ConsolidationMode = "append",
        *,
        embedder: Embedder | None = None,
        similarity: float = 0.9,
    ) -> None:
        if mode not in ("append", "dedup", "merge"):
            raise ValueError(f"unknown consolidation mode {mode!r}; expected 'append', 'dedup' or 'merge'")
        if mode == "merge" and embedder is None:
            raise ValueError("consolidation mode 'merge' needs an embedder")
        self.mode = mode
        self.embedder = embedder
        self.similarity = similarity
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}  # item id -> unit vector (items never change)

    def consolidate(
        self,
        items: Sequence[MemoryItem],
        store: Store,
        scope: str,
        *,
        neighbours: Sequence[MemoryItem] = (),
    ) -> Consolidation:
        """Split ``items`` into those to store and the (near-)duplicates to drop; ``neighbours``
        are the active items a ``merge`` compares with (the same kind's)."""
        if self.mode == "append":
            return Consolidation(kept=list(items), duplicates=[], near_duplicates=[])
        active = [it for it in neighbours if it.active]
        kept: list[MemoryItem] = []
        dups: list[MemoryItem] = []
        seen: set[str] = {item_hash(it.title, it.content) for it in active}
        for item in items:
            h = item_hash(item.title, item.content)
            # an exact copy of a current item anywhere in the scope (however old, of any kind)
            if h in seen or store.has_item_hash(scope, h):
                dups.append(item)
            else:
                seen.add(h)
                kept.append(item)
        if self.mode == "dedup" or not kept:
            return Consolidation(kept=kept, duplicates=dups, near_duplicates=[])
        kept, near = self._merge(kept, active)
        return Consolidation(kept=kept, duplicates=dups, near_duplicates=near)

    def _merge(
        self, items: list[MemoryItem], current: list[MemoryItem]
    ) -> tuple[list[MemoryItem], list[MemoryItem]]:
        assert self.embedder is not None
        missing = [it for it in current if it.id not in self._vectors]
        if missing:
            vecs = self.embedder.embed_documents([item_text(it) for it in missing])
            self._vectors.update({it.id: v for it, v in zip(missing, vecs, strict=True)})
        pool = [self._vectors[it.id] for it in current]
        new_vecs = self.embedder.embed_documents([item_text(it) for it in items])
        kept: list[MemoryItem] = []
        near: list[MemoryItem] = []
        for item, vec in zip(items, new_vecs, strict=True):
            if pool and float(np.max(np.stack(pool) @ vec)) >= self.similarity:
                near.append(item)
            else:
                kept.append(item)
                pool.append(vec)
        return kept, near
