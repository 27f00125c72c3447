"""Keeping the bank honest: record what each item was shown to, and retire net-harmful items.

:class:`ItemTracker` remembers which items retrieval showed for a task (until
the task is learned), records usage events when it is learned (shown items, and
items of the same kind that were not shown), and retires an item whose record
is net harmful (:class:`~reasoningbank.records.record.RetirePolicy`), through
its :class:`~reasoningbank.records.book.ItemBook`. A retired item is never
retrieved.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..models import Experience, MemoryItem, Retired, UsageEvent, Verdict
from ..stores.base import NotFoundError, Store
from .book import ItemBook
from .record import RetirePolicy

KIND_LIMIT = 200
"""How many of a kind's most similar past experiences an item's record and the merge look at."""


class ItemTracker:
    def __init__(
        self,
        store: Store,
        scope: str,
        *,
        policy: RetirePolicy | None,
        kind_similarity: float,
        model: str,
    ) -> None:
        self.store = store
        self.scope = scope
        self.policy = policy  # None: record, never retire
        self.kind_similarity = kind_similarity
        self.model = model
        self.book = ItemBook(store, scope)
        self._shown: dict[str, list[str]] = {}
        self._seen: dict[str, MemoryItem] = {}  # items retrieval returned, by id (bounded)

    # ------------------------------------------------------------------ retrieval side

    def note_shown(self, task_id: str, items: Sequence[MemoryItem]) -> None:
        """Remember the items retrieval showed for ``task_id`` (consumed when it is learned)."""
        self._shown[task_id] = [it.id for it in items]
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen.update((it.id, it) for it in items)

    def take_shown(self, task_id: str) -> list[str]:
        return self._shown.pop(task_id, [])

    # ------------------------------------------------------------------ learning side

    def after_learn(
        self, exp: Experience, shown: Sequence[str], vector: npt.NDArray[np.float32]
    ) -> list[Retired]:
        """Record the learned task's outcome against shown and same-kind items; retire the
        harmful ones. Returns the items retired, with why."""
        if exp.verdict is None:
            return []
        label = exp.verdict.label
        shown_set = set(shown)
        events = [UsageEvent(item_id=i, task_id=exp.task_id, shown=True, label=label) for i in shown]
        kind = self._same_kind(vector, exp)
        events += [
            UsageEvent(item_id=it.id, task_id=exp.task_id, shown=False, label=label)
            for it in kind
            if it.id not in shown_set
        ]
        self.store.record_usage(self.scope, events)
        if self.policy is None or label == "abstained":
            return []
        retired: list[Retired] = []
        for item in self._current({*shown_set, *(it.id for it in kind)}, kind):
            reason = self.policy.harmful(self.book.record(item))
            if reason is not None:
                self.book.supersede(item, "retired", reason)
                retired.append(Retired(item_id=item.id, title=item.title, reason=reason))
        return retired

    def kind(self, vector: npt.NDArray[np.float32], exclude_id: str | None = None) -> list[Experience]:
        """Past experiences whose query is at least ``kind_similarity`` similar, best first (at
        most :data:`KIND_LIMIT`, the newest first among equals: a kind's recent history)."""
        n = min(self.store.count(self.scope), KIND_LIMIT)
        if n == 0:
            return []
        hits = self.store.search(self.scope, vector, n, model=self.model)
        return [
            h.experience for h in hits if h.score >= self.kind_similarity and h.experience.id != exclude_id
        ]

    def _same_kind(self, vector: npt.NDArray[np.float32], exp: Experience) -> list[MemoryItem]:
        """Active items of past experiences of the same kind."""
        return [it for e in self.kind(vector, exp.id) for it in e.items if it.active]

    def covering(self, vector: npt.NDArray[np.float32], verdict: Verdict) -> Experience | None:
        """A past experience of the same kind, with the same verdict label (and, for a failure a
        rule decided, the same rule), that still has active items: what a new extraction would
        most likely repeat."""
        for e in self.kind(vector, None):
            v = e.verdict
            if v is None or v.label != verdict.label or not any(it.active for it in e.items):
                continue
            if verdict.label == "failure" and verdict.rule and v.rule != verdict.rule:
                continue
            return e
        return None

    def _current(self, ids: set[str], known: Sequence[MemoryItem]) -> list[MemoryItem]:
        """The active items among ``ids``: from ``known`` and what retrieval returned, else read
        from their experiences."""
        found = {it.id: it for it in (*self._seen.values(), *known) if it.id in ids}
        owners = {it.experience_id for it in found.values() if it.experience_id}
        fresh: dict[str, MemoryItem] = {}
        for exp_id in owners:  # re-read: an item may have been retired or restored since
            try:
                exp = self.store.get(self.scope, exp_id)
            except NotFoundError:
                continue
            fresh.update((it.id, it) for it in exp.items if it.id in ids)
        missing = ids - set(fresh)
        if missing:  # shown in another process: look them up the slow way
            for exp in self.store.list(self.scope):
                fresh.update((it.id, it) for it in exp.items if it.id in missing)
        return [it for it in fresh.values() if it.active]
