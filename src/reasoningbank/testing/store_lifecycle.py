"""The lifecycle part of the store conformance suite: ``with`` blocks and closed stores.

:class:`~reasoningbank.testing.store_conformance.StoreConformance` inherits these
cases; a backend's test class subclasses that, not this.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..models import MemoryItem, UsageEvent, item_hash
from ..stores.base import Store, StoreError
from .store_cases import StoreCases
from .store_samples import MODEL, axis, make_experience


def _lock_and_release(store: Store) -> None:
    with store.write_lock("s"):
        pass


# One call of every Store method, for checking that a closed store refuses them all.
_CALLS: dict[str, Callable[[Store], object]] = {
    "add": lambda s: s.add(make_experience(2, vec=axis(1))),
    "add_many": lambda s: s.add_many([]),
    "get": lambda s: s.get("s", "e1"),
    "list": lambda s: s.list("s"),
    "delete": lambda s: s.delete("s", "e1"),
    "count": lambda s: s.count("s"),
    "count_items": lambda s: s.count_items("s"),
    "scopes": lambda s: s.scopes(),
    "embedding_model": lambda s: s.embedding_model("s"),
    "search": lambda s: s.search("s", axis(0), 1, model=MODEL),
    "has_item_hash": lambda s: s.has_item_hash(
        "s", item_hash("Title 1.0", "Content of item 0 of experience 1")
    ),
    "supersede_item": lambda s: s.supersede_item("s", "s-e1-i0", MemoryItem(title="t", content="c")),
    "record_usage": lambda s: s.record_usage(
        "s", [UsageEvent(item_id="i", task_id="t", shown=True, label="success")]
    ),
    "usage": lambda s: s.usage("s", ["i"]),
    "write_lock": _lock_and_release,
}


class StoreLifecycleCases(StoreCases):
    """Every store closes at the end of a ``with`` block and refuses use once closed."""

    def test_with_block_yields_the_store_and_closes_it(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        with store as s:
            assert s is store
            s.add(make_experience(1, vec=axis(0)))
            assert s.count("s") == 1
        with pytest.raises(StoreError, match="closed"):
            store.count("s")

    def test_with_block_closes_when_it_raises(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        with pytest.raises(KeyError, match="raised inside"), store:
            raise KeyError("raised inside")
        with pytest.raises(StoreError, match="closed"):
            store.scopes()

    @pytest.mark.parametrize("method", sorted(_CALLS))
    def test_closed_store_refuses_every_call(self, tmp_path: Path, method: str) -> None:
        store = self.make_store(tmp_path)
        store.add(make_experience(1, vec=axis(0)))
        _CALLS[method](store)  # works while open
        store.close()
        store.close()  # closing again is allowed
        with pytest.raises(StoreError, match="is closed"):
            _CALLS[method](store)
