"""The usage part of the store conformance suite: item usage events, per scope.

:class:`~reasoningbank.testing.store_conformance.StoreConformance` inherits these
cases; a backend's test class subclasses that, not this.
"""

from __future__ import annotations

from datetime import timedelta

from ..models import UsageEvent
from ..stores.base import Store
from .store_cases import StoreCases
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


class StoreUsageCases(StoreCases):
    """Usage events are appended, read back per item in time order, scoped, and go with their items."""

    def test_usage_round_trip_in_time_order(self, store: Store) -> None:
        first = _event("i1", "t1", minute=1)
        second = _event("i1", "t2", shown=False, label="failure", minute=2)
        other = _event("i2", "t2", label="abstained", minute=3)
        store.record_usage("s", [second, first, other])
        got = store.usage("s", ["i1"])
        assert got == [first, second]
        assert store.usage("s", ["i1", "i2", "nope"]) == [first, second, other]
        assert store.usage("s", []) == []

    def test_usage_is_scoped(self, store: Store) -> None:
        store.record_usage("a", [_event("i1", "t1")])
        assert store.usage("b", ["i1"]) == []
        assert len(store.usage("a", ["i1"])) == 1

    def test_usage_of_a_deleted_experience_goes_with_it(self, store: Store) -> None:
        exp = make_experience(1, scope="s", vec=axis(0))
        store.add(exp)
        item = exp.items[0].id
        store.record_usage("s", [_event(item, "t9"), _event("kept", "t9")])
        store.delete("s", exp.id)
        assert store.usage("s", [item]) == []
        assert len(store.usage("s", ["kept"])) == 1

    def test_many_items_at_once(self, store: Store) -> None:
        events = [_event(f"i{n}", "t", minute=n % 50) for n in range(1200)]
        store.record_usage("s", events)
        assert len(store.usage("s", [f"i{n}" for n in range(1200)])) == 1200
