"""Consolidation: decide which newly extracted items enter the bank.

``append`` is the paper's behaviour: every item is added. ``dedup`` drops an
item whose :func:`~reasoningbank.models.item_hash` (case- and
whitespace-insensitive title + content) already exists as a current item in
the scope, or appears earlier in the same batch. Items are never edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .config import ConsolidationMode
from .models import MemoryItem, item_hash
from .stores.base import Store


@dataclass(frozen=True)
class Consolidation:
    kept: list[MemoryItem]
    duplicates: list[MemoryItem]

    @property
    def note(self) -> str:
        if not self.duplicates:
            return ""
        return f"dropped {len(self.duplicates)} exact duplicate item(s)"


class Consolidator:
    def __init__(self, mode: ConsolidationMode = "append") -> None:
        if mode not in ("append", "dedup"):
            raise ValueError(f"unknown consolidation mode {mode!r}; expected 'append' or 'dedup'")
        self.mode = mode

    def consolidate(self, items: Sequence[MemoryItem], store: Store, scope: str) -> Consolidation:
        """Split ``items`` into those to store and the exact duplicates to drop."""
        if self.mode == "append":
            return Consolidation(kept=list(items), duplicates=[])
        kept: list[MemoryItem] = []
        dups: list[MemoryItem] = []
        seen: set[str] = set()
        for item in items:
            h = item_hash(item.title, item.content)
            if h in seen or store.has_item_hash(scope, h):
                dups.append(item)
            else:
                seen.add(h)
                kept.append(item)
        return Consolidation(kept=kept, duplicates=dups)
