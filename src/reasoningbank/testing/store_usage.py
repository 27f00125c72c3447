"""The usage part of the store conformance suite: item usage events, per scope.

:class:`~reasoningbank.testing.store_conformance.StoreConformance` inherits these
cases; a backend's test class subclasses that, not this.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ..models import UsageEvent
from ..stores.base import Store
from .store_samples import T0, axis, make_experience


def _event(
    item: str, task: str, *, shown: bool = True, label: str = "success", minute: int = 0
) -> UsageEvent:
    return UsageEvent(
        item_id=item,
        task_id=task,
        shown=shown,
        label=label,  # type: ignore[arg-type]
        created_at=T0 + timedelta(minutes=minute),
    )


class StoreUsageCases:
    """Usage events are appended, read back per item in time order, scoped, and go with their items."""

    def make_store(self, tmp_path: Path) -> Store:
        raise NotImplementedError("implement make_store(tmp_path) -> Store in your subclass")

    @pytest.fixture
    def usage_store(self, tmp_path: Path) -> Iterator[Store]:
        s = self.make_store(tmp_path)
        try:
            yield s
        finally:
            s.close()

    def test_usage_round_trip_in_time_order(self, usage_store: Store) -> None:
        first = _event("i1", "t1", minute=1)
        second = _event("i1", "t2", shown=False, label="failure", minute=2)
        other = _event("i2", "t2", label="abstained", minute=3)
        usage_store.record_usage("s", [second, first, other])
        got = usage_store.usage("s", ["i1"])
        assert got == [first, second]
        assert usage_store.usage("s", ["i1", "i2", "nope"]) == [first, second, other]
        assert usage_store.usage("s", []) == []

    def test_usage_is_scoped(self, usage_store: Store) -> None:
        usage_store.record_usage("a", [_event("i1", "t1")])
        assert usage_store.usage("b", ["i1"]) == []
        assert len(usage_store.usage("a", ["i1"])) == 1

    def test_usage_of_a_deleted_experience_goes_with_it(self, usage_store: Store) -> None:
        exp = make_experience(1, scope="s", vec=axis(0))
        usage_store.add(exp)
        item = exp.items[0].id
        usage_store.record_usage("s", [_event(item, "t9"), _event("kept", "t9")])
        usage_store.delete("s", exp.id)
        assert usage_store.usage("s", [item]) == []
        assert len(usage_store.usage("s", ["kept"])) == 1

    def test_many_items_at_once(self, usage_store: Store) -> None:
        events = [_event(f"i{n}", "t", minute=n % 50) for n in range(1200)]
        usage_store.record_usage("s", events)
        assert len(usage_store.usage("s", [f"i{n}" for n in range(1200)])) == 1200
